"""``Probe.within``: a block of test code that must take between ``min`` and ``max`` seconds."""

from __future__ import annotations

import math
from types import TracebackType

import anyio


def _seconds(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number of seconds (got {value!r})")
    if value < 0:
        raise ValueError(f"{what} must be >= 0 seconds (got {value!r})")
    return float(value)


class Within:
    """The async context manager :meth:`Probe.within` returns; see there.

    While the block runs, its deadline is on top of ``deadlines`` (the
    probe's), which is where ``expect`` and ``fish`` take their default
    timeout from.
    """

    def __init__(self, deadlines: list[float], minimum: object, maximum: object) -> None:
        self.minimum = _seconds(minimum, "min")
        self.maximum = _seconds(maximum, "max")
        if self.minimum > self.maximum:
            raise ValueError(
                f"min must not exceed max (got min={minimum!r}, max={maximum!r}); swap them"
            )
        self._deadlines = deadlines
        self._start = 0.0
        self._scope: anyio.CancelScope | None = None

    async def __aenter__(self) -> Within:
        if self._scope is not None:
            raise RuntimeError("a within(...) block can be entered only once; call within again")
        self._start = anyio.current_time()
        deadline = self._start + self.maximum
        self._scope = anyio.CancelScope(deadline=deadline)
        self._scope.__enter__()
        self._deadlines.append(deadline)
        return self

    @property
    def remaining(self) -> float:
        """Seconds left until ``max`` (0 once it has passed), as Akka TestKit's ``remaining``."""
        return max(self._start + self.maximum - anyio.current_time(), 0.0)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        scope = self._scope
        assert scope is not None
        self._deadlines.pop()
        swallowed = bool(scope.__exit__(exc_type, exc, traceback))
        elapsed = anyio.current_time() - self._start
        # An expect inside, waiting for the time left, times out at the same
        # instant: trio reports that as the block's cancellation, asyncio as
        # the expect's TimeoutError. Either way the block overran max.
        timed_out = isinstance(exc, TimeoutError) and elapsed >= self.maximum
        if scope.cancelled_caught or timed_out:
            raise AssertionError(
                f"the block must finish within max={self.maximum} s but was still running "
                "then; it was cancelled"
            ) from (exc if timed_out else None)
        if exc_type is not None:
            return swallowed  # the block's own exception propagates unchanged
        if elapsed < self.minimum:
            raise AssertionError(
                f"the block must take at least min={self.minimum} s but finished after "
                f"{elapsed:.6g} s"
            )
        if elapsed > self.maximum:
            raise AssertionError(
                f"the block must finish within max={self.maximum} s but took {elapsed:.6g} s"
            )
        return False
