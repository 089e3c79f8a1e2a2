"""Retrying the failed message: the policy's vocabulary and its pure rules.

`retry_message=n` on a strategy or a child spec says that the message whose
handler raised is handled again, first, up to `n` more times after a resume or
a restart; a message that fails `n + 1` times becomes a dead letter (a poison
message). What happens to the failed message is decided by `decide` along with
the directive, so it is as testable as the rest of supervision.
"""

from __future__ import annotations

import enum

from attrs import Attribute, field, frozen

from ._directive import Directive
from ._errors import InvalidStrategy

__all__ = ["MessageAction", "NoRetry", "check_retry_message", "split_directive"]


def check_retry_message(value: object, owner: str) -> int:
    """Return `value` if it is a valid `retry_message`, else raise `InvalidStrategy`.

    Args:
        value: The value given for `retry_message`.
        owner: Who was given it, for the message (e.g. `"OneForOne"`).

    Raises:
        InvalidStrategy: If `value` is not an int (bools are refused) or is negative.
    """
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidStrategy(
            f"{owner} retry_message must be an int, the number of retries of a failed "
            f"message (got {value!r})"
        )
    if value < 0:
        raise InvalidStrategy(
            f"{owner} retry_message must be >= 0; use 0 for no retry (got {value!r})"
        )
    return value


class MessageAction(enum.Enum):
    """What the runtime does with the message whose handler failed.

    Attributes:
        NONE: No message failed (a failure while starting, a normal exit, an
            escalation from a child); nothing to do.
        DROP: The message is not handled again (the default, as in Akka): an
            `ask` waiting for it gets the exception. Also after `STOP`,
            `ESCALATE`, or a decider's `NoRetry`.
        RETRY: The message is handled again before any other queued message,
            after the resume or restart (and after `Decision.delay`).
        DEAD_LETTER: The message failed `retry_message + 1` times: it becomes
            a dead letter (a poison message) and an `ask` waiting for it gets
            the last exception.
    """

    NONE = "none"
    DROP = "drop"
    RETRY = "retry"
    DEAD_LETTER = "dead_letter"


def _check_directive(instance: NoRetry, attribute: Attribute[Directive], value: Directive) -> None:
    if not isinstance(value, Directive):
        raise TypeError(f"NoRetry needs a supervision.Directive (got {value!r})")


@frozen
class NoRetry:
    """A decider's answer that applies `directive` but never retries the failed message.

    Return it from a decider for errors that are not transient, so that a
    strategy with `retry_message` does not hand the same message to the
    actor again: `NoRetry(Directive.RESTART)` reads "restart, do not retry".
    The message is dropped as without `retry_message` (an `ask` gets the error).

    Attributes:
        directive: The directive to apply.

    Raises:
        TypeError: If `directive` is not a `Directive`.
    """

    directive: Directive = field(validator=_check_directive)


def split_directive(answer: object) -> tuple[Directive, bool]:
    """Return a decider's answer as `(directive, retry allowed)`.

    Args:
        answer: What a decider returned: a `Directive` or a `NoRetry`.

    Returns:
        `(answer, True)` for a `Directive`, `(answer.directive, False)` for a
        `NoRetry`.

    Raises:
        TypeError: If `answer` is neither.
    """
    if isinstance(answer, Directive):
        return answer, True
    if isinstance(answer, NoRetry):
        return answer.directive, False
    raise TypeError(
        f"decider returned {answer!r}; it must return a supervision.Directive "
        "or a supervision.NoRetry"
    )
