"""Finding the cluster transport's shard placement for a system's cluster node."""

from __future__ import annotations

import importlib

from ._errors import ShardingError
from ._routing import Placement


def placement_for(cluster: object, type_name: str) -> Placement | None:
    """The placement of the attached cluster node ``cluster``; ``None`` without a cluster.

    Only ``actors.remote``'s ``NatsNode`` provides one; it is imported here, on
    first use in a cluster, so that sharding in one process never loads NATS.

    Raises:
        ShardingError: the system is attached to a cluster of another kind.
    """
    if cluster is None:
        return None
    module = importlib.import_module("actors.remote._shard_placement")
    placement: Placement | None = module.placement_of(cluster)
    if placement is None:
        raise ShardingError(
            f"sharding entity type {type_name!r} across a cluster needs "
            f"actors.remote.NatsCluster (got {type(cluster).__name__}); attach the system "
            "with ActorSystem(cluster=NatsCluster(...))"
        )
    return placement
