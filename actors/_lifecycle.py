"""Lifecycle sequences: start, stop, and the two halves of a restart.

Each sequence is a coroutine run on the cell it concerns, while no handler of
that cell is running: either as the cell's control message (in its own turn) or
through :func:`run_exclusive` from its parent. Most complete without ever
suspending; an ``async`` hook that awaits I/O simply makes the sequence a
:class:`~actors._turn.Suspension` like any handler.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from supervision import RestartHistory, RestartType

from . import _cell_states as states
from ._actor import construct_instance
from ._behaviour import reset_behaviour, set_handler, unstash_all
from ._control import (
    START,
    ChildExited,
    RunExclusive,
)
from ._mailbox import close_mailbox
from ._spawn import spawn_from_spec

if TYPE_CHECKING:
    from ._cell import ActorCell

logger = logging.getLogger(__name__)


async def call_hook(hook: Callable[[], Any]) -> None:
    """Call an ``on_start``/``on_stop`` hook that may be ``def`` or ``async def``."""
    result = hook()
    if result is not None and inspect.isawaitable(result):
        await result


async def start(cell: ActorCell) -> None:
    """Build a fresh instance, start its declared children, then run ``on_start``.

    Any exception is a failure of the actor, reported to its parent. Messages
    wait in the mailbox until this has finished.
    """
    rest = start_now(cell)
    if rest is not None:
        await rest


def start_now(cell: ActorCell) -> Coroutine[Any, Any, None] | None:
    """:func:`start`, as far as it goes without awaiting.

    Returns ``None`` when the start is complete (the common case: a plain
    ``on_start``, which needs no coroutine at all), or a coroutine that awaits
    what an ``async def on_start`` returned and then completes the start.
    """
    first_start = cell.state == states.NEW
    if not first_start and cell.state != states.RESTARTING:
        return None
    if first_start and cell.child_cells is not None:
        # Declared children were created with the cell (so lookups work at
        # once); they start now, in order, ahead of any message to them.
        for child in cell.live_children():
            if child.state == states.NEW and child.control is None:
                child.send_control(START)
    try:
        instance = construct_instance(cell.actor_class, cell, cell.arguments, cell.second_argument)
    except Exception as error:
        cell.fail(error, None, None)
        return None
    # cell.set_instance(instance), inlined: every spawn comes through here.
    cell.instance = instance
    set_handler(cell, instance.receive, type(instance)._receive_is_async)
    try:
        if not first_start:
            for spec in instance._declared_children():
                spawn_from_spec(cell, spec, start=True)
        result = instance.on_start()
    except Exception as error:
        cell.fail(error, None, None)
        return None
    if result is not None and inspect.isawaitable(result):
        return _finish_start(cell, result)
    # _started(cell), inlined.
    cell.started = True
    cell.state = states.RUNNING
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("%s started", cell.path, extra={"actor": cell.path})
    return None


async def _finish_start(cell: ActorCell, on_start: Awaitable[Any]) -> None:
    try:
        await on_start
    except Exception as error:
        cell.fail(error, None, None)
        return
    _started(cell)


def _started(cell: ActorCell) -> None:
    cell.started = True
    cell.state = states.RUNNING
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("%s started", cell.path, extra={"actor": cell.path})


async def stop_requested(cell: ActorCell, *, deliberate: bool) -> None:
    """A stop asked for with ``context.stop`` or ``system.stop``.

    A permanent actor that stops itself is an exit the parent restarts (OTP's
    meaning of ``permanent``); every other stop is for good.
    """
    if cell.state >= states.STOPPING:
        return
    parent = cell.parent_cell
    if not deliberate and cell.restart_type is RestartType.PERMANENT and parent is not None:
        await teardown(cell)
        parent.send_control(ChildExited(cell))
        return
    await stop(cell)


async def stop(cell: ActorCell) -> None:
    """Stop for good: refuse mail, stop children (reverse start order), run ``on_stop``, leave."""
    if cell.state >= states.STOPPING:
        return
    cell.state = states.STOPPING
    close_mailbox(cell)
    cell.cancel_timers()
    extras = cell.extras
    if extras is not None and extras.stop_cause is not None:
        # Its children go because of the same failure.
        for child in cell.live_children():
            stopped_for(child, extras.stop_cause)
    await stop_children(cell)
    instance = cell.instance
    if instance is not None and cell.started:
        await _call_on_stop(cell, instance.on_stop)
    cell.finish_termination()


def stopped_for(cell: ActorCell, failure: BaseException | None) -> None:
    """Record that ``cell`` is stopped because of ``failure`` (kept if one is recorded already)."""
    if failure is not None:
        extras = cell.ensure_extras()
        if extras.stop_cause is None:
            extras.stop_cause = failure


async def teardown(cell: ActorCell) -> None:
    """The first half of a restart: the old instance goes, the cell and its mailbox stay.

    The old instance gets ``on_stop``, then its children are stopped in reverse
    start order. Timers are cancelled. The cell waits in ``RESTARTING`` for a
    ``Start`` (which its parent sends, possibly after a backoff delay).
    """
    if cell.state >= states.STOPPING or cell.state == states.RESTARTING:
        return
    cell.state = states.RESTARTING
    cell.cancel_timers()
    instance = cell.instance
    if instance is not None and cell.started:
        await _call_on_stop(cell, instance.on_stop)
    cell.clear_instance()
    # Nothing stashed is lost: it goes back ahead of the mailbox, for the
    # fresh instance (which starts with its own receive, not a become).
    unstash_all(cell)
    reset_behaviour(cell)
    await stop_children(cell)
    # A fresh instance supervises with a fresh restart window, as in OTP.
    if cell.extras is not None:
        cell.extras.restart_history = RestartHistory()


async def stop_children(cell: ActorCell) -> None:
    """Stop every child for good, one at a time, in reverse start order."""
    for child in reversed(list(cell.live_children())):
        await stop_child(child)


async def stop_child(child: ActorCell) -> None:
    """Stop ``child`` for good and return once it has stopped."""
    if child.state == states.STOPPED:
        return
    if child.state == states.STOPPING:
        await child.add_termination_waiter()
        return
    await run_exclusive(child, stop)


async def run_exclusive(cell: ActorCell, operation: Callable[[ActorCell], Awaitable[None]]) -> None:
    """Run a lifecycle ``operation`` on ``cell`` while none of its handlers runs.

    If the cell is idle it runs right here (no event-loop round trip, which
    keeps stopping a large tree fast). If a handler of the cell is running, the
    operation waits as a control message until that handler has finished.
    """
    scheduler = cell.scheduler
    if cell.run_state == states.BUSY:
        done = scheduler.new_promise()
        cell.send_control(RunExclusive(operation, done))
        await done
        return
    cell.run_state = states.BUSY
    try:
        await operation(cell)
    finally:
        scheduler.turn_finished(cell)


async def _call_on_stop(cell: ActorCell, hook: Callable[[], Any]) -> None:
    try:
        await call_hook(hook)
    except Exception:
        logger.exception(
            "on_stop of %s failed; stopping anyway", cell.path, extra={"actor": cell.path}
        )


def force_terminate(cell: ActorCell, unstopped: list[str] | None = None) -> list[str]:
    """After the shutdown deadline: settle everything of a cell that did not stop in time.

    Returns the paths of the actors (guardians aside) that were still running,
    children before parents, so that the caller can report them in one line.
    """
    if unstopped is None:
        unstopped = []
    for child in reversed(list(cell.live_children())):
        force_terminate(child, unstopped)
    if cell.state != states.STOPPED:
        if cell.parent_cell is not None:
            unstopped.append(cell.path)
        cell.state = states.STOPPING
        cell.finish_termination()
    return unstopped
