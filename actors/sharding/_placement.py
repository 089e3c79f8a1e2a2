"""The cluster transport's shard placement: what sharding needs of it, and finding it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ._errors import ShardingError


class OwnLease(Protocol):
    """This node's own lease, as the transport keeps it (see :meth:`Placement.lease_view`)."""

    @property
    def incarnation(self) -> str: ...

    @property
    def lease_epoch(self) -> int: ...

    @property
    def renewed_at(self) -> float: ...


class Placement(Protocol):
    """What the cluster transport offers sharding (``actors.remote`` for a ``NatsNode``)."""

    @property
    def lease_ttl(self) -> float: ...

    def holds(self, owner: Any) -> bool: ...

    def lease_fresh(self) -> bool: ...

    def lease_epoch(self) -> int: ...

    def lease_view(self) -> tuple[OwnLease, Callable[[], float], float]:
        """This node's lease, its clock and the seconds after a renewal when it fences itself.

        What :meth:`holds` checks for an owner that is this node, for a caller
        that checks it inline on every message: such an owner (carrying the
        ``incarnation`` and lease ``epoch`` it was won in) holds while both
        equal the lease's and ``clock() - lease.renewed_at < fence_after``.
        """
        ...

    def is_me(self, owner: Any) -> bool: ...

    async def join(self, type_name: str, shards: int, handler: Any) -> None: ...

    def serve(self, type_name: str, handler: Any) -> None: ...

    async def live_hosts(self, type_name: str) -> list[Any]: ...

    def preferred(self, type_name: str, shard: int, hosts: list[Any]) -> Any: ...

    async def locate(self, type_name: str, shard: int) -> Any: ...

    async def transfer(self, type_name: str, shard: int, owner: Any, to: Any) -> Any: ...

    async def withdraw(self, type_name: str) -> None: ...

    def forget_host(self, type_name: str, node: str) -> None: ...

    def control(self, node: str, type_name: str, message: list[Any]) -> None: ...

    async def claim(self, type_name: str, shard: int, *, forwarded: bool) -> Any: ...

    async def a_host(self, type_name: str) -> Any: ...

    @property
    def node_name(self) -> str: ...

    def tell(self, node: str, type_name: str, routed: Any) -> None: ...

    def sender(self, node: str, type_name: str) -> Callable[[str, int, object], None]: ...

    def route(
        self, owner: Any, type_name: str, here: Callable[[str, object], None] | None
    ) -> Callable[[str, int, object], bool]: ...

    async def send(self, node: str, type_name: str, routed: Any) -> None: ...

    async def ask(self, node: str, type_name: str, routed: Any, timeout: float | None) -> Any: ...

    def envelope(self, entity_id: str, message: object, hops: int) -> Any: ...


def placement_for(cluster: object, type_name: str) -> Placement | None:
    """The shard placement of the attached cluster node ``cluster``; ``None`` without one.

    A cluster node that can host shards offers ``shard_placement()``
    (``actors.remote.NatsNode`` does): sharding uses it through that method
    alone, so it imports no transport, and one process never loads NATS.

    Raises:
        ShardingError: the system is attached to a cluster that cannot host shards.
    """
    if cluster is None:
        return None
    offer = getattr(cluster, "shard_placement", None)
    if offer is None:
        raise ShardingError(
            f"sharding entity type {type_name!r} across a cluster needs a cluster node "
            f"that offers shard_placement() (got {type(cluster).__name__}); attach the "
            "system with ActorSystem(cluster=actors.remote.NatsCluster(...))"
        )
    placement: Placement = offer()
    return placement
