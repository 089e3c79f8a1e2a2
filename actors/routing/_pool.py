"""``Pool``: an actor that supervises N workers of one class and routes to them."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from attrs import field, frozen

from actors import Actor, ActorRef, MailboxConfig, Terminated
from supervision import OneForOne, Strategy

from ._errors import HashKeyError, InvalidRouting
from ._policies import RoundRobin, RoutingPolicy
from ._router_ref import RouterRef, RoutingTable, Sync
from ._type_parameters import M

logger = logging.getLogger(__name__)


class Spawner(Protocol):
    """Anything with ``spawn``: an ``ActorSystem`` or an ``ActorContext``."""

    def spawn(
        self,
        actor_class: type[Actor[M]],
        *args: Any,
        name: str | None = ...,
        kwargs: Mapping[str, Any] | None = ...,
        restart: Any = ...,
        mailbox: MailboxConfig | None = ...,
    ) -> ActorRef[M]:
        """Spawn an actor and return its ref."""
        ...


def check_size(value: object) -> int:
    """Return ``value`` if it is a valid pool size, else raise ``InvalidRouting``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRouting(
            f"pool size must be a whole number >= 1 (got {value!r}); "
            "stop the pool instead of sizing it to zero"
        )
    return value


def _check_size(_instance: object, _attribute: object, value: Any) -> None:
    check_size(value)


@frozen
class Resize:
    """Ask a pool to run ``size`` workers from now on; the reply is the new size.

    Growing spawns workers in new slots; shrinking takes the highest slots
    out of routing at once and stops each of them once its mailbox is empty,
    so no message already routed to it is lost.
    """

    size: int = field(validator=_check_size)


@frozen
class GetRoutees:
    """Ask a router for its routees; the reply is a tuple of refs in slot order."""


@frozen(kw_only=True)
class PoolConfig:
    """What a pool runs: ``size`` workers of ``worker_class``, and how it routes."""

    worker_class: type[Actor]
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] | None = None
    size: int = field(validator=_check_size)
    routing: RoutingPolicy = field(factory=RoundRobin)
    mailbox: MailboxConfig | None = None


class Pool(Actor):
    """Supervises ``size`` workers (``w0``, ``w1``, ...) and routes messages to them.

    Spawn it with :func:`spawn_pool`, which returns a :class:`RouterRef`.
    Workers are ``permanent`` children: a worker that fails is restarted by
    the pool's ``strategy`` (class attribute, or ``spawn_pool(strategy=...)``)
    and keeps its slot, hence its place in a ``ConsistentHash`` ring. A
    worker stopped for good (a ``STOP`` directive) is replaced in its slot.
    If restarts exceed the strategy's intensity the pool fails to its own
    parent, as any supervisor does.

    Messages sent to the pool actor's own ref (not the ``RouterRef``) are
    routed too, but an ``ask`` that way answers ``None``: ask the ``RouterRef``.
    One whose ``ConsistentHash`` key fails there cannot raise to its sender:
    it is logged and becomes a dead letter (``"unhandled"``); the pool
    itself never fails from a message it cannot route.

    Resizing: shrinking takes the highest slots out of routing and stops each
    removed worker once its mailbox is empty. Growing again into a slot whose
    worker is still draining takes that worker back (its mailbox and state
    intact); a slot whose old worker is already stopping gets a fresh worker
    as soon as the old one has terminated, and routes to the other slots
    until then. So names never collide and nothing routed is lost.
    """

    strategy: ClassVar[Strategy | None] = OneForOne(max_restarts=10, within=5.0)

    def __init__(self, config: PoolConfig, table: RoutingTable) -> None:
        self.config = config
        self.table = table
        self.size = config.size
        self.workers: dict[str, ActorRef] = {}
        # Out of routing, draining their mailboxes; not yet asked to stop.
        self.retiring: dict[ActorRef, str] = {}
        # Asked to stop; they hold their slot's name until Terminated.
        self.stopping: dict[ActorRef, str] = {}

    def on_start(self) -> None:
        self.size = self.table.size or self.config.size
        for index in range(self.size):
            self._spawn_worker(f"w{index}")
        self._publish()
        self.context.self_ref.tell(_Settled())

    def on_stop(self) -> None:
        self.table.direct = False
        self.table.set(())

    def _spawn_worker(self, slot: str) -> None:
        config = self.config
        ref = self.context.spawn(
            config.worker_class,
            *config.args,
            name=slot,
            kwargs=config.kwargs,
            restart="permanent",
            mailbox=config.mailbox,
        )
        self.context.watch(ref)
        self.workers[slot] = ref

    def _publish(self) -> None:
        routees = sorted(self.workers.items(), key=lambda item: int(item[0][1:]))
        self.table.set(routees)

    def receive(self, message: Any) -> Any:
        match message:
            case _Settled():
                self.table.direct = True
            case Sync():
                return None
            case Resize(size):
                return self._resize(size)
            case GetRoutees():
                return tuple(self.table.refs)
            case Terminated(ref):
                self._terminated(ref)
            case _Retire():
                self._retire_idle()
            case _:
                try:
                    chosen = self.table.select(message)
                except HashKeyError as error:
                    logger.warning(
                        "%s: %s; it becomes a dead letter",
                        self.context.path,
                        error,
                        extra={"actor": self.context.path},
                    )
                    return super().receive(message)
                for ref in chosen:
                    ref.tell(message)
        return None

    def _resize(self, size: int) -> int:
        if size > self.size:
            for index in range(self.size, size):
                self._fill(f"w{index}")
        elif size < self.size:
            for index in range(size, self.size):
                slot = f"w{index}"
                ref = self.workers.pop(slot, None)
                if ref is not None:  # None: its fresh worker was still waiting for the name
                    self.retiring[ref] = slot
            self.context.self_ref.tell(_Retire())
        self.size = self.table.size = size
        self._publish()
        logger.info(
            "%s resized to %d workers", self.context.path, size, extra={"actor": self.context.path}
        )
        return size

    def _fill(self, slot: str) -> None:
        """Give ``slot`` a worker: its draining one back, or a fresh one once the name is free."""
        for ref, retiring_slot in self.retiring.items():
            if retiring_slot == slot:
                del self.retiring[ref]
                self.workers[slot] = ref
                return
        if slot in self.stopping.values():
            return  # _terminated spawns it once the old worker has gone
        self._spawn_worker(slot)

    def _retire_idle(self) -> None:
        for ref, slot in list(self.retiring.items()):
            if ref.statistics().mailbox_depth == 0:
                del self.retiring[ref]
                self.stopping[ref] = slot
                self.context.stop(ref)
        if self.retiring:
            self.context.schedule_once(0.001, _Retire())

    def _terminated(self, ref: ActorRef) -> None:
        slot = self.retiring.pop(ref, None) or self.stopping.pop(ref, None)
        if slot is not None:
            if int(slot[1:]) < self.size and slot not in self.workers:
                self._spawn_worker(slot)  # grown again while the old worker stopped
                self._publish()
            return
        for slot, worker in list(self.workers.items()):
            if worker == ref:
                logger.warning(
                    "%s: worker %s stopped for good; a fresh one takes its slot",
                    self.context.path,
                    ref.path,
                    extra={"actor": self.context.path},
                )
                self._spawn_worker(slot)
                self._publish()


@frozen
class _Settled:
    """Internal: everything sent before this was forwarded; route directly from now on."""


@frozen
class _Retire:
    """Internal: stop the retiring workers whose mailboxes have drained."""


_STRATEGY_CLASSES: dict[tuple[type[Pool], Strategy], type[Pool]] = {}


def _with_strategy(base: type[Pool], strategy: Strategy | None) -> type[Pool]:
    if strategy is None:
        return base
    key = (base, strategy)
    cls = _STRATEGY_CLASSES.get(key)
    if cls is None:
        cls = _STRATEGY_CLASSES[key] = type(base.__name__, (base,), {"strategy": strategy})
    return cls


def spawn_pool(
    spawner: Spawner,
    worker_class: type[Actor[M]],
    *args: Any,
    size: int,
    routing: RoutingPolicy | None = None,
    name: str | None = None,
    kwargs: Mapping[str, Any] | None = None,
    strategy: Strategy | None = None,
    mailbox: MailboxConfig | None = None,
) -> RouterRef[M]:
    """Spawn a :class:`Pool` of ``size`` workers and return its :class:`RouterRef` at once.

    Workers of an ``Actor[M]`` give a ``RouterRef[M]``.

    Args:
        spawner: ``system`` (a top-level pool) or ``self.context`` (a child pool).
        worker_class: the workers' ``Actor`` subclass; ``*args`` and
            ``kwargs`` are its constructor arguments (the same for every worker).
        size: how many workers (>= 1); change it later with ``Resize``.
        routing: a policy (``RoundRobin()`` by default, ``RandomRouting``,
            ``SmallestMailbox``, ``ConsistentHash(key)``, ``Broadcast``).
        name: the pool actor's name; its workers are ``<name>/w0``, ``w1``, ...
        strategy: how the pool supervises its workers (default
            ``OneForOne(max_restarts=10, within=5.0)``).
        mailbox: each worker's mailbox configuration.

    Raises:
        InvalidRouting: ``size`` is not a whole number >= 1.
        TypeError: ``worker_class`` is not an ``Actor`` subclass.
    """
    check_size(size)
    if not (isinstance(worker_class, type) and issubclass(worker_class, Actor)):
        raise TypeError(
            f"spawn_pool() needs an Actor subclass for the workers (got {worker_class!r})"
        )
    config = PoolConfig(
        worker_class=worker_class,
        args=args,
        kwargs=kwargs,
        size=size,
        routing=routing if routing is not None else RoundRobin(),
        mailbox=mailbox,
    )
    table = RoutingTable(config.routing)
    ref = spawner.spawn(_with_strategy(Pool, strategy), config, table, name=name)
    return RouterRef(ref, table)
