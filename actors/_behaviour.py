"""Changing how an actor handles messages: become/unbecome, and the stash.

Both act on the actor that is handling a message right now, so they are
reached through ``self.context`` from inside a handler.
"""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import Callable
from types import MethodType
from typing import TYPE_CHECKING, Any

from ._control import BEHAVIOUR_CHANGED
from ._errors import StashError
from ._mailbox import requeue_front

if TYPE_CHECKING:
    from ._cell import ActorCell
    from ._promise import Promise


def become(cell: ActorCell, handler: Callable[[Any], Any], *, discard_old: bool) -> None:
    """Handle the next messages with ``handler`` instead of the current handler."""
    if not callable(handler):
        raise TypeError(f"become() needs a callable that takes a message (got {handler!r})")
    extras = cell.ensure_extras()
    if discard_old:
        extras.behaviours = None
    else:
        if extras.behaviours is None:
            extras.behaviours = []
        extras.behaviours.append((cell.receive, cell.receiver, cell.receive_is_async))
    set_handler(cell, handler, inspect.iscoroutinefunction(handler))
    _changed(cell)


def unbecome(cell: ActorCell) -> None:
    """Go back to the handler before the last ``become(..., discard_old=False)``.

    With nothing to go back to, go back to the instance's own ``receive``.
    """
    extras = cell.extras
    behaviours = extras.behaviours if extras is not None else None
    if behaviours:
        cell.receive, cell.receiver, cell.receive_is_async = behaviours.pop()
    elif cell.instance is not None:
        set_handler(cell, cell.instance.receive, type(cell.instance)._receive_is_async)
    else:
        return
    _changed(cell)


def set_handler(cell: ActorCell, handler: Callable[[Any], Any], is_async: bool) -> None:
    """Make ``handler`` (a callable taking the message) the cell's message handler.

    A turn calls ``cell.receive(cell.receiver, message)``. A bound method is
    split into its function and its ``self``, so that an actor's own
    ``receive`` costs no bound-method object per actor and no binding per
    turn; any other callable is called through :func:`_call_handler`.
    """
    if type(handler) is MethodType:
        cell.receive = handler.__func__
        cell.receiver = handler.__self__
    else:
        cell.receive = _call_handler
        cell.receiver = handler
    cell.receive_is_async = is_async


def _call_handler(handler: Callable[[Any], Any], message: object) -> Any:
    return handler(message)


def _changed(cell: ActorCell) -> None:
    # The running turn keeps its handler in a local: a control message ends
    # the turn after this message, and the next turn reads the new handler.
    cell.send_control(BEHAVIOUR_CHANGED)


def stash(cell: ActorCell) -> None:
    """Put the message in hand aside, to be handled again after ``unstash_all``."""
    scheduler = cell.scheduler
    suspension = scheduler.suspended.get(cell)
    in_suspended_handler = (
        suspension is not None and suspension.is_receive and not suspension.stashed
    )
    in_handler = scheduler.current is cell and scheduler.envelope is not None and suspension is None
    if not (in_suspended_handler or in_handler):
        raise StashError(
            f"{cell.path}: stash() puts aside the message being handled, so call it "
            "from receive(), once per message"
        )
    extras = cell.ensure_extras()
    if extras.stash is None:
        extras.stash = deque()
    capacity = type(cell.instance).stash_capacity if cell.instance is not None else 0
    if len(extras.stash) >= capacity:
        raise StashError(
            f"{cell.path}: the stash is full ({capacity} messages); unstash first, "
            "or raise the class attribute stash_capacity"
        )
    envelope: tuple[object, Promise | None]
    if suspension is not None:
        envelope = (suspension.message, suspension.promise)
        suspension.stashed = True
    else:
        assert scheduler.envelope is not None
        envelope = scheduler.envelope
        scheduler.envelope = None  # tells the turn not to answer it now
    extras.stash.append(envelope)


def unstash_all(cell: ActorCell) -> int:
    """Put every stashed message back at the front of the mailbox, oldest first.

    Returns how many there were (0 when nothing was stashed).
    """
    extras = cell.extras
    stashed = extras.stash if extras is not None else None
    if not stashed:
        return 0
    extras.stash = None  # type: ignore[union-attr]
    requeue_front(cell, list(stashed))
    return len(stashed)


def drop_stash(cell: ActorCell) -> None:
    """At a final stop: stashed messages become dead letters (their asks fail)."""
    extras = cell.extras
    if extras is not None and extras.stash:
        stashed, extras.stash = extras.stash, None
        for message, promise in stashed:
            cell.reject(message, promise, "recipient stopped")


def reset_behaviour(cell: ActorCell) -> None:
    """At a restart: the fresh instance starts with its own ``receive`` and no stack."""
    extras = cell.extras
    if extras is not None:
        extras.behaviours = None
