"""Stand-ins on trio for the asyncio primitives the node uses: a future, a task, a flag.

On asyncio the node keeps using asyncio's own (they are the cheapest there);
on trio it uses these, built on trio's own primitives (cheaper there than
anyio's wrappers: the remote hot path creates several per message).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any

import anyio
from anyio.abc import TaskGroup, TaskStatus


def new_event() -> Any:
    """A ``trio.Event`` (trio is imported only by a program that runs on it)."""
    import trio  # noqa: PLC0415

    return trio.Event()


def loop_clock() -> Callable[[], float]:
    """``anyio.current_time`` of the calling event loop, bound once (called per message).

    The same clock, without anyio's look-up of the running backend on each
    call (about 0.6 us on asyncio); only for the loop it was bound on.
    """
    import sniffio  # noqa: PLC0415

    if sniffio.current_async_library() == "asyncio":
        import asyncio  # noqa: PLC0415

        return asyncio.get_running_loop().time
    import trio  # noqa: PLC0415

    return trio.current_time


def new_cancel_scope() -> Any:
    """A ``trio.CancelScope``."""
    import trio  # noqa: PLC0415

    return trio.CancelScope()


class Future:
    """A backend-neutral one-shot result with the part of ``asyncio.Future`` the node uses."""

    __slots__ = ("_callbacks", "_event", "_exception", "_result")

    def __init__(self) -> None:
        self._event = new_event()
        self._result: Any = None
        self._exception: BaseException | None = None
        self._callbacks: list[Callable[[Future], None]] = []

    def done(self) -> bool:
        return bool(self._event.is_set())

    def _finish(self) -> None:
        self._event.set()
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def set_result(self, result: Any) -> None:
        if not self.done():
            self._result = result
            self._finish()

    def set_exception(self, exception: BaseException) -> None:
        if not self.done():
            self._exception = exception
            self._finish()

    def cancel(self) -> bool:
        if self.done():
            return False
        self._exception = RuntimeError("the reply is no longer awaited (cancelled)")
        self._finish()
        return True

    def add_done_callback(self, callback: Callable[[Future], None]) -> None:
        if self.done():
            callback(self)
        else:
            self._callbacks.append(callback)

    def __await__(self) -> Generator[Any, Any, Any]:
        return self._wait().__await__()

    async def _wait(self) -> Any:
        await self._event.wait()
        if self._exception is not None:
            raise self._exception
        return self._result


class Task(Future):
    """A coroutine started on the node's task group, awaitable and cancellable like a task."""

    __slots__ = ("_scope",)

    def __init__(self) -> None:
        super().__init__()
        self._scope = new_cancel_scope()

    def cancel(self) -> bool:
        self._scope.cancel()
        return super().cancel()

    async def run(
        self,
        fn: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        *,
        task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        # ``started`` first: ``fn`` then runs its first step before the starter resumes,
        # so what it does before its first wait (putting a request in a mailbox) is in order.
        task_status.started()
        with self._scope:
            try:
                result = await fn(*args)
            except Exception as error:
                self.set_exception(error)
            else:
                self.set_result(result)
        if not self.done():
            self.cancel()


async def begin(task_group: TaskGroup, fn: Callable[..., Awaitable[Any]], *args: Any) -> Task:
    """Start ``fn(*args)`` now, in order with others begun; its awaitable, cancellable task."""
    task = Task()
    await task_group.start(task.run, fn, args)
    return task


class Flag:
    """``asyncio.Event``'s set/clear/wait on any backend (the outbound buffer's signals)."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = new_event()

    def is_set(self) -> bool:
        return bool(self._event.is_set())

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        if self._event.is_set():
            self._event = new_event()

    async def wait(self) -> None:
        await self._event.wait()
