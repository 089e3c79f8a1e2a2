"""The errors of sharding."""

from __future__ import annotations

from actors import ActorError


class ShardingError(ActorError):
    """Sharding cannot do what was asked as configured (a durable reminder without a journal).

    The message names what is missing and how to provide it.
    """
