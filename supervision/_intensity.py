"""Restart intensity: how many restarts happened in a sliding time window."""

from __future__ import annotations

from attrs import field, frozen

__all__ = ["RestartHistory"]


def _to_tuple(value: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(value)


@frozen
class RestartHistory:
    """The times of a supervisor's recent restarts, oldest first.

    Immutable: `record` returns a new history. Times are in seconds on any
    monotonic clock; the caller passes the current time as `now`. As in
    OTP, a supervisor exceeds its restart intensity when, after recording a
    restart, more than `max_restarts` restarts lie in the window.

    Attributes:
        timestamps: The times of the restarts still remembered, ascending.
    """

    timestamps: tuple[float, ...] = field(default=(), converter=_to_tuple)

    def count(self, now: float, within: float) -> int:
        """Return the number of restarts in the window `(now - within, now]`.

        Args:
            now: The current time, in seconds.
            within: The window's length, in seconds.

        Returns:
            How many remembered restarts happened after `now - within` and
            no later than `now`.
        """
        cutoff = now - within
        return sum(1 for t in self.timestamps if cutoff < t <= now)

    def record(self, now: float, within: float) -> RestartHistory:
        """Return a history with a restart at `now`, forgetting old restarts.

        Restarts at or before `now - within` are dropped; they can never
        count again, since time only moves forward.

        Args:
            now: The time of the restart, in seconds.
            within: The window's length, in seconds.

        Returns:
            The new history; `self` is unchanged.
        """
        cutoff = now - within
        return RestartHistory((*(t for t in self.timestamps if t > cutoff), now))
