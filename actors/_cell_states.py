"""The small integer states of a cell, kept apart so every module can import them.

Two independent dimensions: the lifecycle ``state`` (what the actor is), and
the ``run_state`` (whether the scheduler holds it).
"""

from typing import Final

# Lifecycle state.
NEW: Final = 0  # spawned; the start is pending
RUNNING: Final = 1  # handling messages
SUSPENDED: Final = 2  # failed; user messages wait for the parent's decision
RESTARTING: Final = 3  # the old instance is gone; a fresh one is on its way
STOPPING: Final = 4  # stopping for good: children first, then on_stop
STOPPED: Final = 5  # gone; everything sent to it is a dead letter

STATE_NAMES: Final = ("new", "running", "suspended", "restarting", "stopping", "stopped")

# Run state: whether the scheduler holds the cell.
IDLE: Final = 0  # not in the run queue and not running
QUEUED: Final = 1  # in the run queue
BUSY: Final = 2  # being run (in a turn, or a handler awaiting I/O)
