"""The reliable package's errors."""

from __future__ import annotations

from actors import ActorError


class InvalidSetting(ActorError, ValueError):
    """A retry policy or circuit breaker was given a value it cannot work with."""


class UnknownAcknowledgement(ActorError, ValueError):
    """A sender received an ``Ack`` for a delivery it never made.

    Raised in the sender's handler, so the sender fails and is restarted by
    its supervisor; its outbox survives the restart and every unacknowledged
    message is sent again, so nothing is lost.
    """


class CircuitOpenError(ActorError, RuntimeError):
    """A call was refused because its circuit breaker is open (or half-open and busy).

    The call was not made. Retry after the breaker's ``reset_timeout``.
    """
