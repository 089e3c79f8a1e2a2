"""Cluster routing: getting an entity's messages to the node that owns its shard.

A region in a cluster keeps, per shard, the owner it last learned, and trusts
it while the owner's lease is in the node's live view (a dictionary lookup per
message, no I/O). A shard with no trusted owner is *resolved* in the
background: a hosting node claims it by compare-and-set (winning it, or
reading the live winner) if it is the shard's preferred host, else it sends to
that host, which claims it (see ``NatsPlacement.claim``); a node that does not
host the type sends through any live host instead, which resolves it in turn.
Messages that arrive meanwhile are held and sent, in order, once the owner is
known, so one sender's messages keep their order. On the owner they go to the
local region; elsewhere they travel as an envelope to the owner's region
endpoint over the remote transport.

Held messages are bounded (``MoveLimits.held_messages``): past the bound a
message becomes a dead letter, counted, with the reason. Shards also move
while their owner lives (a graceful leave, a rebalancing round): see
``_moves.py``; a shard being handed off holds its messages the same way.

The transport is duck-typed (:class:`Placement`): ``actors.remote`` provides it
for a ``NatsNode``, so this layer never imports NATS.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio

from actors import ActorRef, ActorSystem

from ._errors import ShardingError
from ._fencing import fence_forever
from ._hash import shard_of
from ._held import DEFAULT_HELD_LIMIT, HeldMessages
from ._moves import ShardMoves
from ._options import check_timeout
from ._owner_search import find_owner
from ._placement import Placement
from ._routed import RoutedHandling

if TYPE_CHECKING:
    from ._region import ShardRegion

logger = logging.getLogger(__name__)

#: Forwards one message may take before it is refused as a routing loop.
MAX_HOPS = 4
#: Ids whose shard is cached; past it, the cache starts again.
SHARD_CACHE_LIMIT = 65536
#: The key of the one queue of a node that does not host the type (it knows no shard count).
ANY_SHARD = -1


class ClusterRouting(RoutedHandling):
    """The routing of one entity type on one node; ``region`` is ``None`` on a non-hosting node."""

    def __init__(
        self,
        system: ActorSystem,
        type_name: str,
        placement: Placement,
        region: ShardRegion | None,
        ref_of: Callable[[str], ActorRef],
    ) -> None:
        self.system = system
        self._ref_of = ref_of
        self.type_name = type_name
        self.placement = placement
        self.region = region
        self._owners: dict[int, Any] = {}
        #: The fast path of a tell, per shard: the owner it was made for (valid while that
        #: very object is the shard's owner) and the placement's route to it, which sends
        #: (or, on the owner, delivers here) only while the owner's lease holds.
        self._routes: dict[int, tuple[Any, Callable[[str, int, object], bool]]] = {}
        self._start_routed(region)
        #: What a tell sent on adds to its hop count (see :meth:`_next`).
        self._step = 0 if region is None else 1
        self._held = HeldMessages(
            DEFAULT_HELD_LIMIT if region is None else region.limits.held_messages
        )
        # The shards holding messages now: a plain dict lookup on every message.
        self._holding = self._held.queues
        self._resolved: dict[int, anyio.Event] = {}
        self._failures: dict[int, ShardingError] = {}
        #: The shard of recent ids: the hash is the hot path's largest cost.
        self._shard_cache: dict[str, int] = {}
        #: Leaving the cluster: this node claims no shard any more, it only relays.
        self.leaving = False
        #: Hand-offs, rebalancing, and the notices of other nodes' moves.
        self.moves = ShardMoves(self)

    @property
    def held_limit(self) -> int:
        """The most messages held at once (see ``MoveLimits.held_messages``)."""
        return self._held.limit

    @held_limit.setter
    def held_limit(self, limit: int) -> None:
        self._held.limit = limit

    @property
    def held(self) -> int:
        """How many messages are held now, waiting for their shard's owner."""
        return len(self._held)

    def _key(self, entity_id: str) -> int:
        if self.region is None:
            return ANY_SHARD
        shard = self._shard_cache.get(entity_id)
        if shard is None:
            if len(self._shard_cache) >= SHARD_CACHE_LIMIT:
                self._shard_cache.clear()
            shard = self._shard_cache[entity_id] = shard_of(entity_id, self.region.shards)
        return shard

    def owner_of(self, entity_id: str) -> Any:
        """The trusted owner of ``entity_id``'s shard, or ``None`` (for inspection and tests)."""
        return self._trusted(self._key(entity_id))

    def owner_of_shard(self, key: int) -> Any:
        """The trusted owner of shard ``key``, or ``None``."""
        return self._trusted(key)

    def shards_owned_by(self, node: str) -> list[int]:
        """The keys whose trusted owner (or, on a proxy, host) is ``node``."""
        return [key for key, owner in self._owners.items() if owner.node == node]

    def resolving_shards(self) -> list[int]:
        """The keys being resolved or handed off now."""
        return list(self._resolved)

    def _trusted(self, key: int) -> Any:
        owner = self._owners.get(key)
        if owner is not None and not self.placement.holds(owner):
            del self._owners[key]  # its lease ended: resolve again
            return None
        return owner

    # -- tell ---------------------------------------------------------------------

    def deliver(self, entity_id: str, message: object, hops: int = 0) -> None:
        """Send ``message`` to the entity wherever it lives; held while its shard is resolved.

        Raises:
            TypeError: the message must travel and is not registered for the wire.
        """
        key = ANY_SHARD if self.region is None else self._shard_cache.get(entity_id)
        if key is None:
            key = self._key(entity_id)
        # The fast path: the route made for the shard's current owner (the very object
        # in ``_owners``: any resolution, move or hand-off replaces or drops it), the
        # shard not holding messages, and the route itself refusing unless the owner's
        # lease holds (``placement.holds``: live in this node's view; for this node's
        # own shards, its lease fresh and epoch unchanged, so fencing holds). Otherwise
        # the general path below, which drops a stale owner and holds the message
        # while the shard is resolved again.
        route = self._routes.get(key)
        if (
            route is not None
            and route[0] is self._owners.get(key)
            and key not in self._holding
            and hops < MAX_HOPS
            and route[1](entity_id, hops + self._step, message)
        ):
            return
        owner = self._trusted(key)
        if owner is None or key in self._holding:
            self._hold(key, entity_id, message, hops)
        else:
            self._send(owner, entity_id, message, hops, key)

    def _send(self, owner: Any, entity_id: str, message: object, hops: int, key: int) -> None:
        here = self.region.deliver_here if self.region is not None else None
        mine = self.placement.is_me(owner)
        route = self._routes.get(key)
        if route is None or route[0] is not owner:  # the fast path's, made once per owner
            route = (owner, self.placement.route(owner, self.type_name, here if mine else None))
            self._routes[key] = route
        if mine:
            assert here is not None
            self._remember_here(key, owner)
            here(entity_id, message)
            return
        if hops >= MAX_HOPS:
            self._dead_letter(entity_id, message, f"routing loop: forwarded {hops} times")
            return
        # Sent whether or not the owner is in the live view yet: it was just resolved.
        self.placement.sender(owner.node, self.type_name)(entity_id, self._next(hops), message)

    def _next(self, hops: int) -> int:
        # A proxy's message reaches its host as if sent there: the host may still
        # send it on to the shard's preferred host, which then claims it.
        return hops if self.region is None else hops + 1

    async def deliver_waiting(self, entity_id: str, message: object) -> None:
        """``send``: as :meth:`deliver`, but waiting for room when the message must be held."""
        key = self._key(entity_id)
        while (self._trusted(key) is None or key in self._held) and len(
            self._held
        ) >= self._held.limit:
            await self._held.wait_for_room()
        owner = self._trusted(key)
        if owner is None or key in self._holding or self.placement.is_me(owner):
            self.deliver(entity_id, message)
        else:  # another node's: wait for room in the outbound buffer (backpressure)
            envelope = self.placement.envelope(entity_id, message, self._next(0))
            await self.placement.send(owner.node, self.type_name, envelope)

    def _hold(self, key: int, entity_id: str, message: object, hops: int) -> None:
        if key not in self._resolved:
            self._start_resolving(key, forwarded=hops > 0)
        if not self._held.hold(key, (entity_id, message, hops)):
            self._dead_letter(
                entity_id,
                message,
                f"at most {self._held.limit} messages of entity type {self.type_name!r} are "
                "held while shard owners are found or shards move, and that many are held "
                "(got one more); raise region.limits.held_messages, or use send(), which "
                "waits for room",
            )

    def _start_resolving(
        self,
        key: int,
        *,
        forwarded: bool,
        finder: Callable[[], Awaitable[tuple[Any, ShardingError | None]]] | None = None,
    ) -> None:
        """Hold the shard's messages and find its owner (``finder``: a hand-off's instead)."""
        self._held.open(key)
        self._owners.pop(key, None)
        self._resolved[key] = anyio.Event()
        self._failures.pop(key, None)
        self.system.start_soon(
            self._resolve, key, finder or partial(self.find, key, forwarded=forwarded)
        )

    def put_back(self, key: int, items: list[tuple[str, object, int]]) -> None:
        """Messages a handed-off activation still held: ahead of what the shard holds now."""
        if key in self._held:
            self._held.put_back(key, items)
            return
        for entity_id, message, hops in items:
            self.deliver(entity_id, message, hops)

    def resolve_with(
        self, key: int, finder: Callable[[], Awaitable[tuple[Any, ShardingError | None]]]
    ) -> None:
        """Hold the shard's messages until ``finder`` (a move's) returns its owner."""
        self._start_resolving(key, forwarded=False, finder=finder)

    def resolving(self, key: int) -> bool:
        """Whether the shard's owner is being found, or the shard handed off, now."""
        return key in self._resolved

    async def wait_resolved(self, key: int) -> None:
        """Wait until the shard's resolution or hand-off under way (if any) has ended."""
        resolved = self._resolved.get(key)
        if resolved is not None:
            await resolved.wait()

    async def _resolve(
        self, key: int, finder: Callable[[], Awaitable[tuple[Any, ShardingError | None]]]
    ) -> None:
        owner: Any = None
        failure: ShardingError | None = None
        try:
            owner, failure = await finder()
        finally:
            held = self._held.take(key)
            resolved = self._resolved.pop(key)
            if owner is not None:
                self._owners[key] = owner
                self.moves.resolved(key, owner)
            else:
                failure = failure or ShardingError(
                    f"the owner of entity type {self.type_name!r}'s shard was not found "
                    "(the actor system is stopping)"
                )
                self._failures[key] = failure
            for entity_id, message, hops in held:
                try:
                    if owner is None:
                        self._dead_letter(entity_id, message, str(failure))
                    else:
                        self._send(owner, entity_id, message, hops, key)
                except TypeError as error:
                    logger.error("sharding: %s/%s: %s", self.type_name, entity_id, error)  # noqa: TRY400
                    self._dead_letter(entity_id, message, str(error))
            resolved.set()

    async def find(self, key: int, *, forwarded: bool) -> tuple[Any, ShardingError | None]:
        """The shard's owner (or the host to send through), retried with backoff."""
        return await find_owner(self, key, forwarded=forwarded)

    def _dead_letter(self, entity_id: str, message: object, reason: str) -> None:
        self.system.record_dead_letter(message, self._ref_of(entity_id), reason)

    # -- ask ----------------------------------------------------------------------

    async def ask(
        self, entity_id: str, message: object, timeout: float | None, hops: int = 0
    ) -> Any:
        """Ask the entity wherever it lives; ``timeout`` covers finding its owner.

        Raises:
            ShardingError: its shard's owner cannot be found, or a routing loop.
            ActorNotFound: (from the transport) the owner left before answering.
            TimeoutError: no reply within ``timeout``.
        """
        check_timeout(timeout)
        key = self._key(entity_id)
        with anyio.fail_after(timeout):
            while True:
                owner = self._trusted(key)
                if owner is not None and key not in self._holding:
                    break
                if key not in self._resolved:
                    failure = self._failures.pop(key, None)
                    if failure is not None:
                        raise failure
                    self._start_resolving(key, forwarded=hops > 0)
                await self._resolved[key].wait()
                failure = self._failures.get(key)
                if failure is not None and self._trusted(key) is None:
                    raise failure
            if self.placement.is_me(owner):
                assert self.region is not None
                return await self.region.ask_here(entity_id, message, None)
            if hops >= MAX_HOPS:
                raise ShardingError(
                    f"entity {self.type_name}/{entity_id}: routing loop (forwarded {hops} "
                    "times); the nodes disagree on its shard's owner"
                )
            envelope = self.placement.envelope(entity_id, message, self._next(hops))
            return await self.placement.ask(owner.node, self.type_name, envelope, None)

    # -- background duties -------------------------------------------------------

    async def fence_when_stale(self) -> None:
        """Run this hosting node's background duties: self-fencing, and rebalancing rounds.

        See ``fence_forever`` (in ``_fencing.py``) and ``ShardMoves.rebalance_forever``.
        """
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(self.moves.rebalance_forever)
            await fence_forever(self)

    def forget_stale_owners(self) -> None:
        """Drop every cached owner whose lease is not in the live view (after a stale lease)."""
        for key, owner in list(self._owners.items()):
            if not self.placement.holds(owner):
                del self._owners[key]
        self.moves.fenced()
