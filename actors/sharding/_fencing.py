"""Self-fencing: a hosting node stops its activations whenever its lease may lapse."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from ._routing import ClusterRouting

logger = logging.getLogger(__name__)


async def fence_forever(routing: ClusterRouting) -> None:
    """Stop this node's activations whenever its lease may lapse: self-fencing.

    Checked every sixth of ``lease_ttl``: when the lease was last written
    more than three quarters of it ago (the node is cut off from NATS), or was
    found expired (the node stalled, say under SIGSTOP), every activation
    here is stopped and this node's shards are no longer trusted, so no
    message reaches an activation here until the shards are claimed again.
    A stall longer than the lease is noticed only when the node runs again:
    an activation may handle what was already in its mailbox first, and if
    it persists, the journal's check refuses it (``PersistenceConflict``).
    Runs until the system's tasks are cancelled at shutdown.
    """
    region = routing.region
    assert region is not None
    placement = routing.placement
    epoch = placement.lease_epoch()
    while True:
        await anyio.sleep(placement.lease_ttl / 6)
        current = placement.lease_epoch()
        if region.closed or (current == epoch and placement.lease_fresh()):
            continue
        epoch = current
        routing.forget_stale_owners()
        refs = [region.activation_of(entity_id) for entity_id in region.active_entities]
        if not refs:
            continue
        logger.warning(
            "sharding: this node's lease is stale; stopping %d activations of %r",
            len(refs),
            routing.type_name,
        )
        async with anyio.create_task_group() as task_group:
            for ref in refs:
                if ref is not None:
                    task_group.start_soon(routing.system.stop, ref)
