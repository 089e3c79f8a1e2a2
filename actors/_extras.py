"""What only some actors need: kept out of the cell until first used.

An idle actor pays one pointer for all of this; an actor that has failed,
been restarted or timed, watches or is watched, has timers or children that
failed, or has stashed messages or switched behaviour carries it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from supervision import RestartHistory

if TYPE_CHECKING:
    from ._promise import Promise
    from ._ref import ActorRef
    from ._timers import Timer

#: How many recent handling-time samples an actor keeps for its percentile.
RECENT_SAMPLES = 32


class CellExtras:
    """Statistics, watches, timers, stash and behaviour stack of one actor."""

    __slots__ = (
        "behaviours",
        "failed_envelope",
        "failures",
        "handling_ns",
        "recent_next",
        "recent_ns",
        "restart_history",
        "restart_times",
        "restarts",
        "retry_message",
        "space_waiters",
        "stash",
        "stop_cause",
        "termination_waiters",
        "timers",
        "watchers",
        "watching",
    )

    def __init__(self) -> None:
        #: How often this actor failed, and was restarted, in its lifetime.
        self.failures = 0
        self.restarts = 0
        #: When this actor was restarted (``anyio.current_time``), oldest first.
        self.restart_times: list[float] = []
        #: Estimated nanoseconds spent running this actor's handlers.
        self.handling_ns = 0
        #: A ring of recent per-turn handling times, for a percentile.
        self.recent_ns: list[int] = []
        self.recent_next = 0
        #: Messages put aside with ``context.stash()``, oldest first.
        self.stash: deque[tuple[object, Promise | None]] | None = None
        #: Handlers pushed with ``context.become(..., discard_old=False)``.
        #: Each entry is (receive, receiver, is_async), as the cell holds them.
        self.behaviours: list[tuple[Callable[[Any, Any], Any] | None, object, bool]] | None = None
        #: As a supervisor: the restarts of its children in the current window.
        self.restart_history = RestartHistory()
        #: Refs that get ``Terminated`` when this actor stops, and refs it watches.
        self.watchers: dict[ActorRef, None] | None = None
        self.watching: dict[ActorRef, None] | None = None
        #: The failure this actor was stopped for (by its supervisor), if any:
        #: the cause of the ``ActorStopped`` its unanswered asks get.
        self.stop_cause: BaseException | None = None
        #: Live timers of the current instance.
        self.timers: set[Timer] | None = None
        #: Senders waiting for room in a full BACKPRESSURE mailbox, oldest first.
        self.space_waiters: deque[Promise] | None = None
        #: Promises completed when this actor has stopped.
        self.termination_waiters: list[Promise] | None = None
        #: This actor's own ``retry_message`` (its child spec's or spawn's), and
        #: the failed message held at the front of the stash until its parent
        #: decides (see ``_retry.py``).
        self.retry_message = 0
        self.failed_envelope: tuple[object, Promise | None] | None = None

    def record_handling(self, nanoseconds: int, weight: int) -> None:
        """Add one measured turn (standing for ``weight`` turns when sampled)."""
        self.handling_ns += nanoseconds * weight
        recent = self.recent_ns
        if len(recent) < RECENT_SAMPLES:
            recent.append(nanoseconds)
        else:
            recent[self.recent_next] = nanoseconds
            self.recent_next = (self.recent_next + 1) % RECENT_SAMPLES

    def recent_percentile(self, fraction: float) -> float | None:
        """The ``fraction`` percentile of recent turn times, in seconds (``None`` before any)."""
        if not self.recent_ns:
            return None
        ordered = sorted(self.recent_ns)
        index = min(len(ordered) - 1, int(fraction * len(ordered)))
        return ordered[index] / 1e9
