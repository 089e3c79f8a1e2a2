"""What arrives at this node's region endpoint (``/sharding/<type>``), and the owner's fast path.

:class:`RoutedHandling` is the part of ``ClusterRouting`` that the cluster
transport's endpoint calls: envelopes told and asked, and the notices of
shard moves. An envelope told here is routed as any tell, with its usual case
on the owner (a shard this node owns, a live activation) taken in one method,
the lease checked inline on every message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from ._moves import ShardMoves
    from ._placement import Placement
    from ._region import ShardRegion


def _never_fresh() -> float:
    """The clock before this node owns a shard: no lease is fresh by it."""
    return float("inf")


class RoutedHandling:
    """The region endpoint's handler (``RoutedHandler`` in ``actors.remote``): ClusterRouting's."""

    # The routing's, used here (see ``ClusterRouting``).
    region: ShardRegion | None
    placement: Placement
    moves: ShardMoves
    _shard_cache: dict[str, int]
    _owners: dict[int, Any]
    _holding: dict[int, Any]
    if TYPE_CHECKING:

        def deliver(self, entity_id: str, message: object, hops: int = 0) -> None: ...

        async def ask(
            self, entity_id: str, message: object, timeout: float | None, hops: int = 0
        ) -> Any: ...

    _here: dict[int, Any]
    _lease: Any
    _clock: Callable[[], float]
    _fence_after: float
    _activations: dict[str, Any]
    _asks_routed: int
    _asks_answered: anyio.Event | None

    def _start_routed(self, region: ShardRegion | None) -> None:
        #: The owner's fast path (:meth:`routed_tell`), per shard this node owns: the owner
        #: this node won it as, valid while that very object is the shard's owner and its
        #: lease holds, checked inline against this node's lease view (set with the first).
        self._here = {}
        self._lease = None
        self._clock = _never_fresh
        self._fence_after = 0.0
        #: The region's own dictionary of live activations (it is cleared, never replaced).
        self._activations = {} if region is None else region._activations
        self._asks_routed = 0  # asks that reached the endpoint, not answered yet
        self._asks_answered = None

    def _remember_here(self, key: int, owner: Any) -> None:
        """The general path delivers shard ``key``'s message here, ``owner`` being this node."""
        if self._here.get(key) is not owner:
            if self._lease is None:
                self._lease, self._clock, self._fence_after = self.placement.lease_view()
            self._here[key] = owner

    def routed_tell(self, entity_id: str, message: object, hops: int) -> None:
        """An envelope told to this node's region endpoint: routed as any tell.

        Once per message on the owner, so its usual case is inlined: a shard
        this node owns (the very owner object the general path last delivered
        here for, not holding messages) whose lease holds, checked as
        ``Placement.holds`` does for this node (incarnation and lease epoch
        unchanged, the lease renewed less than ``fence_after`` ago: self-fencing
        on every message), to a live activation that is not passivating.
        Everything else goes the general way (``ClusterRouting.deliver``, and
        ``ShardRegion.deliver_here``), which resolves, holds or activates.
        """
        key = self._shard_cache.get(entity_id)
        owner: Any = self._here.get(key)  # type: ignore[arg-type]  # None: no such shard
        lease: Any = self._lease
        if (
            owner is not None
            and owner.epoch == lease.lease_epoch
            and owner.incarnation == lease.incarnation
            and self._clock() - lease.renewed_at < self._fence_after
            and owner is self._owners.get(key)  # type: ignore[arg-type]
            and key not in self._holding
        ):
            # ShardRegion.deliver_here, its usual case inlined (same dictionary).
            activation = self._activations.get(entity_id)
            if activation is not None and activation.buffer is None:
                activation.touched = True
                activation.ref.tell(message)
                return
            assert self.region is not None
            self.region.deliver_here(entity_id, message)
            return
        self.deliver(entity_id, message, hops)

    async def routed_ask(self, entity_id: str, message: object, hops: int) -> Any:
        """An envelope asked of this node's region endpoint."""
        self._asks_routed += 1
        try:
            return await self.ask(entity_id, message, None, hops)
        finally:
            self._asks_routed -= 1
            if not self._asks_routed and self._asks_answered is not None:
                self._asks_answered.set()
                self._asks_answered = None

    async def wait_routed_asks(self) -> None:
        """Wait until no ask that reached this node's endpoint is still waiting for its answer."""
        while self._asks_routed:
            if self._asks_answered is None:
                self._asks_answered = anyio.Event()
            await self._asks_answered.wait()

    def routed_control(self, kind: str, shards: list[int], node: str, token: str) -> None:
        """A move's notice told to this node's endpoint (see ``ShardMoves.on_control``)."""
        self.moves.on_control(kind, shards, node, token)

    async def leave(self) -> None:
        """This node leaves the cluster gracefully: hand every shard it owns off."""
        await self.moves.leave()
