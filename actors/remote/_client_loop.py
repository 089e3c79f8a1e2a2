"""On trio: the one asyncio loop, in one helper thread, that hosts every node's nats-py client.

A process has at most one such loop at a time, shared by every node attached
on trio (and by any other hosted client), as on asyncio every node of a
process shares the one event loop. It starts with the first user and ends
(its thread joined, the loop closed) with the last.

Sharing matters for speed: each thread that runs Python takes the GIL in
turn, and every hand-over between threads costs a wakeup and a context switch
on top of the work itself. Two nodes in one process (tests, benchmarks,
several systems in one program) with a loop each run three threads where two
do.

Each user owns the tasks created on its behalf: :meth:`ClientLoop.run` gives
the coroutine a context naming its owner, every task created from it (and
from those tasks, such as nats-py's reading and flushing tasks) inherits that
context, and a task factory files each task under its owner. Releasing one
user cancels its own tasks only.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import weakref
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, ClassVar

logger = logging.getLogger(__name__)

#: Who a task on the client loop was created for (``None``: nobody in particular).
_OWNER: contextvars.ContextVar[object | None] = contextvars.ContextVar(
    "anyactors_client_loop_owner", default=None
)
#: Guards starting and ending the shared loop.
_LOCK = threading.Lock()
#: A block larger than any one socket read of asyncio's (256 KiB, allocated per read).
_ABOVE_A_READ = 512 * 1024


def _keep_reads_off_mmap() -> None:
    """Allocate and free one block larger than a socket read: glibc then serves reads from its heap.

    asyncio's socket transport reads into a fresh 256 KiB ``bytes`` each time
    and shrinks it to what arrived. Above glibc's initial ``mmap`` threshold
    (128 KiB), each such buffer is an ``mmap``, an ``mremap`` and an
    ``munmap``; with the trio thread running on another CPU, each ``munmap``
    also interrupts that CPU to flush its TLB. glibc raises the threshold to
    the size of any mmapped block that is freed (``mallopt(3)``, "dynamic
    mmap threshold"), which a long-running process usually does sooner or
    later; doing it once here makes it so from the first read. Elsewhere
    (another libc, a threshold already raised) it changes nothing.
    """
    block = bytearray(_ABOVE_A_READ)
    del block


class ClientLoop:
    """An asyncio loop running forever in a daemon thread, counted by its users."""

    #: The process's loop while it has users.
    shared: ClassVar[ClientLoop | None] = None

    def __init__(self) -> None:
        _keep_reads_off_mmap()
        self.loop = asyncio.new_event_loop()
        self.loop.set_task_factory(self._new_task)
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="anyactors nats-py loop", daemon=True
        )
        self._users = 0
        #: By owner: the tasks created on its behalf (weakly held: done tasks go).
        self._tasks: weakref.WeakKeyDictionary[object, weakref.WeakSet[asyncio.Task[Any]]] = (
            weakref.WeakKeyDictionary()
        )

    @staticmethod
    def acquire() -> ClientLoop:
        """The process's client loop, started if there is none; release it when done."""
        with _LOCK:
            shared = ClientLoop.shared
            if shared is None:
                shared = ClientLoop.shared = ClientLoop()
                shared.thread.start()
            shared._users += 1
            return shared

    def run(self, owner: object, coroutine: Coroutine[Any, Any, Any]) -> Future[Any]:
        """Schedule ``coroutine`` on the loop as a task of ``owner``; its future.

        The context is fresh (the caller's would tell anyio, through sniffio,
        that trio runs there), holding only the owner.
        """
        context = contextvars.Context()
        context.run(_OWNER.set, owner)
        return context.run(asyncio.run_coroutine_threadsafe, coroutine, self.loop)

    def _new_task(
        self, loop: asyncio.AbstractEventLoop, coroutine: Any, **options: Any
    ) -> asyncio.Task[Any]:
        task = asyncio.Task(coroutine, loop=loop, **options)  # options: context=, on 3.13 name=
        context: contextvars.Context | None = options.get("context")
        owner = _OWNER.get() if context is None else context.get(_OWNER)
        if owner is not None:
            owned = self._tasks.get(owner)
            if owned is None:
                owned = self._tasks[owner] = weakref.WeakSet()
            owned.add(task)
        return task

    async def _cancel_tasks_of(self, owner: object) -> None:
        """On the loop: cancel ``owner``'s tasks and wait for them (as ``asyncio.run`` does)."""
        owned = self._tasks.pop(owner, None)
        current = asyncio.current_task()
        tasks = [task for task in owned or () if task is not current and not task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def release(self, owner: object, timeout: float) -> None:
        """From any thread but the loop's: cancel ``owner``'s tasks and give up one use.

        The last user's release stops the loop, joins its thread and closes
        the loop; each step waits at most ``timeout`` seconds.
        """
        finishing = contextvars.Context().run(
            asyncio.run_coroutine_threadsafe, self._cancel_tasks_of(owner), self.loop
        )
        try:
            finishing.result(timeout=timeout)
        except Exception as error:  # a task that will not end: the user leaves anyway
            logger.warning("the NATS client's loop did not finish cleanly: %r", error)
        with _LOCK:
            self._users -= 1
            if self._users > 0:
                return
            if ClientLoop.shared is self:
                ClientLoop.shared = None
            self._stop(timeout)

    def _stop(self, timeout: float) -> None:
        loop = self.loop
        finishing = contextvars.Context().run(
            asyncio.run_coroutine_threadsafe, _cancel_everything(), loop
        )
        try:
            finishing.result(timeout=timeout)
        except Exception as error:
            logger.warning("the NATS client's loop did not finish cleanly: %r", error)
        loop.call_soon_threadsafe(loop.stop)
        self.thread.join(timeout)
        if not loop.is_running():
            loop.close()


async def _cancel_everything() -> None:
    """On the loop, last: cancel what is left and wait for it, as ``asyncio.run`` does."""
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.get_running_loop().shutdown_asyncgens()
