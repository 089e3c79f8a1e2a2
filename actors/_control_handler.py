"""Carrying out control messages: the one place that maps each to its sequence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _cell_states as states
from . import _lifecycle, _supervising
from ._control import (
    BehaviourChanged,
    ChildExited,
    ChildFailed,
    Fail,
    RestartChildren,
    RunExclusive,
    Start,
    Stop,
)

if TYPE_CHECKING:
    from ._cell import ActorCell


async def handle_control(cell: ActorCell, message: object) -> None:
    """Carry out one control message on ``cell``."""
    match message:
        case Start():
            await _lifecycle.start(cell)
        case Stop(deliberate=deliberate):
            await _lifecycle.stop_requested(cell, deliberate=deliberate)
        case ChildFailed(child=child, error=error, escalated=escalated):
            await _supervising.child_failed(cell, child, error, escalated=escalated)
        case ChildExited(child=child):
            await _supervising.child_exited(cell, child)
        case RestartChildren(restart=restart, stop=stop_now):
            await _supervising.restart_children(cell, restart, stop_now)
        case Fail(error=error):
            if cell.state == states.RUNNING:
                cell.fail(error, None, None)
        case BehaviourChanged():
            pass  # the turn ended so the next message meets the new handler
        case RunExclusive(operation=operation, done=done):
            try:
                await operation(cell)
            finally:
                if not done.done():
                    done.set_result(None)
        case _:
            raise AssertionError(f"unknown control message {message!r}")
