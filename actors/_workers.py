"""The scheduler's workers: the tasks that stay with suspended handlers.

When a handler suspends, the dispatcher task stays with it and another task
takes over the run queue (``Scheduler._hand_off``). Two things here keep that
cheap when many actors suspend in every handler, as event-sourced actors do
(each ``persist`` waits for its batch to commit):

- :func:`drive`: when the handler returns and its actor has more messages,
  the same task runs the actor's next turn, after letting the ready tasks run
  once. The actor is still busy, so no other task can run it and its order
  is kept; going back through the run queue would cost a hand-off and a
  dispatcher per message.
- Parking: a finished worker waits to be the next dispatcher rather than
  exit, as long as fewer are parked than ``MAX_PARKED_WORKERS`` or than the
  handlers suspended right now (each of those may need a dispatcher to hand
  off to, and a new task costs several times a parked one's wake-up).
  :func:`retire_surplus` lets the surplus exit when the run queue runs dry,
  so a burst leaves at most ``MAX_PARKED_WORKERS`` tasks behind.
"""

from __future__ import annotations

from time import perf_counter_ns
from typing import TYPE_CHECKING

import anyio.lowlevel

from . import _cell_states as states
from ._promise import complete

if TYPE_CHECKING:
    from ._cell import ActorCell
    from ._scheduler import Scheduler
    from ._turn import Suspension

#: What a parked worker is woken with to exit instead of dispatching.
RETIRE = object()


async def drive(scheduler: Scheduler, suspension: Suspension) -> None:
    """Finish ``suspension`` in this task, then its actor's next turns while they suspend."""
    suspended = scheduler.suspended
    while True:
        scheduler.suspensions += 1
        cell = suspension.cell
        suspended[cell] = suspension
        finished = False
        try:
            await suspension.finish()
            finished = True
            if _has_next_turn(scheduler, cell):
                # Let the tasks that are ready run first, as they would while
                # the actor waited in the run queue: a stop one of them sends
                # meanwhile still goes ahead of the next message. Meanwhile
                # the actor still counts as suspended (busy), so that
                # statistics() and wait_idle never see an idle system.
                await anyio.lowlevel.checkpoint()
        except BaseException:
            if finished:  # cancelled (the system is ending): release the actor
                scheduler.turn_finished(cell)
            raise
        finally:
            del suspended[cell]
        next_turn = _next_turn(scheduler, cell)
        if next_turn is None:
            return
        suspension = next_turn


def _has_next_turn(scheduler: Scheduler, cell: ActorCell) -> bool:
    """Whether this worker should run ``cell``'s next turn itself (see :func:`_next_turn`)."""
    return (
        not cell.control
        and cell.state == states.RUNNING
        and (bool(cell.queue) or cell.single is not None)
        and scheduler._random is None
    )


def _next_turn(scheduler: Scheduler, cell: ActorCell) -> Suspension | None:
    """Run ``cell``'s next turn here if it has messages; its suspension, if it suspends.

    A turn that finishes without suspending releases the cell as usual (to
    the run queue if it has more), so a worker runs at most one turn per
    wake-up and never starves the dispatcher. Pending control messages and
    seeded (replayable) runs go through the run queue.
    """
    if not _has_next_turn(scheduler, cell):
        scheduler.turn_finished(cell)
        return None
    started = perf_counter_ns()
    scheduler.current = cell
    try:
        suspension = scheduler._turn(cell, scheduler.throughput)
    finally:
        scheduler.current = None
        scheduler.turns += 1
        scheduler.batch_ns.append(perf_counter_ns() - started)
    if suspension is None:
        scheduler.turn_finished(cell)
    return suspension


def retire_surplus(scheduler: Scheduler) -> None:
    """Let the parked workers beyond what the suspended handlers may need exit."""
    from ._scheduler import MAX_PARKED_WORKERS  # noqa: PLC0415 - a cycle otherwise

    keep = max(MAX_PARKED_WORKERS, len(scheduler.suspended))
    parked = scheduler._parked
    while len(parked) > keep:
        complete(parked.pop(0), RETIRE)
