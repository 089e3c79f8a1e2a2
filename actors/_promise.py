"""One-shot promises: the cheapest way to park one task until a value arrives.

``ask`` and the scheduler's idle wait are on the hot path, so instead of an
``anyio.Event`` plus a result slot we use the backend's own primitive: an
``asyncio.Future`` on asyncio, and ``wait_task_rescheduled`` on trio. Anything
else falls back to an ``anyio.Event``. All three expose the same small surface.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Generator
from typing import Any, Protocol

import anyio


class Completion(Protocol):
    """The side of a promise that the runtime uses: it answers, it never awaits.

    What ``ActorRef._ask_soon`` takes: a reply slot that something other than
    a task waits on (a blocked thread, in ``actors.blocking``).
    """

    def done(self) -> bool: ...
    def set_result(self, result: Any, /) -> None: ...
    def set_exception(self, exception: BaseException, /) -> None: ...


class Promise(Completion, Protocol):
    """A value that one task awaits and another sets exactly once.

    Completing a promise that is already done (or whose waiter was cancelled) is
    ignored, so completions never raise.
    """

    def __await__(self) -> Generator[Any, Any, Any]: ...


PromiseFactory = Callable[[], Promise]


def complete(promise: Promise, result: object) -> None:
    """Set ``result`` unless the promise is already done (or its waiter left)."""
    if not promise.done():
        promise.set_result(result)


def fail(promise: Promise, exception: BaseException) -> None:
    """Set ``exception`` unless the promise is already done (or its waiter left)."""
    if not promise.done():
        promise.set_exception(exception)


class _EventPromise:
    """Backend-neutral promise on an ``anyio.Event``."""

    __slots__ = ("_event", "_exception", "_result")

    def __init__(self) -> None:
        self._event = anyio.Event()
        self._result: Any = None
        self._exception: BaseException | None = None

    def done(self) -> bool:
        return self._event.is_set()

    def set_result(self, result: Any, /) -> None:
        self._result = result
        self._event.set()

    def set_exception(self, exception: BaseException, /) -> None:
        self._exception = exception
        self._event.set()

    def __await__(self) -> Generator[Any, Any, Any]:
        return self._wait().__await__()

    async def _wait(self) -> Any:
        await self._event.wait()
        if self._exception is not None:
            raise self._exception
        return self._result


def _trio_promise_factory() -> PromiseFactory:
    import outcome  # noqa: PLC0415 - trio and its outcome load only when trio runs the loop
    import trio  # noqa: PLC0415

    reschedule = trio.lowlevel.reschedule
    current_task = trio.lowlevel.current_task
    wait_task_rescheduled = trio.lowlevel.wait_task_rescheduled
    abort_succeeded = trio.lowlevel.Abort.SUCCEEDED

    class TrioPromise:
        """Promise on trio's lowest-level park/unpark pair."""

        __slots__ = ("_outcome", "_task")

        def __init__(self) -> None:
            self._outcome: outcome.Outcome[Any] | None = None
            self._task: Any = None

        def done(self) -> bool:
            return self._outcome is not None

        def _settle(self, result: outcome.Outcome[Any]) -> None:
            self._outcome = result
            task = self._task
            if task is not None:
                self._task = None
                reschedule(task, result)

        def set_result(self, result: Any, /) -> None:
            self._settle(outcome.Value(result))

        def set_exception(self, exception: BaseException, /) -> None:
            self._settle(outcome.Error(exception))

        def _abort(self, _raise_cancel: Any) -> Any:
            # The waiter was cancelled: later completions have nobody to wake.
            self._task = None
            self._outcome = outcome.Value(None)
            return abort_succeeded

        def __await__(self) -> Generator[Any, Any, Any]:
            if self._outcome is not None:
                return self._outcome.unwrap()
            self._task = current_task()
            return (yield from wait_task_rescheduled(self._abort).__await__())

    return TrioPromise


def promise_factory() -> PromiseFactory:
    """Return the fastest promise constructor for the running event loop.

    Must be called from inside the event loop that will await the promises.
    """
    if "trio" in sys.modules:
        import trio  # noqa: PLC0415 - never import trio for an asyncio program

        try:
            trio.lowlevel.current_task()
        except RuntimeError:
            pass
        else:
            return _trio_promise_factory()
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return _EventPromise
    return loop.create_future
