"""``ShardRegion``: where the entities of one type live in this system, and how they get there.

Its actor (``/user/sharding:<type>``) is the parent of the activations and
keeps the timers. Routing is no message hop: an :class:`EntityRef` calls the
region, which hands the message to the live activation's mailbox (or starts
one, or holds it during a passivation). All of it runs on the event loop's
thread in steps without awaits, so no lock is needed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio

from actors import (
    Actor,
    ActorRef,
    ActorStopped,
    ActorSystem,
    ActorSystemClosed,
)

from ._directory import claim, region_hosting, region_of, release
from ._entity_ref import EntityRef
from ._events import EntityActivated
from ._hash import shard_of
from ._limits import MoveLimits
from ._options import check_entity_id, check_timeout
from ._region_actor import SWEEP, Activation, Forward, child_name
from ._region_hand_off import sweep, terminated
from ._region_start import start_region
from ._remembered import RememberedEntities
from ._reminders import Reminders
from ._routing import ClusterRouting
from ._store import RecordStore

if TYPE_CHECKING:
    from actors import ActorContext

logger = logging.getLogger(__name__)


class ShardRegion:
    """The entities of one type in this system: ``await system.start_sharding(...)``.

    Reach an entity with :meth:`entity` (or ``system.entity(type_name, id)``).
    Without a cluster, every entity of the type lives in this process:

    - Activation: the first message for an id starts one activation,
      ``entity_class(entity_id, *args, **kwargs)``, as a child of the region
      actor; however many senders race, there is one activation per id.
    - Passivation: an activation that has received nothing through its
      entity refs for ``passivate_after`` seconds (checked every half of
      it, so after 1 to 1.5 times that) and has an empty mailbox is stopped.
      Messages that arrive meanwhile are held and handed, in order, to the
      next activation, started as soon as the old one has stopped: no
      message is lost to passivation. A persistent entity recovers its state
      there (``persistence_id`` defaults to ``"<type>/<id>"``).
    - Failure: an exception goes to the asker and the activation is resumed
      (state and mailbox kept; see ``entity_decider``); a persistence error
      stops it. When an activation stops itself or is stopped, messages
      still queued for it become dead letters, and the next message starts
      a fresh activation.
    - Reminders: see ``ActorContext.remind``; in the journal (a cluster's: KV).
    - Remembered entities: with ``remember_entities=True`` the ids of active
      entities are stored likewise, and activated again when
      their shard next starts (here, or on the shard's next owner).

    Activations and passivations are published on ``system.event_stream``
    as :class:`EntityActivated` and :class:`EntityPassivated`.

    In a cluster (``ActorSystem(cluster=NatsCluster(...))``), the region
    activates only the entities of the shards this node owns; messages for
    other shards go to their owner's region (see :attr:`routing` and
    ``docs/sharding.md``, "Guarantees in a cluster"). Shards move while their
    owner lives by a hand-off (activations stop after their mailboxes, the
    record goes to the new owner, held messages follow): every shard when the
    system shuts down gracefully, and a bounded number a round to rebalance
    them over the live hosts (see :attr:`limits`).
    """

    def __init__(
        self,
        system: ActorSystem,
        type_name: str,
        entity_class: type[Actor],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        *,
        shards: int,
        passivate_after: float | None,
        remember_entities: bool,
    ) -> None:
        self.system = system
        #: The entity type's name.
        self.type_name = type_name
        #: The class each activation is an instance of.
        self.entity_class = entity_class
        #: How many shards the ids are spread over.
        self.shards = shards
        #: Idle seconds before an activation is passivated (``None``: never).
        self.passivate_after = passivate_after
        #: Whether live entities are activated again when the region next starts.
        self.remember_entities = remember_entities
        self._args = args
        self._kwargs = kwargs
        self.store = None if system.journal is None else RecordStore(system.journal, type_name)
        self.reminders = Reminders(self)
        self.region_ref: ActorRef
        self._context: ActorContext | None = None
        self._started: anyio.Event | None = None
        self._activations: dict[str, Activation] = {}
        self._ids: dict[ActorRef, str] = {}
        self._remembered = (
            None
            if not remember_entities or self.store is None
            else RememberedEntities(system, self.store, type_name)
        )
        self._activated = 0
        self._passivated = 0
        self._limits = MoveLimits()
        self.routing: ClusterRouting | None = None  #: in a cluster: how messages reach owners

    # -- starting and finding -------------------------------------------------------

    @classmethod
    async def start(
        cls,
        system: ActorSystem,
        type_name: str,
        entity_class: type[Actor],
        *args: Any,
        shards: int = 64,
        passivate_after: float | None = 120.0,
        remember_entities: bool = False,
        kwargs: Mapping[str, Any] | None = None,
        cluster: object = None,
    ) -> ShardRegion:
        """What ``system.start_sharding`` does; ``cluster``: the system's cluster node, if any."""
        return await start_region(
            cls,
            system,
            type_name,
            entity_class,
            args,
            shards=shards,
            passivate_after=passivate_after,
            remember_entities=remember_entities,
            kwargs=kwargs,
            cluster=cluster,
        )

    @classmethod
    def of(cls, system: ActorSystem, type_name: str) -> ShardRegion:
        """The region of ``type_name`` in ``system``.

        Raises:
            LookupError: no region of that type was started there.
        """
        return region_of(system, type_name)

    @classmethod
    def hosting(cls, ref: ActorRef) -> ShardRegion:
        """The region whose activation ``ref`` is.

        Raises:
            TypeError: ``ref`` is not a live activation of any region.
        """
        return region_hosting(ref)

    def hosts(self, ref: ActorRef) -> bool:
        """Whether ``ref`` is a live activation of this region."""
        return ref in self._ids

    def entity(self, entity_id: str) -> EntityRef:
        """The :class:`EntityRef` of ``entity_id``.

        Raises:
            ValueError: ``entity_id`` is not a non-empty string.
        """
        check_entity_id(entity_id)
        return EntityRef(self, entity_id)

    def shard_of(self, entity_id: str) -> int:
        """The shard of ``entity_id`` in this region (see :func:`shard_of`)."""
        return shard_of(entity_id, self.shards)

    @property
    def closed(self) -> bool:
        """Whether the region has stopped (its system shut down)."""
        return self._context is None

    @property
    def limits(self) -> MoveLimits:
        """In a cluster: the held-message bound and the rebalancing limits (see MoveLimits).

        Assign a new :class:`MoveLimits` to change them; they apply at once.
        """
        return self._limits

    @limits.setter
    def limits(self, limits: MoveLimits) -> None:
        if not isinstance(limits, MoveLimits):
            raise TypeError(f"region.limits takes a MoveLimits (got {limits!r})")
        self._limits = limits
        if self.routing is not None:
            self.routing.held_limit = limits.held_messages

    @property
    def active_entities(self) -> frozenset[str]:
        """The ids with a live activation now (passivating ones included)."""
        return frozenset(self._activations)

    @property
    def activations(self) -> int:
        """How many activations this region has started, ever."""
        return self._activated

    @property
    def passivations(self) -> int:
        """How many activations it has passivated for idleness, ever."""
        return self._passivated

    def activation_of(self, entity_id: str) -> ActorRef | None:
        """The ref of the live activation of ``entity_id``, or ``None``.

        For inspection only: messages sent to it are lost once it is passivated.
        """
        activation = self._activations.get(entity_id)
        return None if activation is None else activation.ref

    # -- delivery -------------------------------------------------------------------

    def deliver(self, entity_id: str, message: object) -> None:
        """``EntityRef.tell``: to the owner's region in a cluster, else :meth:`deliver_here`."""
        if self.routing is not None:
            self.routing.deliver(entity_id, message)
        else:
            self.deliver_here(entity_id, message)

    def deliver_here(self, entity_id: str, message: object) -> None:
        """To the live activation here, a new one, or the passivation buffer."""
        activation = self._activations.get(entity_id)
        if activation is None:
            activation = self._activate(entity_id)
            if activation is None:
                self.region_ref.tell(Forward(entity_id, message))  # a dead letter if stopped
                return
        buffer = activation.buffer
        if buffer is None:
            activation.touched = True
            activation.ref.tell(message)
        else:
            buffer.append(message)

    async def deliver_waiting(self, entity_id: str, message: object) -> None:
        """``EntityRef.send``: as :meth:`deliver`, waiting for room in a bounded mailbox.

        In a cluster it waits while the held-message bound is reached and the
        message would have to be held (backpressure: see ``MoveLimits``).
        """
        await anyio.lowlevel.checkpoint()
        if self.routing is not None:
            await self.routing.deliver_waiting(entity_id, message)
            return
        activation = self._activations.get(entity_id)
        if activation is None or activation.buffer is not None:
            self.deliver(entity_id, message)
            return
        activation.touched = True
        await activation.ref.send(message)

    async def ask(self, entity_id: str, message: object, timeout: float | None) -> Any:
        """``EntityRef.ask``: of the owner's region in a cluster, else :meth:`ask_here`."""
        if self.routing is not None:
            return await self.routing.ask(entity_id, message, timeout)
        return await self.ask_here(entity_id, message, timeout)

    async def ask_here(self, entity_id: str, message: object, timeout: float | None) -> Any:
        """Ask the activation here, waiting out a passivation under way."""
        check_timeout(timeout)
        with anyio.fail_after(timeout):
            while True:
                activation = self._activations.get(entity_id) or self._activate(entity_id)
                if activation is None:
                    raise ActorStopped(
                        f"the sharding region of {self.type_name!r} has stopped, so entity "
                        f"{entity_id!r} cannot answer"
                    )
                if activation.buffer is None:
                    activation.touched = True
                    try:
                        return await activation.ref.ask(message)
                    except ActorStopped:
                        # Unhandled, the activation having stopped: the next one takes it.
                        # (From a live activation it is its handler's answer.)
                        if activation.ref.statistics().state not in ("stopping", "stopped"):
                            raise
                if self._activations.get(entity_id) is not activation:
                    continue
                if activation.ended is None:
                    activation.ended = anyio.Event()
                await activation.ended.wait()

    # -- activations ----------------------------------------------------------------

    def _activate(self, entity_id: str) -> Activation | None:
        context = self._context
        if context is None:
            return None
        try:
            ref = context.spawn(
                self.entity_class,
                entity_id,
                *self._args,
                name=child_name(entity_id),
                kwargs=self._kwargs,
            )
        except (ActorStopped, ActorSystemClosed):
            return None
        context.watch(ref)
        activation = Activation(ref)
        self._activations[entity_id] = activation
        self._ids[ref] = entity_id
        self._activated += 1
        shard = shard_of(entity_id, self.shards)
        self.system.event_stream.publish(
            EntityActivated(type_name=self.type_name, entity_id=entity_id, shard=shard)
        )
        if self._remembered is not None:
            self._remembered.change(entity_id, shard, present=True)
        return activation

    def _sweep(self, context: ActorContext) -> None:
        sweep(self, context)

    def _terminated(self, ref: ActorRef) -> None:
        terminated(self, ref)

    def _attached(self, context: ActorContext) -> None:
        self._context = context
        started, self._started = self._started, None
        if started is None:  # a restart: claim the type again
            claim(self.system, self)
        if self.passivate_after is not None:
            context.schedule_repeatedly(self.passivate_after / 2, SWEEP)
        self.reminders.schedule_all(context)
        if started is not None:
            started.set()

    def _detached(self) -> None:
        # The region actor stops, or restarts (its children are stopped next).
        self._context = None
        release(self.system, self)  # the directory would otherwise keep the system alive
        held = list(self._activations.items())
        self._activations.clear()
        self._ids.clear()
        for entity_id, activation in held:
            for message in activation.buffer or ():
                # After a restart the region forwards them; after a stop they are dead letters.
                self.region_ref.tell(Forward(entity_id, message))
            if activation.ended is not None:
                activation.ended.set()

    async def stop(self) -> None:
        """Stop hosting the type here; in a cluster, hand every shard off first (graceful leave).

        Returns once the region and its activations have stopped. In a
        cluster no message is lost: see ``docs/sharding.md``, "Moving shards";
        this node's entity refs keep working, through the other hosts.
        Without a cluster, messages sent afterwards become dead letters.
        """
        if self.routing is not None:
            await self.routing.leave()
        await self.system.stop(self.region_ref)

    def entity_id_of(self, ref: ActorRef) -> str:
        """The entity id of the live activation ``ref`` (for its ``context.remind``)."""
        return self._ids[ref]

    def __repr__(self) -> str:
        return f"<ShardRegion {self.type_name!r} {len(self._activations)} active>"
