"""The node's outbound buffer: one ordered queue of frames, emptied by one sender task.

``tell`` is synchronous and NATS publishing is not, so frames wait here; one
queue for the whole node keeps every sender's order. The buffer is bounded:
when it is full, ``tell`` makes a dead letter and ``send``/``ask`` wait.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from ._names import Address

#: subject, reply subject ("" for none), data, and for dead letters the address and message.
Item = tuple[str, str, bytes, Address | None, object]


class Outbound:
    """A bounded FIFO of frames with waits for room and for emptiness (asyncio only)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: deque[Item] = deque()
        self._wakeup = asyncio.Event()
        self._room = asyncio.Event()
        self._drained = asyncio.Event()
        self._sender_waiting = False

    def __len__(self) -> int:
        return len(self._items)

    def full(self) -> bool:
        return len(self._items) >= self.capacity

    def put(self, item: Item) -> None:
        """Append a frame (the caller has checked :meth:`full`) and wake the sender."""
        self._items.append(item)
        if self._sender_waiting:
            self._sender_waiting = False
            self._wakeup.set()

    async def wait_for_room(self, give_up: Callable[[], bool]) -> None:
        """Wait while the buffer is full, unless ``give_up()`` says to stop waiting."""
        while self.full() and not give_up():
            self._room.clear()
            await self._room.wait()

    async def wait_drained(self) -> None:
        """Wait until the sender has taken every frame."""
        if self._items:
            self._drained.clear()
            await self._drained.wait()

    async def run(self, send: Callable[[Item], Awaitable[None]]) -> None:
        """The sender task: ``send`` each frame in order, forever."""
        items = self._items
        while True:
            if not items:
                self._drained.set()
                self._sender_waiting = True
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            item = items.popleft()
            if len(items) < self.capacity and not self._room.is_set():
                self._room.set()
            await send(item)
