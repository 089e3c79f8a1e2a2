"""Mailbox configuration: capacity and what happens when a bounded mailbox is full.

The queue itself is a ``collections.deque`` owned by the actor's cell (see
``_cell.py``): keeping it there keeps the per-message path to one append and
one popleft. A lone waiting message sits in the cell's ``single`` slot; the
deque is created when a second one waits, and released when the mailbox
drains, so an idle actor carries no queue at all.
"""

from __future__ import annotations

import enum
import heapq
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from . import _cell_states as states

if TYPE_CHECKING:
    from ._cell import ActorCell
    from ._promise import Promise


class Overflow(enum.Enum):
    """What a full bounded mailbox does with one more message.

    ``FAIL``: ``tell`` and ``send`` raise :class:`~actors.MailboxFull`.
    ``DROP``: the new message becomes a dead letter (reason ``"mailbox full"``).
    ``BACKPRESSURE``: ``send`` waits for room; ``tell``, which never waits,
    raises :class:`~actors.MailboxFull`.
    """

    FAIL = "fail"
    DROP = "drop"
    BACKPRESSURE = "backpressure"


def _parse_overflow(value: Overflow | str) -> Overflow:
    if isinstance(value, Overflow):
        return value
    try:
        return Overflow(value)
    except ValueError:
        choices = ", ".join(repr(member.value) for member in Overflow)
        raise ValueError(f"overflow must be one of {choices} (got {value!r})") from None


def _check_capacity(_instance: object, _attribute: object, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"mailbox capacity must be a whole number >= 1, or None (got {value!r})")


def _check_priority(_instance: object, _attribute: object, value: Any) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"priority must be a key function of the message, or None (got {value!r})")


@frozen
class MailboxConfig:
    """How an actor's mailbox is sized.

    Args:
        capacity: the most messages the mailbox holds; ``None`` (the default)
            means unbounded.
        overflow: what happens to a message that finds a bounded mailbox full
            (an :class:`Overflow` or its string value).
        priority: a key function of the message: messages with a lower key
            are handled first, and messages with equal keys in the order they
            were sent. ``None`` (the default) means plain FIFO. The key is
            computed when the message is sent; if it raises, the exception
            propagates to the sender and the message is not queued.

    Pass it as ``spawn(..., mailbox=MailboxConfig(100, "backpressure"))`` or
    set it as the class attribute ``mailbox`` on an ``Actor`` subclass.
    Control traffic (stop, supervision) never counts against the capacity.
    """

    capacity: int | None = field(default=None, validator=_check_capacity)
    overflow: Overflow = field(default=Overflow.FAIL, converter=_parse_overflow)
    priority: Callable[[Any], Any] | None = field(default=None, validator=_check_priority)

    @property
    def bounded(self) -> bool:
        """Whether the mailbox has a capacity."""
        return self.capacity is not None


UNBOUNDED = MailboxConfig()


def unchecked(mailbox: MailboxConfig) -> bool:
    """Whether ``tell`` may queue without checks: unbounded and FIFO (the fast path)."""
    return mailbox.capacity is None and mailbox.priority is None


class PriorityQueue:
    """A mailbox queue ordered by a key of the message, FIFO among equal keys.

    It offers the few deque operations the runtime uses (``append``,
    ``popleft``, ``extendleft``, ``len``, truth), so it can stand in a cell's
    ``queue`` slot and keep the fast path.
    """

    __slots__ = ("_front", "_heap", "_key", "_sequence")

    def __init__(self, key: Callable[[Any], Any]) -> None:
        self._key = key
        self._heap: list[tuple[Any, int, tuple[object, Promise | None]]] = []
        self._sequence = 0
        self._front = 0  # decreasing sequence numbers put messages ahead of the rest

    def append(self, envelope: tuple[object, Promise | None]) -> None:
        priority = self._key(envelope[0])
        self._sequence += 1
        heapq.heappush(self._heap, (priority, self._sequence, envelope))

    def extendleft(self, envelopes: Iterable[tuple[object, Promise | None]]) -> None:
        # Like deque.extendleft: each goes in front of the ones before it, so
        # callers pass them reversed; among equal priorities they come first.
        for envelope in envelopes:
            self._front -= 1
            heapq.heappush(self._heap, (self._key(envelope[0]), self._front, envelope))

    def popleft(self) -> tuple[object, Promise | None]:
        return heapq.heappop(self._heap)[2]

    def __len__(self) -> int:
        return len(self._heap)

    def __bool__(self) -> bool:
        return bool(self._heap)


# -- queues ----------------------------------------------------------------


def requeue_front(cell: ActorCell, envelopes: list[tuple[object, Promise | None]]) -> None:
    """Put already-accepted messages back ahead of the mailbox, in the given order.

    Used by ``unstash_all`` and at a restart; capacity does not apply (they
    were accepted once already).
    """
    if not envelopes:
        return
    if cell.state >= states.STOPPING:
        for message, promise in envelopes:
            cell.reject(message, promise, "recipient stopped")
        return
    queue = cell.queue
    if queue is None:
        queue = create_queue(cell)
    queue.extendleft(reversed(envelopes))
    if cell.run_state == states.IDLE:
        cell.scheduler.schedule(cell)


def create_queue(cell: ActorCell) -> deque[tuple[object, Promise | None]]:
    """Give ``cell`` a mailbox queue of its kind (FIFO, or by ``priority``).

    The envelope waiting in ``cell.single``, if any, moves into it first, so
    it stays ahead of every later message.
    """
    priority = cell.mailbox.priority
    queue: Any = deque() if priority is None else PriorityQueue(priority)
    cell.queue = queue
    single = cell.single
    if single is not None:
        cell.single = None
        queue.append(single)
    return queue  # type: ignore[no-any-return]


def close_mailbox(cell: ActorCell) -> None:
    """Refuse further messages and turn the waiting ones into dead letters."""
    cell.open = False
    single, cell.single = cell.single, None
    if single is not None:
        cell.reject(single[0], single[1], "recipient stopped")
    queue, cell.queue = cell.queue, None
    while queue:
        message, promise = queue.popleft()
        cell.reject(message, promise, "recipient stopped")
    wake_space_waiters(cell)


def enqueue(cell: ActorCell, envelope: tuple[object, Promise | None]) -> None:
    """The fast path of an open mailbox: queue ``envelope`` and schedule ``cell`` if idle."""
    queue = cell.queue
    if queue is not None:
        queue.append(envelope)
    elif cell.single is None:
        cell.single = envelope
    else:
        create_queue(cell).append(envelope)
    if cell.run_state == states.IDLE:
        cell.scheduler.schedule(cell)


# -- waiting for room in a bounded mailbox (BACKPRESSURE) --------------------


def must_wait_for_room(cell: ActorCell) -> bool:
    """Whether a ``send`` or ``ask`` now would have to wait (a full BACKPRESSURE mailbox)."""
    queue = cell.queue
    return (
        cell.mailbox.overflow is Overflow.BACKPRESSURE
        and cell.state < states.STOPPING
        and queue is not None
        and cell.mailbox.capacity is not None
        and len(queue) >= cell.mailbox.capacity
    )


async def deliver_waiting(
    cell: ActorCell, message: object, promise: Promise | None = None, carrier: object = None
) -> None:
    """``send`` and ``ask``: like :meth:`deliver`, but wait for room under ``BACKPRESSURE``."""
    while True:
        if not must_wait_for_room(cell):
            cell.deliver(message, promise, carrier)
            return
        waiter = cell.new_promise()
        extras = cell.ensure_extras()
        if extras.space_waiters is None:
            extras.space_waiters = deque()
        extras.space_waiters.append(waiter)
        await waiter


def wake_space_waiters(cell: ActorCell) -> None:
    """Let as many blocked senders try again as there is room (all of them once stopped)."""
    extras = cell.extras
    waiters = extras.space_waiters if extras is not None else None
    if not waiters:
        return
    queue = cell.queue
    room = len(waiters)
    capacity = cell.mailbox.capacity
    if cell.state < states.STOPPING and queue is not None and capacity is not None:
        room = capacity - len(queue)
    while waiters and room > 0:
        waiter = waiters.popleft()
        if not waiter.done():
            waiter.set_result(None)
            room -= 1
