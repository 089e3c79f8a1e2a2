"""Virtual time: timers, backoff and timeouts that run instantly.

On trio, :func:`virtual_time_backend` gives an ``anyio_backend`` value with
``trio.testing.MockClock(autojump_threshold=0)``: whenever every task is
blocked the clock jumps to the next deadline. On asyncio,
:class:`VirtualTimeLoop` does the same for the event loop's clock, which is
what :func:`~actors.testing.run_deterministic` runs on. Everything in
anyactors reads ``anyio.current_time()``, so both apply to timers, restart
backoff, ``ask(timeout=...)`` and retry delays alike.
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any


def virtual_time_backend() -> tuple[str, dict[str, Any]]:
    """An ``anyio_backend`` value: trio with a ``MockClock`` that jumps when all is idle.

    Use it to override the fixture for the tests that need virtual time::

        @pytest.fixture
        def anyio_backend():
            return virtual_time_backend()

    Imports trio when called (trio is a test dependency, not a runtime one).
    In such tests give every wait a timeout beyond the scenario's own delays:
    the clock also jumps to a ``fail_after`` deadline when nothing else is due.
    """
    import trio.testing  # noqa: PLC0415 - trio is needed only when this is called

    return ("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)})


class _VirtualSelector(selectors.DefaultSelector):
    """Polls real I/O without blocking; a wait for a timer advances the loop's clock instead."""

    loop: VirtualTimeLoop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events: list[tuple[selectors.SelectorKey, int]] = super().select(0)
        if events or timeout == 0:
            return events
        if timeout is None:
            # Nothing is scheduled at all: only real I/O (another thread) can help.
            return list(super().select(None))
        self.loop.advance(timeout)
        return events


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio event loop whose clock jumps to the next timer when nothing is ready.

    Time starts at 0 and moves only by jumps, so a run is reproducible: the
    same program sees the same times. Real I/O still works (it is polled),
    but a program that waits on real I/O is no longer deterministic.
    Pass it as ``anyio.run(..., backend_options={"loop_factory": VirtualTimeLoop})``.
    """

    def __init__(self) -> None:
        selector = _VirtualSelector()
        super().__init__(selector)
        selector.loop = self
        self._virtual_now = 0.0

    def time(self) -> float:
        """The virtual time, in seconds since the loop was created."""
        return self._virtual_now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (>= 0)."""
        self._virtual_now += max(seconds, 0.0)
