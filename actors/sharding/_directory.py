"""Which regions each actor system hosts, by entity type name."""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from actors import ActorRef, ActorSystem

if TYPE_CHECKING:
    from ._region import ShardRegion

_REGIONS: WeakKeyDictionary[ActorSystem, dict[str, ShardRegion]] = WeakKeyDictionary()


def claim(system: ActorSystem, region: ShardRegion) -> None:
    """Record ``region`` as the host of its type in ``system``; refuse a second one."""
    regions = _REGIONS.setdefault(system, {})
    type_name = region.type_name
    if type_name in regions:
        raise ValueError(
            f"entity type {type_name!r} is already hosted by this actor system; "
            f"start its sharding once and reach it with system.entity({type_name!r}, id)"
        )
    regions[type_name] = region


def release(system: ActorSystem, region: ShardRegion) -> None:
    """Forget ``region`` (its start failed)."""
    regions = _REGIONS.get(system, {})
    if regions.get(region.type_name) is region:
        del regions[region.type_name]


def region_of(system: ActorSystem, type_name: str) -> ShardRegion:
    """The region of ``type_name`` in ``system``, or a ``LookupError`` saying how to start it."""
    region = _REGIONS.get(system, {}).get(type_name)
    if region is None:
        raise LookupError(
            f"no sharding region for entity type {type_name!r} in actor system "
            f"{system.name!r}; start it first with "
            f"`await system.start_sharding({type_name!r}, EntityClass)`"
        )
    return region


def region_hosting(ref: ActorRef) -> ShardRegion:
    """The region whose live activation ``ref`` is, or a ``TypeError`` saying it is none."""
    for regions in _REGIONS.values():
        for region in regions.values():
            if region.hosts(ref):
                return region
    raise TypeError(
        f"reminders are for sharded entities, and {ref.path} is not one (or has stopped); "
        "use self.context.schedule_once for a timer that ends with the actor"
    )
