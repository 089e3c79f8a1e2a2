"""Messages held per shard while its owner is resolved or the shard moves, under one bound.

A cluster routing holds an entity's messages while it does not know where
its shard lives (the owner is being looked up, or the shard is being handed
off). Memory for that is bounded per routing: past ``limit`` held messages
in all, a message is refused, and the routing makes it a dead letter (seen
and counted), never an unbounded queue and never a silent drop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import anyio

#: Held messages per entity type and node by default (Akka's ``buffer-size`` is 100,000 a region).
DEFAULT_HELD_LIMIT = 10_000

#: A held message: ``(entity_id, message, hops)``.
Held = tuple[str, object, int]


class HeldMessages:
    """Per-shard FIFO queues of held messages, with one bound on their total.

    Not thread-safe: used on the event loop's thread, in steps without awaits.
    """

    def __init__(self, limit: int = DEFAULT_HELD_LIMIT) -> None:
        self.limit = check_held_limit(limit)
        #: The queue of each shard holding messages now (read it, never change it).
        self.queues: dict[int, deque[Held]] = {}
        self._count = 0
        self._room: anyio.Event | None = None

    def __contains__(self, key: int) -> bool:
        return key in self.queues

    def __len__(self) -> int:
        """How many messages are held now, over every shard."""
        return self._count

    def open(self, key: int) -> bool:
        """Start holding for ``key`` (its messages wait from now on); ``False`` if it was."""
        if key in self.queues:
            return False
        self.queues[key] = deque()
        return True

    def hold(self, key: int, held: Held) -> bool:
        """Queue ``held`` behind the others of ``key`` (opened if need be); ``False`` when full."""
        if self._count >= self.limit:
            return False
        self.queues.setdefault(key, deque()).append(held)
        self._count += 1
        return True

    def put_back(self, key: int, items: Iterable[Held]) -> None:
        """Put ``items`` ahead of what ``key`` holds: older messages, found later (no bound).

        They were accepted once already, so refusing them now would lose them.
        """
        queue = self.queues.setdefault(key, deque())
        items = list(items)
        queue.extendleft(reversed(items))
        self._count += len(items)

    def take(self, key: int) -> list[Held]:
        """Stop holding for ``key``: its messages, oldest first (none if it held nothing)."""
        queue = self.queues.pop(key, None)
        if queue is None:
            return []
        self._count -= len(queue)
        if self._room is not None and self._count < self.limit:
            self._room.set()
            self._room = None
        return list(queue)

    async def wait_for_room(self) -> None:
        """Wait until fewer than ``limit`` messages are held (backpressure for ``send``)."""
        while self._count >= self.limit:
            if self._room is None:
                self._room = anyio.Event()
            await self._room.wait()


def check_held_limit(limit: object) -> int:
    """Refuse a held-message bound that is not a whole number >= 1."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"the held-message limit must be a whole number >= 1 (got {limit!r})")
    return limit
