"""The routing package's errors."""

from __future__ import annotations

from actors import ActorError


class InvalidRouting(ActorError, ValueError):
    """A pool or router was configured with a value it cannot work with (size < 1, no refs)."""


class HashKeyError(ActorError, ValueError):
    """A ``ConsistentHash`` key function raised, or returned an unhashable key.

    Raised to the sender, at ``tell``/``send``/``ask``, before anything is
    sent: the message was not delivered anywhere, so nothing is lost
    silently. ``__cause__`` is the key function's own exception.
    """
