"""Starting a region: ``system.start_sharding``, in one process or in a cluster."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio

from actors import Actor, ActorSystem

from ._directory import claim, release
from ._entity_class import entity_class_for
from ._errors import ShardingError
from ._kv_store import ClusterRecordStore
from ._options import check_options
from ._placement import placement_for
from ._region_actor import RegionActor
from ._remembered import RememberedEntities
from ._routing import ClusterRouting
from ._shard_loading import ShardLoader

if TYPE_CHECKING:
    from ._region import ShardRegion


async def start_region(
    cls: type[ShardRegion],
    system: ActorSystem,
    type_name: str,
    entity_class: type[Actor],
    args: tuple[Any, ...],
    *,
    shards: int,
    passivate_after: float | None,
    remember_entities: bool,
    kwargs: Mapping[str, Any] | None,
    cluster: object,
) -> ShardRegion:
    """Check the options, build the region, spawn its actor; in a cluster, join the hosts."""
    placement = placement_for(cluster, type_name)
    passivate_seconds = check_options(
        system,
        type_name,
        shards,
        passivate_after,
        remember_entities,
        clustered=placement is not None,
    )
    keywords: Mapping[str, Any] = {} if kwargs is None else dict(kwargs)
    spawned_class = entity_class_for(system, type_name, entity_class, args, keywords)
    region = cls(
        system,
        type_name,
        spawned_class,
        tuple(args),
        keywords,
        shards=shards,
        passivate_after=passivate_seconds,
        remember_entities=remember_entities,
    )
    claim(system, region)
    try:
        if placement is None:
            await region.reminders.load()
        remembered = (
            await region._remembered.load(shards)
            if region._remembered is not None and placement is None
            else []  # in a cluster: each shard's, when this node comes to own it
        )
        started = region._started = anyio.Event()
        region.region_ref = system.spawn(
            RegionActor,
            region,
            # In a cluster every node has one: a name would be registered cluster-wide.
            name=f"sharding:{type_name}" if placement is None else None,
            restart="permanent",
        )
        await started.wait()
        if placement is not None:
            region.routing = ClusterRouting(system, type_name, placement, region, region.entity)
            try:
                loader = _keep_records_in_the_cluster(region, placement, region.routing)
                await placement.join(type_name, shards, region.routing)
                system.start_soon(region.routing.fence_when_stale)
                system.start_soon(loader.run)
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await system.stop(region.region_ref)
                raise
    except BaseException:
        release(system, region)
        raise
    for entity_id in remembered:
        region._activate(entity_id)
    return region


def _keep_records_in_the_cluster(
    region: ShardRegion, placement: Any, routing: ClusterRouting
) -> ShardLoader:
    """Give a cluster region its key-value store of records, and the loader of owned shards."""
    offer = getattr(placement, "records", None)
    if offer is None:
        raise ShardingError(
            f"entity type {region.type_name!r}: the cluster's shard placement "
            f"({type(placement).__name__}) keeps no records, so reminders and remembered "
            "entities cannot be stored; use actors.remote.NatsCluster"
        )
    records = offer(region.type_name)
    loader = ShardLoader(region, routing, placement, records)
    store = ClusterRecordStore(records, region, loader)
    region.store = store
    region._remembered = (
        RememberedEntities(region.system, store, region.type_name)
        if region.remember_entities
        else None
    )
    return loader
