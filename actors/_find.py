"""``ActorSystem.find``: a name, cluster-wide through the cluster node, else a top-level actor."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from ._cluster import ClusterNode
    from ._ref import ActorRef
    from ._system import ActorSystem

#: Seconds between looks while waiting for a top-level actor to be spawned.
LOOK_INTERVAL = 0.01


async def find_actor(
    system: ActorSystem, node: ClusterNode | None, name: str, timeout: float | None
) -> ActorRef:
    """The live actor holding ``name`` (see :meth:`ActorSystem.find`)."""
    if node is not None:
        if timeout is None:
            return await node.find(name)
        return await node.find(name, timeout=timeout)
    ref = system.lookup(name) if "/" not in name.strip("/") else None
    if ref is None and timeout is not None:
        with anyio.move_on_after(timeout):
            while ref is None:  # top-level actors are spawned by this process's own code
                await anyio.sleep(LOOK_INTERVAL)
                ref = system.lookup(name)
    if ref is None:
        raise LookupError(f"no live top-level actor is named {name!r}")
    return ref
