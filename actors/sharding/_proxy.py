"""Entity refs on a node that does not host the type: a proxy that routes through a host."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from actors import ActorRef, ActorSystem

from ._directory import region_of
from ._entity_ref import EntityRef
from ._options import check_entity_id
from ._placement import placement_for
from ._routing import ClusterRouting

_PROXIES: WeakKeyDictionary[ActorSystem, dict[str, ProxyRegion]] = WeakKeyDictionary()


class ProxyRegion:
    """How a node that does not host an entity type reaches its entities in the cluster.

    It knows no shard count, so it owns nothing and resolves nothing per
    shard: every message goes to one live hosting node's region (chosen once,
    and again when that node's lease ends), which routes it on to the owner.
    That is one hop more than from a host; order per sender is kept. A host
    that leaves tells its proxies first (``$begin``), and they hold their
    messages until it has handed its shards off (see ``_moves.py``).
    """

    #: Shown by ``EntityRef.statistics()``: the entity lives elsewhere.
    entity_class: type = object

    def __init__(self, system: ActorSystem, type_name: str, routing_of: Any) -> None:
        self.type_name = type_name
        self.routing: ClusterRouting = routing_of(self)
        #: ``EntityRef.tell``: to a host, which routes it to the owner (the routing's own
        #: method, not a wrapper: it runs once per message).
        self.deliver: Callable[[str, object], None] = self.routing.deliver

    def entity(self, entity_id: str) -> EntityRef:
        """The entity ref of ``entity_id``, sent through this proxy."""
        check_entity_id(entity_id)
        return EntityRef(self, entity_id)

    async def deliver_waiting(self, entity_id: str, message: object) -> None:
        """``EntityRef.send``: as :meth:`deliver`, waiting for room if it must be held."""
        await self.routing.deliver_waiting(entity_id, message)

    async def ask(self, entity_id: str, message: object, timeout: float | None) -> Any:
        """``EntityRef.ask``: through a host to the owner."""
        return await self.routing.ask(entity_id, message, timeout)

    def activation_of(self, entity_id: str) -> ActorRef | None:
        """Always ``None``: no activation lives on this node."""
        return None


def entity_ref(system: ActorSystem, cluster: object, type_name: str, entity_id: str) -> EntityRef:
    """``system.entity``: through the local region, or a proxy on a non-hosting cluster node.

    Raises:
        LookupError: no region of ``type_name`` here, and no cluster.
        ValueError: ``entity_id`` is not a non-empty string.
    """
    try:
        return region_of(system, type_name).entity(entity_id)
    except LookupError:
        placement = placement_for(cluster, type_name)
        if placement is None:
            raise
    proxies = _PROXIES.setdefault(system, {})
    proxy = proxies.get(type_name)
    if proxy is None:

        def routing_of(region: ProxyRegion) -> ClusterRouting:
            routing = ClusterRouting(system, type_name, placement, None, region.entity)
            placement.serve(type_name, routing)  # a leaving host tells it to route elsewhere
            return routing

        proxy = proxies[type_name] = ProxyRegion(system, type_name, routing_of)
    return proxy.entity(entity_id)
