"""Supervision strategies: which children restart together, and how often."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeAlias

from attrs import Attribute, field, frozen

from ._backoff import Backoff
from ._directive import Directive, default_decider
from ._errors import InvalidStrategy
from ._retry import NoRetry, check_retry_message

__all__ = ["OneForAll", "OneForOne", "RestForOne", "Strategy"]


def _check_max_restarts(instance: _Strategy, attribute: Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidStrategy(f"max_restarts must be an int (got {value!r})")
    if value < 0:
        raise InvalidStrategy(f"max_restarts must be >= 0 (got {value!r})")


def _check_within(instance: _Strategy, attribute: Attribute[float], value: float) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        raise InvalidStrategy(f"within must be a number of seconds (got {value!r})")
    if value <= 0:
        raise InvalidStrategy(f"within must be > 0 seconds (got {value!r})")


def _check_backoff(
    instance: _Strategy, attribute: Attribute[Backoff | None], value: object
) -> None:
    if value is not None and not isinstance(value, Backoff):
        raise InvalidStrategy(f"backoff must be a supervision.Backoff or None (got {value!r})")


def _check_retry_message(instance: _Strategy, attribute: Attribute[int], value: int) -> None:
    check_retry_message(value, type(instance).__name__)


def _check_decider(instance: _Strategy, attribute: Attribute[Any], value: object) -> None:
    if not callable(value):
        raise InvalidStrategy(f"decider must be callable (got {value!r})")


@frozen
class _Strategy:
    """The fields every strategy shares; see `OneForOne`.

    `max_restarts` and `within` may be given by position, in that order, as
    in OTP's `{one_for_one, Intensity, Period}` and Akka's
    `OneForOneStrategy(maxNrOfRetries, withinTimeRange)`; `backoff` and
    `decider` are keyword-only.
    """

    max_restarts: int = field(default=3, validator=_check_max_restarts)
    within: float = field(default=5.0, validator=_check_within)
    backoff: Backoff | None = field(default=None, validator=_check_backoff, kw_only=True)
    decider: Callable[[BaseException], Directive | NoRetry] = field(
        default=default_decider, validator=_check_decider, kw_only=True
    )
    retry_message: int = field(default=0, validator=_check_retry_message, kw_only=True)


@frozen
class OneForOne(_Strategy):
    """Restart only the child that failed (OTP's `one_for_one`).

    The strategy's decider maps a child's exception to a `Directive`. When
    the directive is `RESTART`, only that child is restarted; its siblings
    are untouched. If more than `max_restarts` restarts happen within
    `within` seconds, the supervisor stops all its children and fails
    itself (the failure escalates to its own supervisor).

    `OneForOne(3, 5.0)` is `OneForOne(max_restarts=3, within=5.0)`: these two
    may be given by position, in that order (OTP's intensity and period,
    Akka's `maxNrOfRetries` and `withinTimeRange`); `backoff` and `decider`
    are keyword-only.

    Attributes:
        max_restarts: Restarts allowed in any window of `within` seconds
            (>= 0; 0 means the first restart already escalates).
        within: Length of the restart-intensity window, in seconds (> 0).
        backoff: Delay before each restart, growing with the restarts already
            made in the window; `None` restarts at once.
        decider: Maps the child's exception to a `Directive`; by default
            `default_decider` (restart on `Exception`, escalate otherwise).
            Compared by identity. It may return `NoRetry(directive)` to
            apply `directive` without retrying the failed message.
        retry_message: How many more times the message whose handler
            failed is handled again, first, after a resume or a restart
            (never after a stop or an escalation), each retry counting toward
            restart intensity and waiting for `backoff`; a message that fails
            `retry_message + 1` times becomes a dead letter. 0 (the default)
            drops it, as Akka does. A child's own `retry_message` above 0
            overrides this one.

    Raises:
        InvalidStrategy: If any value breaks the rules above.
    """


@frozen
class OneForAll(_Strategy):
    """Restart every child when one fails (OTP's `one_for_all`).

    Use it when the children depend on each other so that none can work
    without the others. On `RESTART`, all children are stopped in reverse
    start order and started again in start order; `TEMPORARY` children are
    stopped for good instead. One such group restart counts once towards
    restart intensity. The attributes are those of `OneForOne`.

    Raises:
        InvalidStrategy: If any value is invalid (see `OneForOne`).
    """


@frozen
class RestForOne(_Strategy):
    """Restart the failed child and every child started after it (OTP's `rest_for_one`).

    Use it when later children depend on earlier ones. On `RESTART`, the
    failed child and its younger siblings are stopped in reverse start order
    and started again in start order; `TEMPORARY` ones are stopped for good
    instead. Older siblings are untouched. One such restart counts once
    towards restart intensity. The attributes are those of `OneForOne`.

    Raises:
        InvalidStrategy: If any value is invalid (see `OneForOne`).
    """


Strategy: TypeAlias = OneForOne | OneForAll | RestForOne
"""Any supervision strategy: `OneForOne`, `OneForAll` or `RestForOne`."""
