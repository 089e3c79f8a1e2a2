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

The transport is duck-typed (:class:`Placement`): ``actors.remote`` provides it
for a ``NatsNode``, so this layer never imports NATS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import anyio

from actors import ActorRef, ActorSystem

from ._errors import ShardingError
from ._hash import shard_of
from ._options import check_timeout

if TYPE_CHECKING:
    from ._region import ShardRegion

logger = logging.getLogger(__name__)

#: Forwards one message may take before it is refused as a routing loop.
MAX_HOPS = 4
#: Failed attempts to resolve a shard's owner before its held messages become dead letters.
RESOLVE_ATTEMPTS = 20
#: Ids whose shard is cached; past it, the cache starts again.
SHARD_CACHE_LIMIT = 65536
#: The key of the one queue of a node that does not host the type (it knows no shard count).
ANY_SHARD = -1


class Placement(Protocol):
    """What the cluster transport offers sharding (``actors.remote`` for a ``NatsNode``)."""

    @property
    def lease_ttl(self) -> float: ...

    def holds(self, owner: Any) -> bool: ...

    def lease_fresh(self) -> bool: ...

    def lease_epoch(self) -> int: ...

    def is_me(self, owner: Any) -> bool: ...

    async def join(self, type_name: str, shards: int, handler: Any) -> None: ...

    async def claim(self, type_name: str, shard: int, *, forwarded: bool) -> Any: ...

    async def a_host(self, type_name: str) -> Any: ...

    def tell(self, node: str, type_name: str, routed: Any) -> None: ...

    async def ask(self, node: str, type_name: str, routed: Any, timeout: float | None) -> Any: ...

    def envelope(self, entity_id: str, message: object, hops: int) -> Any: ...


class ClusterRouting:
    """The routing of one entity type on one node; ``region`` is ``None`` on a non-hosting node."""

    def __init__(
        self,
        system: ActorSystem,
        type_name: str,
        placement: Placement,
        region: ShardRegion | None,
        ref_of: Callable[[str], ActorRef],
    ) -> None:
        self._system = system
        self._ref_of = ref_of
        self._type_name = type_name
        self._placement = placement
        self._region = region
        self._owners: dict[int, Any] = {}
        self._held: dict[int, list[tuple[str, object, int]]] = {}
        self._resolved: dict[int, anyio.Event] = {}
        self._failures: dict[int, ShardingError] = {}
        #: The shard of recent ids: the hash is the hot path's largest cost.
        self._shard_cache: dict[str, int] = {}

    def _key(self, entity_id: str) -> int:
        if self._region is None:
            return ANY_SHARD
        shard = self._shard_cache.get(entity_id)
        if shard is None:
            if len(self._shard_cache) >= SHARD_CACHE_LIMIT:
                self._shard_cache.clear()
            shard = self._shard_cache[entity_id] = shard_of(entity_id, self._region.shards)
        return shard

    def owner_of(self, entity_id: str) -> Any:
        """The trusted owner of ``entity_id``'s shard, or ``None`` (for inspection and tests)."""
        return self._trusted(self._key(entity_id))

    def _trusted(self, key: int) -> Any:
        owner = self._owners.get(key)
        if owner is not None and not self._placement.holds(owner):
            del self._owners[key]  # its lease ended: resolve again
            return None
        return owner

    # -- tell ---------------------------------------------------------------------

    def deliver(self, entity_id: str, message: object, hops: int = 0) -> None:
        """Send ``message`` to the entity wherever it lives; held while its shard is resolved.

        Raises:
            TypeError: the message must travel and is not registered for the wire.
        """
        key = self._key(entity_id)
        owner = self._trusted(key)
        if owner is None or key in self._held:
            self._hold(key, entity_id, message, hops)
        else:
            self._send(owner, entity_id, message, hops)

    def _send(self, owner: Any, entity_id: str, message: object, hops: int) -> None:
        if self._placement.is_me(owner):
            assert self._region is not None
            self._region.deliver_here(entity_id, message)
            return
        if hops >= MAX_HOPS:
            self._dead_letter(entity_id, message, f"routing loop: forwarded {hops} times")
            return
        envelope = self._placement.envelope(entity_id, message, self._next(hops))
        self._placement.tell(owner.node, self._type_name, envelope)

    def _next(self, hops: int) -> int:
        # A proxy's message reaches its host as if sent there: the host may still
        # send it on to the shard's preferred host, which then claims it.
        return hops if self._region is None else hops + 1

    def _hold(self, key: int, entity_id: str, message: object, hops: int) -> None:
        held = self._held.get(key)
        if held is None:
            held = self._held[key] = []
            self._start_resolving(key, forwarded=hops > 0)
        held.append((entity_id, message, hops))

    def _start_resolving(self, key: int, *, forwarded: bool) -> None:
        self._held.setdefault(key, [])
        self._resolved[key] = anyio.Event()
        self._failures.pop(key, None)
        self._system.start_soon(self._resolve, key, forwarded)

    async def _resolve(self, key: int, forwarded: bool) -> None:
        owner: Any = None
        failure: ShardingError | None = None
        try:
            owner, failure = await self._find(key, forwarded)
        finally:
            held = self._held.pop(key, [])
            resolved = self._resolved.pop(key)
            if owner is not None:
                self._owners[key] = owner
            else:
                failure = failure or ShardingError(
                    f"the owner of entity type {self._type_name!r}'s shard was not found "
                    "(the actor system is stopping)"
                )
                self._failures[key] = failure
            for entity_id, message, hops in held:
                try:
                    if owner is None:
                        self._dead_letter(entity_id, message, str(failure))
                    else:
                        self._send(owner, entity_id, message, hops)
                except TypeError as error:
                    logger.error("sharding: %s/%s: %s", self._type_name, entity_id, error)  # noqa: TRY400
                    self._dead_letter(entity_id, message, str(error))
            resolved.set()

    async def _find(self, key: int, forwarded: bool) -> tuple[Any, ShardingError | None]:
        pause = 0.05
        last: Exception | None = None
        # No host at all is given two lease times to appear (nodes may be starting).
        hostless_until = anyio.current_time() + 2 * self._placement.lease_ttl
        for _ in range(RESOLVE_ATTEMPTS):
            try:
                if self._region is None:
                    host = await self._placement.a_host(self._type_name)
                    if host is not None:
                        return host, None
                    last = None
                    if anyio.current_time() >= hostless_until:
                        break
                else:
                    owner = await self._placement.claim(self._type_name, key, forwarded=forwarded)
                    return owner, None
            except Exception as error:  # a NATS error, a contended claim: try again
                last = error
                logger.debug("sharding: resolving %s shard %d: %r", self._type_name, key, error)
            await anyio.sleep(pause)
            pause = min(pause * 2, 1.0)
        if last is None:
            return None, ShardingError(
                f"no live node hosts entity type {self._type_name!r}; start it with "
                f"`await system.start_sharding({self._type_name!r}, EntityClass)` on a node"
            )
        return None, ShardingError(
            f"the owner of shard {key} of entity type {self._type_name!r} could not be "
            f"resolved ({last!r})"
        )

    def _dead_letter(self, entity_id: str, message: object, reason: str) -> None:
        self._system.record_dead_letter(message, self._ref_of(entity_id), reason)

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
                if owner is not None and key not in self._held:
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
            if self._placement.is_me(owner):
                assert self._region is not None
                return await self._region.ask_here(entity_id, message, None)
            if hops >= MAX_HOPS:
                raise ShardingError(
                    f"entity {self._type_name}/{entity_id}: routing loop (forwarded {hops} "
                    "times); the nodes disagree on its shard's owner"
                )
            envelope = self._placement.envelope(entity_id, message, self._next(hops))
            return await self._placement.ask(owner.node, self._type_name, envelope, None)

    # -- self-fencing -------------------------------------------------------------

    async def fence_when_stale(self) -> None:
        """Stop this node's activations whenever its lease may lapse: self-fencing.

        Checked every sixth of ``lease_ttl``: when the lease was last written
        more than three quarters of it ago (the node is cut off from NATS), or was
        found expired (the node stalled, say under SIGSTOP), every activation
        here is stopped and this node's shards are no longer trusted, so no
        message reaches an activation here until the shards are claimed again.
        A stall longer than the lease is noticed only when the node runs again:
        an activation may handle what was already in its mailbox first, and if
        it persists, the journal's check refuses it (``PersistenceConflict``).
        """
        region = self._region
        assert region is not None
        placement = self._placement
        epoch = placement.lease_epoch()
        while True:  # until the system's tasks are cancelled at shutdown
            await anyio.sleep(placement.lease_ttl / 6)
            current = placement.lease_epoch()
            if region.closed or (current == epoch and placement.lease_fresh()):
                continue
            epoch = current
            for key, owner in list(self._owners.items()):
                if not placement.holds(owner):
                    del self._owners[key]
            refs = [region.activation_of(entity_id) for entity_id in region.active_entities]
            if not refs:
                continue
            logger.warning(
                "sharding: this node's lease is stale; stopping %d activations of %r",
                len(refs),
                self._type_name,
            )
            async with anyio.create_task_group() as task_group:
                for ref in refs:
                    if ref is not None:
                        task_group.start_soon(self._system.stop, ref)

    # -- the endpoint's handler ---------------------------------------------------

    def routed_tell(self, entity_id: str, message: object, hops: int) -> None:
        """An envelope told to this node's region endpoint."""
        self.deliver(entity_id, message, hops)

    async def routed_ask(self, entity_id: str, message: object, hops: int) -> Any:
        """An envelope asked of this node's region endpoint."""
        return await self.ask(entity_id, message, None, hops)
