"""Control messages: the runtime's own traffic between cells.

They travel on a cell's control queue, which is always handled before its
mailbox (as ractor reads its stop and supervision ports first), and never count
against a bounded mailbox's capacity. Commands are imperative, reports past tense.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from attrs import frozen

if TYPE_CHECKING:
    from ._cell import ActorCell
    from ._promise import Promise


@frozen
class Start:
    """Build a fresh instance and run ``on_start`` (first start, or after a restart)."""


START = Start()

#: A new cell's control queue while ``Start`` is all it holds. Shared by every
#: new cell, so a spawn allocates no list; ``send_control`` copies it into a
#: list if anything else arrives first.
START_PENDING: tuple[object, ...] = (START,)


@frozen
class Stop:
    """Stop. ``deliberate`` stops (by the parent or the system) are never restarted."""

    deliberate: bool


@frozen
class BehaviourChanged:
    """Nothing to do: sent by ``become`` so the turn picks up the new handler."""


BEHAVIOUR_CHANGED = BehaviourChanged()


@frozen
class Fail:
    """Fail with ``error`` as if a handler had raised it (``system.inject_failure``)."""

    error: Exception


@frozen
class ChildFailed:
    """Report to a parent: ``child`` raised ``error``.

    ``escalated`` is set when the child failed because one of its own children
    escalated, or its restart intensity was exceeded.
    """

    child: ActorCell
    error: BaseException
    escalated: bool = False


@frozen
class ChildExited:
    """Report to a parent: a permanent ``child`` stopped itself and waits to be restarted."""

    child: ActorCell


@frozen
class RestartChildren:
    """Carry out a restart decided earlier, once its backoff delay has passed."""

    restart: tuple[ActorCell, ...]
    stop: tuple[ActorCell, ...]


@frozen
class RunExclusive:
    """Run ``operation`` on a cell that was busy when it was asked, then settle ``done``."""

    operation: Callable[[ActorCell], Awaitable[None]]
    done: Promise
