"""The node's outbound buffer: one ordered queue of frames, emptied by one sender task.

``tell`` is synchronous and NATS publishing is not, so frames wait here; one
queue for the whole node keeps every sender's order. The buffer is bounded:
when it is full, ``tell`` makes a dead letter and ``send``/``ask`` wait.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from actors import ActorRef

from ._neutral import Flag

if TYPE_CHECKING:
    from ._runs import PublishRun

#: The most frames one batch hands over on trio.
PUBLISH_BATCH = 4096


#: subject, reply subject ("" for none), data, for dead letters the recipient and
#: message, and the NATS headers (or ``None``).
Item = tuple[str, str, bytes, ActorRef | None, object, dict[str, str] | None]


class Outbound:
    """A bounded FIFO of frames with waits for room and for emptiness."""

    def __init__(self, capacity: int, *, hosted: bool = False) -> None:
        self.capacity = capacity
        self._items: deque[Item] = deque()
        signal: type[asyncio.Event] | type[Flag] = Flag if hosted else asyncio.Event
        self._wakeup = signal()
        self._room = signal()
        self._drained = signal()
        self._sender_waiting = False
        self._publishing = False
        #: On trio: hands one frame straight to the client's loop (``Publisher.hand_now``).
        self.express: Callable[[Item], bool] | None = None

    def __len__(self) -> int:
        return len(self._items)

    def full(self) -> bool:
        return len(self._items) >= self.capacity

    def offer(self, item: Item) -> bool:
        """Append a frame and wake the sender; ``False`` if the buffer is full.

        On trio, a request or reply (a frame with a reply subject, or with no
        recipient) offered while the sender is idle goes straight to the
        client's loop instead: someone waits for it, and the sender task would
        add a pass of trio's scheduler before it crosses. Idle means nothing
        of this buffer is queued or being handed over, so the order holds.
        Tells keep the batched path, whose buffer absorbs bursts.
        """
        items = self._items
        if (
            self._sender_waiting
            and (item[1] or item[3] is None)
            and self.express is not None
            and self.express(item)
        ):
            return True
        if len(items) >= self.capacity:
            return False
        items.append(item)
        if self._sender_waiting:
            self._sender_waiting = False
            self._wakeup.set()
        return True

    async def wait_for_room(self, give_up: Callable[[], bool]) -> None:
        """Wait while the buffer is full, unless ``give_up()`` says to stop waiting."""
        while self.full() and not give_up():
            self._room.clear()
            await self._room.wait()

    async def wait_drained(self) -> None:
        """Wait until the sender has taken every frame."""
        if self._items or self._publishing:
            self._drained.clear()
            await self._drained.wait()

    async def run(self, publish_run: PublishRun, failed: Callable[[Item, Exception], None]) -> None:
        """The sender task: hand every run of frames waiting to ``publish_run``, in order.

        A frame that could not be published is reported to ``failed``.
        """
        items = self._items
        room = self._room
        while True:
            if not items:
                await self._wait_for_items()
                continue
            # A whole run of frames, usually without going back to the loop (nats-py only
            # buffers them); room is signalled once a run, not per frame.
            self._publishing = True
            try:
                while items:
                    await publish_run(items, failed)
            finally:
                self._publishing = False
            if not room.is_set():
                room.set()

    async def _wait_for_items(self) -> None:
        """Drained: say so, then wait until a frame is queued (only when idle, never per frame)."""
        self._drained.set()
        self._sender_waiting = True
        self._wakeup.clear()
        await self._wakeup.wait()

    async def run_batched(
        self,
        publish_batch: Callable[[list[Item]], Awaitable[list[tuple[Item, Exception]]]],
        failed: Callable[[Item, Exception], None],
    ) -> None:
        """The sender task on trio: hand every frame waiting to ``publish_batch`` at once.

        One crossing to the client's thread per batch, not per frame; the
        frames that failed come back to ``failed``.
        """
        items = self._items
        room = self._room
        while True:
            if not items:
                await self._wait_for_items()
                continue
            batch = [items.popleft() for _ in range(min(len(items), PUBLISH_BATCH))]
            if not room.is_set():
                room.set()
            self._publishing = True
            try:
                failures = await publish_batch(batch)
            finally:
                self._publishing = False
            for item, error in failures:
                failed(item, error)
