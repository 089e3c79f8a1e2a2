"""Waiting until an actor system has nothing left to do."""

from __future__ import annotations

import anyio
import anyio.lowlevel

from actors import ActorSystem

WAIT = 5.0
"""Seconds a test kit wait allows by default before it fails instead of hanging."""


async def wait_idle(system: ActorSystem, *, timeout: float = WAIT) -> None:
    """Wait until no actor of ``system`` is runnable and no handler is waiting on anything.

    Checked over three consecutive checkpoints (a message in flight makes an
    actor runnable at once). Pending timers are not waited for: in virtual
    time, let the clock run with ``anyio.sleep`` first. A handler awaiting
    something outside the system (I/O) keeps it busy until it returns.

    Raises:
        TimeoutError: the system was still busy after ``timeout`` seconds.
    """
    quiet = 0
    with anyio.fail_after(timeout):
        while quiet < 3:
            await anyio.lowlevel.checkpoint()
            stats = system.statistics()
            if stats.run_queue_length == 0 and stats.suspended_handlers == 0:
                quiet += 1
            else:
                quiet = 0
