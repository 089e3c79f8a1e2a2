"""Timers: one task and one heap for every timer in a system.

A task per timer would make idle actors with timers cost a task each; one
heap keeps them at the cost of an entry. Deadlines use ``anyio.current_time``,
so timers run on trio's ``MockClock`` in virtual time.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from ._promise import Promise, PromiseFactory

logger = logging.getLogger(__name__)


def check_delay(value: float, what: str, *, allow_zero: bool) -> float:
    """Validate a delay or interval in seconds and return it as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise TypeError(f"{what} must be a number of seconds (got {value!r})")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{what} must be {bound} seconds (got {value!r})")
    return float(value)


class Timer:
    """A handle on a scheduled delivery; ``cancel()`` it to prevent what is still to come."""

    __slots__ = ("_callback", "_interval", "_on_done", "active", "deadline")

    def __init__(
        self,
        deadline: float,
        callback: Callable[[], None],
        interval: float | None,
        on_done: Callable[[Timer], None] | None,
    ) -> None:
        self.deadline = deadline
        self._callback = callback
        self._interval = interval
        self._on_done = on_done
        #: Whether the timer will still fire.
        self.active = True

    def cancel(self) -> None:
        """Prevent every delivery that has not happened yet; harmless if already done."""
        if self.active:
            self.active = False
            if self._on_done is not None:
                self._on_done(self)

    def _fire(self, now: float) -> bool:
        """Run the callback; return whether the timer should be pushed back on the heap."""
        interval = self._interval
        if interval is None:
            self.active = False
            if self._on_done is not None:
                self._on_done(self)
        else:
            # Fixed rate, but never a burst: skip deliveries the loop fell behind on.
            self.deadline = max(self.deadline + interval, now)
        try:
            self._callback()
        except Exception:
            logger.exception("timer callback %r failed", self._callback)
        return interval is not None and self.active


class TimerService:
    """Runs every timer of one actor system from a single task."""

    def __init__(self, new_promise: PromiseFactory) -> None:
        self._new_promise = new_promise
        self._heap: list[tuple[float, int, Timer]] = []
        self._sequence = itertools.count()
        self._wakeup: Promise | None = None

    def call_later(
        self,
        delay: float,
        callback: Callable[[], None],
        *,
        interval: float | None = None,
        on_done: Callable[[Timer], None] | None = None,
    ) -> Timer:
        """Run ``callback`` after ``delay`` seconds (then every ``interval``, if given)."""
        timer = Timer(anyio.current_time() + delay, callback, interval, on_done)
        self._push(timer)
        return timer

    def _push(self, timer: Timer) -> None:
        heap = self._heap
        earliest = heap[0][0] if heap else math.inf
        heapq.heappush(heap, (timer.deadline, next(self._sequence), timer))
        if timer.deadline < earliest and self._wakeup is not None:
            wakeup, self._wakeup = self._wakeup, None
            if not wakeup.done():
                wakeup.set_result(None)

    async def run(self) -> None:
        """Fire timers as they fall due, forever (until cancelled)."""
        heap = self._heap
        while True:
            now = anyio.current_time()
            while heap and heap[0][0] <= now:
                _, _, timer = heapq.heappop(heap)
                if timer.active and timer._fire(now):
                    heapq.heappush(heap, (timer.deadline, next(self._sequence), timer))
            self._wakeup = wakeup = self._new_promise()
            if heap:
                with anyio.move_on_after(heap[0][0] - now):
                    await wakeup
            else:
                await wakeup
            self._wakeup = None
