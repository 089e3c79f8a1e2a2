"""The seam for clusters: what a transport (``actors.remote.NatsCluster``) plugs into.

``ActorSystem(cluster=...)`` attaches the cluster after its guardians have
started, tells the attached node about every named top-level actor it spawns
(so the node can make the name reachable cluster-wide), answers
``system.find`` through it, and at shutdown drains it (no new work from the
cluster; what was taken is finished) before stopping the actors, then detaches
it after they have stopped and before the system's tasks are cancelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ._ref import ActorRef
    from ._system import ActorSystem


class ClusterNode(Protocol):
    """A system's attachment to a cluster (for example ``actors.remote.NatsNode``)."""

    def spawned(self, ref: ActorRef) -> None:
        """A named top-level actor was spawned here: make its name reachable cluster-wide."""
        ...

    async def find(self, name: str, *, timeout: float | None = None) -> ActorRef:
        """The live actor that holds the cluster-wide ``name``, on whichever node it is.

        With ``timeout``, wait up to that many seconds for the name to be held.
        """
        ...

    async def drain(self) -> None:
        """The system is about to stop its actors: take no new work, finish what was taken."""
        ...

    async def detach(self) -> None:
        """Leave the cluster: release names and membership, flush, close."""
        ...


class Cluster(Protocol):
    """How to join a cluster (for example ``actors.remote.NatsCluster``)."""

    async def attach(self, system: ActorSystem) -> ClusterNode:
        """Join with ``system``; return once its actors are reachable from other nodes."""
        ...
