"""Finding the cluster transport's shard placement for a system's cluster node."""

from __future__ import annotations

from ._errors import ShardingError
from ._routing import Placement


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
