"""The error hierarchy shared by `supervision` and the `actors` runtime."""

from __future__ import annotations

__all__ = ["ActorError", "InvalidChildSpec", "InvalidStrategy"]


class ActorError(Exception):
    """Base of every error anyactors raises (re-exported as `actors.ActorError`).

    Catch `ActorError` to handle any error that anyactors itself raises, as
    opposed to errors raised by user code inside an actor.
    """


class InvalidStrategy(ActorError, ValueError):
    """A supervision strategy or `Backoff` was built with an invalid value.

    Raised at construction time, so a bad policy never reaches a running
    supervisor. The message names the rule, the value and how to fix it.
    """


class InvalidChildSpec(ActorError, ValueError):
    """A child specification was built with an invalid value.

    Raised by `child()` and `ChildSpec` at construction time.
    """
