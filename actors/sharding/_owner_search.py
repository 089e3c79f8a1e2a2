"""Finding the owner of a shard (or the host a proxy sends through), retried with backoff."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import anyio

from ._errors import ShardingError

if TYPE_CHECKING:
    from ._routing import ClusterRouting

logger = logging.getLogger(__name__)

#: Failed attempts to resolve a shard's owner before its held messages become dead letters.
RESOLVE_ATTEMPTS = 20


async def find_owner(
    routing: ClusterRouting, key: int, *, forwarded: bool
) -> tuple[Any, ShardingError | None]:
    """Shard ``key``'s owner (or the host to send through), or ``None`` and why not.

    A hosting node claims the shard (see ``Placement.claim``); a proxy asks for
    any live host, and a leaving node for the shard's next owner. Failures
    (a NATS error, a contended claim) are retried with backoff.
    """
    pause = 0.05
    last: Exception | None = None
    # No host at all is given two lease times to appear (nodes may be starting).
    hostless_until = anyio.current_time() + 2 * routing.placement.lease_ttl
    for _ in range(RESOLVE_ATTEMPTS):
        try:
            if routing.region is None or routing.leaving:
                # A proxy sends through a host; a leaving node to the shard's next owner.
                host = await (
                    routing.placement.a_host(routing.type_name)
                    if routing.region is None
                    else routing.placement.locate(routing.type_name, key)
                )
                if host is not None:
                    return host, None
                last = None
                if anyio.current_time() >= hostless_until:
                    break
            else:
                owner = await routing.placement.claim(routing.type_name, key, forwarded=forwarded)
                return owner, None
        except Exception as error:  # a NATS error, a contended claim: try again
            last = error
            logger.debug("sharding: resolving %s shard %d: %r", routing.type_name, key, error)
        await anyio.sleep(pause)
        pause = min(pause * 2, 1.0)
    if last is None:
        return None, ShardingError(
            f"no live node hosts entity type {routing.type_name!r}; start it with "
            f"`await system.start_sharding({routing.type_name!r}, EntityClass)` on a node"
        )
    return None, ShardingError(
        f"the owner of shard {key} of entity type {routing.type_name!r} could not be "
        f"resolved ({last!r})"
    )
