"""Directives: what a supervisor does with a failed child, and the default decider."""

from __future__ import annotations

import enum

__all__ = ["Directive", "default_decider"]


class Directive(enum.Enum):
    """What a supervisor does with a child that failed.

    A strategy's decider maps the child's exception to one directive
    (as in Akka's `SupervisorStrategy`):

    Attributes:
        RESUME: Keep the child running with its current state; the failing
            message is dropped. Nothing is restarted and nothing is counted.
        RESTART: Restart the child (and, depending on the strategy, some of
            its siblings) with fresh state. Counts towards restart intensity.
        STOP: Stop the child for good; it is not restarted.
        ESCALATE: Do nothing to the children; the supervisor fails itself
            and its own supervisor decides.
    """

    RESUME = "resume"
    RESTART = "restart"
    STOP = "stop"
    ESCALATE = "escalate"


def default_decider(error: BaseException) -> Directive:
    """Decide `RESTART` for any `Exception` and `ESCALATE` for anything else.

    Errors that are not `Exception` (`KeyboardInterrupt`, `SystemExit`,
    cancellation) are never handled by restarting a child; they escalate.
    An exception class may name its own default with a class attribute
    `default_directive` (a `Directive`): `actors.persistence.PersistenceConflict`
    says `STOP`, since a restart would only conflict again.

    Args:
        error: The exception the child failed with.

    Returns:
        `Directive.RESTART` if `error` is an `Exception`, else `Directive.ESCALATE`.
    """
    preferred = getattr(type(error), "default_directive", None)
    if isinstance(preferred, Directive):
        return preferred
    if isinstance(error, Exception):
        return Directive.RESTART
    return Directive.ESCALATE
