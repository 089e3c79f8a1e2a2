"""``CircuitBreaker``: fail fast while a resource keeps failing, then try it again."""

from __future__ import annotations

import enum
import inspect
import logging
import math
from collections.abc import Callable
from typing import Any

import anyio
from attrs import frozen

from actors import EventStream

from ._errors import CircuitOpenError, InvalidSetting

logger = logging.getLogger(__name__)


class CircuitState(enum.Enum):
    """``CLOSED``: calls go through. ``OPEN``: calls fail fast. ``HALF_OPEN``: one trial call."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@frozen(kw_only=True)
class CircuitStateChanged:
    """Circuit breaker ``name`` moved from ``previous`` to ``current`` at time ``at``."""

    name: str
    previous: CircuitState
    current: CircuitState
    failures: int
    at: float


class CircuitBreaker:
    """Guards calls to an unreliable resource from inside an actor.

    ``CLOSED``: calls go through; ``failure_threshold`` consecutive failures
    open it. ``OPEN``: calls raise :class:`CircuitOpenError` at once, without
    calling; after ``reset_timeout`` seconds it turns ``HALF_OPEN``. Then one
    trial call goes through (others fail fast meanwhile): success closes it,
    failure opens it again for another ``reset_timeout``. A call that takes
    longer than ``call_timeout`` is cancelled and counts as a failure
    (``TimeoutError``). Every transition is published on ``event_stream``
    (if given) as :class:`CircuitStateChanged`, and logged.

    Time is ``anyio.current_time()``, so it runs in virtual time on a mock
    clock. A breaker is a plain object: made in ``__init__`` it is reset by
    a restart; made by the parent and passed as a constructor argument it
    keeps its state across restarts. Cancellation of a call propagates and
    counts as neither success nor failure.

    Raises:
        InvalidSetting: a threshold < 1, or a timeout that is not > 0.
    """

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        call_timeout: float | None = None,
        event_stream: EventStream | None = None,
    ) -> None:
        if (
            isinstance(failure_threshold, bool)
            or not isinstance(failure_threshold, int)
            or failure_threshold < 1
        ):
            raise InvalidSetting(
                f"failure_threshold must be a whole number >= 1 (got {failure_threshold!r})"
            )
        for what, value in (("reset_timeout", reset_timeout), ("call_timeout", call_timeout)):
            if value is None and what == "call_timeout":
                continue
            if (
                not isinstance(value, int | float)
                or isinstance(value, bool)
                or not (0 < value < math.inf)
            ):
                raise InvalidSetting(
                    f"{what} must be a finite number of seconds > 0 (got {value!r})"
                )
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = float(reset_timeout)
        self.call_timeout = call_timeout
        self.event_stream = event_stream
        self.failures = 0
        self._state = CircuitState.CLOSED
        self._opened_at = 0.0
        self._trial_running = False

    @property
    def state(self) -> CircuitState:
        """The current state (an open breaker past its ``reset_timeout`` turns half-open here)."""
        if (
            self._state is CircuitState.OPEN
            and anyio.current_time() >= self._opened_at + self.reset_timeout
        ):
            self._move(CircuitState.HALF_OPEN)
        return self._state

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call ``fn(*args)`` (awaiting it if it returns an awaitable) through the breaker.

        Raises:
            CircuitOpenError: the breaker is open, or half-open with its trial
                call running; ``fn`` was not called.
            Exception: whatever ``fn`` raised (counted as a failure), or
                ``TimeoutError`` after ``call_timeout``.
        """
        state = self.state
        if state is CircuitState.OPEN or (state is CircuitState.HALF_OPEN and self._trial_running):
            remaining = max(self._opened_at + self.reset_timeout - anyio.current_time(), 0.0)
            raise CircuitOpenError(
                f"circuit {self.name!r} is {state.value} after {self.failures} "
                "consecutive failures; "
                f"calls fail fast for {remaining:.3g} s more (reset_timeout={self.reset_timeout}); "
                "retry later or handle the error"
            )
        trial = state is CircuitState.HALF_OPEN
        self._trial_running = trial
        try:
            with anyio.fail_after(self.call_timeout):
                result = fn(*args)
                if inspect.isawaitable(result):
                    result = await result
        except Exception:
            self.record_failure()
            raise
        finally:
            if trial:
                self._trial_running = False
        self.record_success()
        return result

    def record_success(self) -> None:
        """Count a success (for calls made without :meth:`call`): closes a half-open breaker."""
        self.failures = 0
        if self._state is not CircuitState.CLOSED:
            self._move(CircuitState.CLOSED)

    def record_failure(self) -> None:
        """Count a failure (for calls made without :meth:`call`)."""
        self.failures += 1
        if self._state is CircuitState.HALF_OPEN or (
            self._state is CircuitState.CLOSED and self.failures >= self.failure_threshold
        ):
            self._opened_at = anyio.current_time()
            self._move(CircuitState.OPEN)

    def _move(self, state: CircuitState) -> None:
        previous, self._state = self._state, state
        logger.info("circuit %s: %s -> %s", self.name, previous.value, state.value)
        if self.event_stream is not None:
            self.event_stream.publish(
                CircuitStateChanged(
                    name=self.name,
                    previous=previous,
                    current=state,
                    failures=self.failures,
                    at=anyio.current_time(),
                )
            )
