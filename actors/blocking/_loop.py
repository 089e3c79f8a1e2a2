"""``LoopThread``: one event loop, asyncio or trio, in a background thread, fed from others.

Why not ``anyio.from_thread.start_blocking_portal``: a portal call takes three
thread hand-offs (the caller waits until the loop has *spawned* the task, then
again for its result) where two suffice, and it measured two to three times slower
per ``ask`` (docs/benchmarks.md). Here every call from another thread is one
callback queued on the loop's own thread-safe entry (asyncio's
``call_soon_threadsafe``, trio's ``TrioToken.run_sync_soon``): one wake-up of
the loop, and one of the caller when its reply is set. Both entries run
callbacks in the order they were queued, so calls from one thread reach the
loop in the order made. These two entries and the spawning of a task are the
only backend-specific lines; everything that runs in the loop is anyio.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from typing import Any

import anyio

from ._latch_loop import latch_loop_factory

logger = logging.getLogger(__name__)

#: The event loops a blocking system can run on.
BACKENDS = ("asyncio", "trio")


class LoopThread:
    """Runs ``main()`` on a fresh event loop in a daemon thread.

    While ``main`` runs, :meth:`call_soon` queues a plain function for the
    loop from any thread, and :meth:`start_task` (on the loop thread only)
    starts a task that is cancelled when ``main`` returns.
    """

    def __init__(self, backend: str, name: str) -> None:
        self.backend = backend
        self.name = name
        self.ident: int | None = None
        self.error: BaseException | None = None
        self._entry: Callable[..., object] | None = None
        self._spawn: Callable[..., object] | None = None
        self._thread: threading.Thread | None = None

    def start(self, main: Callable[[], Awaitable[None]], ended: Callable[[], None]) -> None:
        """Start the thread; ``ended()`` runs in it once the loop has finished, however."""
        self._thread = threading.Thread(
            target=self._run, args=(main, ended), name=self.name, daemon=True
        )
        self._thread.start()

    def join(self) -> None:
        """Wait until the thread has ended."""
        if self._thread is not None:
            self._thread.join()

    def is_current(self) -> bool:
        """Whether the calling thread is this loop's thread."""
        return self.ident == threading.get_ident()

    def call_soon(self, fn: Callable[..., object], *args: Any) -> None:
        """Queue ``fn(*args)`` to run on the loop, from any thread (FIFO; it must not raise)."""
        assert self._entry is not None
        self._entry(fn, *args)

    def start_task(self, fn: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> None:
        """Start ``fn(*args)`` as a task of the loop; call only on the loop thread."""
        assert self._spawn is not None
        self._spawn(fn, *args)

    def _run(self, main: Callable[[], Awaitable[None]], ended: Callable[[], None]) -> None:
        self.ident = threading.get_ident()
        try:
            options = {"loop_factory": latch_loop_factory()} if self.backend == "asyncio" else {}
            anyio.run(self._serve, main, backend=self.backend, backend_options=options)
        except BaseException as error:  # handed to the thread that joins
            self.error = error
        finally:
            ended()

    async def _serve(self, main: Callable[[], Awaitable[None]]) -> None:
        if self.backend == "trio":
            await self._serve_trio(main)
        else:
            await self._serve_asyncio(main)

    async def _serve_asyncio(self, main: Callable[[], Awaitable[None]]) -> None:
        loop = asyncio.get_running_loop()
        tasks: set[asyncio.Task[None]] = set()

        async def run(fn: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> None:
            try:
                await fn(*args)
            finally:  # cheaper than a done-callback, which costs a turn of the loop
                tasks.discard(asyncio.current_task())

        def spawn(fn: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> None:
            tasks.add(loop.create_task(run(fn, *args)))

        self._spawn = spawn
        # Callbacks run in the loop's own context, not the calling thread's:
        # there anyio knows it runs on asyncio (``anyio.current_time()``,
        # ``anyio.Event()`` work in them, as they do in a task).
        self._entry = partial(loop.call_soon_threadsafe, context=contextvars.copy_context())
        try:
            await main()
        finally:
            for task in list(tasks):
                task.cancel()
            if tasks:
                # Shielded: each cancelled task settles its caller's reply first.
                with anyio.CancelScope(shield=True):
                    await asyncio.wait(tasks)

    async def _serve_trio(self, main: Callable[[], Awaitable[None]]) -> None:
        import trio  # noqa: PLC0415 - only when trio runs the loop

        token = trio.lowlevel.current_trio_token()
        async with trio.open_nursery() as nursery:
            self._spawn = nursery.start_soon
            self._entry = token.run_sync_soon
            try:
                await main()
            finally:
                nursery.cancel_scope.cancel()
