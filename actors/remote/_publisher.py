"""On trio: the node's outbound buffer, its frames handed to nats-py's loop without waiting.

Each frame a ``tell``, ``send`` or ``ask`` queues goes at once into a deque
that one publisher task on the client's loop empties, publishing in order.
That task is woken only when it is idle: one wakeup per batch of frames, and
none while it is still publishing (it takes one more turn of its loop
before going idle, to catch what arrives meanwhile). A request or a reply
wakes it at once; one-way frames (``tell``) wake it once the sender's pass
of trio's scheduler is over, so a burst crosses as one batch. The trio side never
waits for a frame to be written (a sequential ``ask`` would otherwise pay a
round trip between the threads for its request alone), and no trio task
stands between the sender and the hand-over (each would cost a pass of trio's
scheduler, and a hand-over of the GIL, per batch).

At most ``capacity`` frames are handed over and not yet published: beyond,
``offer`` refuses, so the buffer's bound (``tell`` dead-letters, ``send``
and ``ask`` wait) means what it does on asyncio.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._neutral import Flag

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
        self._lazy = Flag()  # on trio: one-way frames were handed over to an idle loop
        self._waiting = False
        self._wakeup: asyncio.Event | None = None  # on the client's loop
        self._idle: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    # -- the trio side: what the node's outbound buffer is on asyncio ------

    def __len__(self) -> int:
        return self._handed - self._published

    def full(self) -> bool:
        """Whether ``capacity`` frames are handed over and not yet published."""
        return self._handed - self._published >= self._capacity

    def offer(self, item: Any) -> bool:
        """Hand one frame over, in order after earlier ones; ``False`` if too many wait.

        The client's loop is woken only if it is idle: one wakeup per batch of
        frames, not per frame, and none while it is still publishing.
        """
        if self._handed - self._published >= self._capacity:
            return False
        self._items.append(item)
        self._handed += 1
        if not self._scheduled:
            if item[1] or item[3] is None:  # a request or a reply: someone waits for it
                self._scheduled = True
                self._hosted.loop.call_soon_threadsafe(self._wake)
            elif not self._lazy.is_set():
                self._lazy.set()
        return True

    async def run_waker(self) -> None:
        """On trio, for ``tell``: wake the client's loop once per pass of trio's scheduler.

        A burst of one-way frames then crosses as one batch, with one wakeup,
        after the sender's pass (a frame someone waits for wakes the loop at once).
        """
        lazy = self._lazy
        while True:
            await lazy.wait()
            lazy.clear()
            if not self._scheduled:
                self._scheduled = True
                self._hosted.loop.call_soon_threadsafe(self._wake)

    async def wait_for_room(self, give_up: Callable[[], bool]) -> None:
        """Wait while the buffer is full, unless ``give_up()`` says to stop waiting."""
        while True:
            self._waiting = True  # before the check: the publisher then cannot miss it
            if not self.full() or give_up():
                break
            self._room.clear()
            await self._room.wait()
        self._waiting = False

    def _has_room(self) -> None:
        self._room.set()

    async def wait_drained(self) -> None:
        """Return once every frame handed over has been given to the client."""
        if self._handed != self._published:
            await self._hosted.call(self._wait_idle)

    # -- the client's loop ------------------------------------------------

    def _wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    async def _wait_idle(self) -> None:
        # Polled, once at detach: the publisher may be between its wakeup and its batch.
        idle = self._idle
        while self._items or (idle is not None and not idle.is_set()):  # noqa: ASYNC110
            await asyncio.sleep(0.001)

    async def start(self) -> None:
        """Start the publisher task on the client's loop (before the first hand-over)."""
        await self._hosted.call(self._start)

    async def _start(self) -> None:
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task = asyncio.get_running_loop().create_task(self._run(self._wakeup, self._idle))

    async def _run(self, wakeup: asyncio.Event, idle: asyncio.Event) -> None:
        """The publisher task: publish what is handed over, in order; ends with the loop."""
        items = self._items
        nc = self._nc
        while True:
            while items:
                item = items.popleft()
                try:
                    await nc.publish(item[0], item[2], reply=item[1], headers=item[5])
                except self._errors as error:
                    self._hosted.to_trio(self._failed, item, error)
                self._published += 1
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
