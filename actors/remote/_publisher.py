"""On trio: the frames to publish, handed to nats-py's loop in batches without waiting.

The node's outbound buffer (on the trio thread) hands over every frame it
holds at once; one publisher task on the client's loop publishes them in
order. Handing over costs one wakeup of that loop per batch, and the trio
side never waits for a batch to be written (a sequential ``ask`` would
otherwise pay a round trip between the threads for its request alone).
When that task is idle, the callback that wakes it publishes the frames
itself and writes them to the socket in the same turn of the loop, if nothing
there needs waiting (``RunPublisher.publish_now``): an ``ask`` one at a time
then leaves two turns sooner. At most ``capacity`` frames are handed over
and not yet published: beyond, the outbound buffer's sender waits, so its
bound (``tell`` dead-letters, ``send`` waits) keeps meaning what it says.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._neutral import Flag
from ._runs import PublishRun, RunPublisher, run_publisher

if TYPE_CHECKING:
    from ._bridge import Hosted


class Publisher:
    """Frames crossing from the trio thread to a publisher task on the client's loop."""

    def __init__(
        self,
        hosted: Hosted,
        nc: Any,
        errors: type[Exception] | tuple[type[Exception], ...],
        failed: Callable[[Any, Exception], None],
        capacity: int,
    ) -> None:
        self._hosted = hosted
        self._nc = nc
        self._errors = errors
        self._failed = failed
        self._capacity = capacity
        self._items: deque[Any] = deque()
        self._scheduled = False
        self._handed = 0  # written on trio only
        self._published = 0  # written on the client's loop only
        self._room = Flag()  # on trio
        self._waiting = False
        self._wakeup: asyncio.Event | None = None  # on the client's loop
        self._idle: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        #: Publishes and writes a run at once, when it can (fast path only; see ``_wake``).
        self._publish_now: Callable[[deque[Any]], int | None] | None = None

    # -- the trio side ------------------------------------------------------

    async def publish(self, batch: list[Any]) -> list[tuple[Any, Exception]]:
        """Hand ``batch`` over (in order after earlier ones); wait only while too many are."""
        self._items.extend(batch)
        self._handed += len(batch)
        if not self._scheduled:
            self._scheduled = True
            self._hosted.loop.call_soon_threadsafe(self._wake)
        while True:
            self._waiting = True  # before the check: the publisher then cannot miss it
            if self._handed - self._published < self._capacity:
                break
            self._room.clear()
            await self._room.wait()
        self._waiting = False
        return []  # failures are reported to ``failed`` as they happen

    def hand_now(self, item: Any) -> bool:
        """Hand one frame over at once, if fewer than ``capacity`` are handed and unpublished.

        For the node's outbound buffer when its sender is idle (see
        ``Outbound.offer``): the same deque and wakeup as :meth:`publish`, so
        the order with earlier batches holds; ``False`` leaves the frame to the
        buffer, whose bound then applies.
        """
        if self._handed - self._published >= self._capacity:
            return False
        self._items.append(item)
        self._handed += 1
        if not self._scheduled:
            self._scheduled = True
            self._hosted.loop.call_soon_threadsafe(self._wake)
        return True

    def _has_room(self) -> None:
        self._room.set()

    async def wait_published(self) -> None:
        """Return once every frame handed over has been given to the client."""
        await self._hosted.call(self._wait_idle)

    # -- the client's loop ------------------------------------------------

    def _wake(self) -> None:
        """The trio side handed frames over while nothing here was scheduled to take them.

        With the task idle they are published right here, in this callback, if
        that needs no waiting (``RunPublisher.publish_now``): the usual case
        of an ``ask``'s request or a reply, written to the socket in this turn
        of the loop where waking the task took three (the task, nats-py's
        flusher task, then the write), each a pass that gives the GIL up to the
        trio thread and waits to take it back. Anything else wakes the task.
        Either way the frames leave in the order they were handed over: the
        task takes none while it is idle, and this takes none while it is not.
        """
        idle = self._idle
        if idle is None or self._wakeup is None:
            return
        if idle.is_set() and self._publish_now is not None:
            count = self._publish_now(self._items)
            if count is not None:
                self._published += count
                # As the task does: one more turn before going idle (see ``_run``).
                self._hosted.loop.call_soon(self._settle)
                return
        self._wakeup.set()

    def _settle(self) -> None:
        """A turn after publishing in the callback: what came meanwhile, else idle again."""
        if self._items:  # handed over with no wakeup (this was still scheduled)
            self._wake()
            return
        idle = self._idle
        if idle is None or not idle.is_set():
            return  # the task runs, and goes idle itself
        self._scheduled = False
        if self._items:  # handed just before the reset: the trio side did not wake us
            self._scheduled = True
            self._wake()
        elif self._waiting:
            self._hosted.to_trio(self._has_room)

    async def _wait_idle(self) -> None:
        # Polled, once at detach: the publisher may be between its wakeup and its batch.
        idle = self._idle
        while self._items or (idle is not None and not idle.is_set()):  # noqa: ASYNC110
            await asyncio.sleep(0.001)

    async def start(self) -> None:
        """Start the publisher task on the client's loop (before the first hand-over)."""
        await self._hosted.call(self._start)

    async def _start(self) -> None:
        publish_run = run_publisher(self._nc, self._errors)
        if isinstance(publish_run, RunPublisher):
            self._publish_now = publish_run.publish_now
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task = asyncio.get_running_loop().create_task(
            self._run(publish_run, self._wakeup, self._idle)
        )

    async def _run(
        self, publish_run: PublishRun, wakeup: asyncio.Event, idle: asyncio.Event
    ) -> None:
        """The publisher task: publish what is handed over, in order; ends with the loop."""
        items = self._items
        hosted = self._hosted

        def failed(item: Any, error: Exception) -> None:
            hosted.to_trio(self._failed, item, error)

        while True:
            while items:
                self._published += await publish_run(items, failed)
            # Only now may the trio side wake this task again (one wakeup per idle spell);
            # a frame handed over just before the reset is seen by the check after it.
            # One more turn of the loop before going idle: the trio side often hands
            # more meanwhile, and then needs no wakeup (a socket write and a GIL hand-over).
            await asyncio.sleep(0)
            if items:
                continue
            self._scheduled = False
            if items:
                self._scheduled = True
                continue
            if self._waiting:
                self._hosted.to_trio(self._has_room)
            idle.set()
            await wakeup.wait()
            wakeup.clear()
            idle.clear()
