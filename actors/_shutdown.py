"""Shutting a system down: the graceful stop, the deadline, and what is left after it.

Run by ``ActorSystem.__aexit__`` in the task that entered the system, however
the block is left (normally, by an exception, or by cancellation of an
enclosing scope). The runtime tasks are shielded from that cancellation (see
``_runtime_tasks``), so the stop sequences run as they would for
``system.stop``; only ``shutdown_timeout`` bounds them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import anyio

from ._control import Stop
from ._journal_seam import close_journal
from ._lifecycle import force_terminate

if TYPE_CHECKING:
    from ._system import ActorSystem

logger = logging.getLogger(__name__)

#: How many paths of unstopped actors the shutdown warning names.
NAMED_IN_WARNING = 5


async def shut_down(system: ActorSystem) -> None:
    """Stop every actor gracefully, children first, within ``shutdown_timeout`` (shielded)."""
    timeout = system._shutdown_timeout
    node = system._cluster_node
    if node is not None:
        # Pool members and durable mailboxes finish what they took first.
        with anyio.move_on_after(timeout, shield=True):
            await node.drain()
    system._running = False
    with anyio.move_on_after(timeout, shield=True):
        for guardian in (system._user_guardian, system._system_guardian):
            waiter = guardian.add_termination_waiter()
            guardian.send_control(Stop(deliberate=True))
            await waiter
    # After a clean stop this only settles the guardians; after the deadline
    # it also terminates (and names, in one warning) whatever still runs.
    await terminate(system, f"shutdown_timeout={timeout} s passed")


async def terminate(system: ActorSystem, why: str) -> None:
    """Leave the cluster, then end every actor still running at once, without ``on_stop``."""
    system._running = False
    await detach_cluster(system)
    unstopped: list[str] = []
    for guardian in (system._user_guardian, system._system_guardian):
        force_terminate(guardian, unstopped)
    # Last: no actor is left to persist through it.
    await close_journal(system.journal, system._shutdown_timeout)
    if unstopped:
        more = len(unstopped) - NAMED_IN_WARNING
        logger.warning(
            "actor system %s: %s; %d actors still running were cancelled without on_stop: %s%s",
            system.name,
            why,
            len(unstopped),
            ", ".join(unstopped[:NAMED_IN_WARNING]),
            f" and {more} more" if more > 0 else "",
            extra={"actors": tuple(unstopped)},
        )


async def detach_cluster(system: ActorSystem) -> None:
    """Leave the cluster, if any: before the task group is cancelled, as its tasks run there."""
    node, system._cluster_node = system._cluster_node, None
    if node is not None:
        with anyio.move_on_after(system._shutdown_timeout, shield=True):
            await node.detach()
