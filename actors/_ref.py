"""Actor references: the only way to reach an actor.

``ActorRef`` is the address-level interface (``tell``, ``send``, ``ask``) that
user code sees. Delivery goes through what the ref knows of its target: a
local ref holds the target's cell and appends straight into its mailbox (the
fast path); a remote transport provides another ``ActorRef`` subclass with the
same methods, so user code does not change when an actor moves away.
"""

from __future__ import annotations

import abc
import logging
import math
from typing import TYPE_CHECKING, Any, Generic, cast, overload

import anyio

from supervision import ActorError

from ._cell_states import IDLE, QUEUED
from ._errors import AskCycleError, MailboxFull
from ._mailbox import create_queue, deliver_waiting, enqueue, must_wait_for_room
from ._statistics import ActorStatistics, actor_statistics
from ._type_parameters import M_contra, R

if TYPE_CHECKING:
    from ._cell import ActorCell
    from ._promise import Completion, Promise
    from ._request import ReplyTypeMismatch, Request

logger = logging.getLogger(__name__)


class ActorRef(abc.ABC, Generic[M_contra]):
    """The address of an actor, and the way to send it messages.

    ``ActorRef[M]`` accepts messages of type ``M`` (for the type checker;
    nothing is checked at run time unless the system was created with
    ``check_messages=True``). ``spawn`` of an ``Actor[M]`` returns an
    ``ActorRef[M]``; a bare ``ActorRef`` is ``ActorRef[Any]`` and accepts
    anything. The parameter is contravariant: an ``ActorRef[A | B]`` can be
    passed where an ``ActorRef[A]`` is expected.

    Refs are cheap to copy and safe to put inside messages. Two refs are equal
    when they point at the same actor incarnation: a ref to an actor that has
    stopped never reaches a new actor spawned later under the same name.

    Ordering: messages from one sender to one receiver arrive in the order
    sent. Delivery: each message is handled by the actor, or becomes a
    :class:`~actors.DeadLetter` on the system's event stream.
    """

    __slots__ = ()

    @property
    @abc.abstractmethod
    def path(self) -> str:
        """The actor's path in its system, e.g. ``"/user/bank/ada"``."""

    @property
    def name(self) -> str:
        """The last segment of :attr:`path`: the name given at spawn."""
        return self.path.rpartition("/")[2]

    @abc.abstractmethod
    def tell(self, message: M_contra) -> None:
        """Send ``message`` without waiting (fire and forget).

        Never blocks. If the actor has stopped, the message becomes a dead
        letter; this never raises for a stopped target. A bounded mailbox that
        is full applies its overflow policy (``MailboxFull`` is raised under
        ``Overflow.FAIL`` and ``Overflow.BACKPRESSURE``).
        """

    @abc.abstractmethod
    async def send(self, message: M_contra) -> None:
        """Send ``message``, waiting for room if a bounded mailbox is full.

        Under ``Overflow.BACKPRESSURE`` this waits until the actor has taken
        enough messages off its mailbox; other policies apply as for
        :meth:`tell`. Always a checkpoint, so a producer loop of ``send`` lets
        the actors run. If the actor stops while the sender waits, the message
        becomes a dead letter and ``send`` returns. Cancelling a waiting
        ``send`` leaves the message unsent.
        """

    # The typed overloads: a Request[R] answers an R; the second overload only
    # makes a reply used as the wrong type show up under mypy, which would
    # otherwise fall through to the third (see actors/_request.py).
    @overload
    async def ask(self, message: Request[R], *, timeout: float | None = None) -> R: ...
    @overload
    async def ask(
        self, message: Request[Any], *, timeout: float | None = None
    ) -> ReplyTypeMismatch: ...
    @overload
    async def ask(self, message: M_contra, *, timeout: float | None = None) -> Any: ...
    @abc.abstractmethod
    async def ask(self, message: Any, *, timeout: float | None = None) -> Any:
        """Send ``message`` and wait for what the actor's ``receive`` returns.

        A :class:`~actors.Request` ``[R]`` message makes the result an ``R``
        for the type checker; any other message gives ``Any``.

        Args:
            message: the request.
            timeout: seconds to wait for the reply; ``None`` waits without limit.

        A full bounded mailbox under ``Overflow.BACKPRESSURE`` makes the
        request wait for room first (within ``timeout``), as ``send`` does.

        Raises:
            ActorStopped: at once if the actor has stopped, or when it stops
                before handling the request.
            MailboxFull: the actor's bounded mailbox is full and its policy
                is ``Overflow.FAIL`` or ``Overflow.DROP``.
            TimeoutError: no reply within ``timeout``. The request stays in
                the mailbox and is still handled; its reply is discarded.
            Exception: whatever ``receive`` raised, with its own type (the
                actor has also failed, and its supervisor decides what next).
        """

    @abc.abstractmethod
    def statistics(self) -> ActorStatistics:
        """A frozen snapshot of the actor: state, mailbox depth, counters, timings."""

    @abc.abstractmethod
    def _watch(self, watcher: ActorRef) -> None:
        """Tell ``watcher`` ``Terminated(self)`` once this actor stops (at once if it has)."""

    @abc.abstractmethod
    def _unwatch(self, watcher: ActorRef) -> None:
        """Forget a watch made with :meth:`_watch`."""

    def _tell_carried(self, message: object, carrier: object) -> None:
        """Deliver ``message`` with an instrumentation carrier that came from another process.

        For transports: the receiving actor's handling continues the sender's
        trace. Refs that keep no carrier deliver the message plainly.
        """
        self._tell_quietly(message)

    async def _ask_carried(self, message: object, carrier: object) -> Any:
        """Ask with an instrumentation carrier that came from another process."""
        # Messages from the network were typed by no checker: the ref takes them as Any.
        unchecked: ActorRef[Any] = self
        return await unchecked.ask(message)

    def _ask_soon(self, message: object, reply: Completion) -> bool:
        """Start an ``ask`` whose answer goes to ``reply``, with no task to await it.

        For ``actors.blocking``: called on the system's loop thread, outside
        any actor, with the reply slot of a thread that waits. ``False`` when
        this ref cannot (then the caller awaits :meth:`ask` in a task
        instead); refs with no faster way keep this default.
        """
        return False

    def _tell_quietly(self, message: object) -> None:
        """Deliver a message the runtime made (an event, a ``Terminated``): never raise.

        A full mailbox must not break the runtime's own bookkeeping, so what
        it refuses is logged instead. The runtime's messages need not be in
        the actor's declared message type.
        """
        unchecked: ActorRef[Any] = self
        try:
            unchecked.tell(message)
        except ActorError as error:
            logger.warning("could not deliver %r to %s: %s", message, self.path, error)

    def __repr__(self) -> str:
        return f"<ActorRef {self.path}>"


def check_ask_cycle(
    asker: ActorCell, target: ActorCell, awaiting: dict[ActorCell, ActorCell]
) -> None:
    """Raise ``AskCycleError`` if ``target`` is, directly or through others, waiting on ``asker``.

    ``awaiting`` maps each actor whose handler is waiting on an ``ask`` to the
    actor it asked; it never holds a cycle, so the walk ends.
    """
    chain = [asker, target]
    node: ActorCell | None = target
    while node is not asker:
        node = awaiting.get(node)  # type: ignore[arg-type]
        if node is None:
            return
        chain.append(node)
    paths = " -> ".join(cell.path for cell in chain)
    raise AskCycleError(
        f"ask cycle: {paths}; each waits for the next to answer, so none ever would. "
        "Send one direction with tell and a reply message instead",
        chain=tuple(cell.path for cell in chain),
    )


def check_timeout(timeout: float | None) -> None:
    """Refuse a timeout that cannot mean anything: it must be > 0 seconds or None."""
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or math.isnan(timeout):
        raise TypeError(f"timeout must be a number of seconds or None (got {timeout!r})")
    if timeout <= 0:
        raise ValueError(
            f"timeout must be > 0 seconds, or None to wait without limit (got {timeout!r})"
        )


class LocalActorRef(ActorRef[M_contra]):
    """A ref to an actor in this process: delivery is an append to its mailbox."""

    __slots__ = ("_cell",)

    def __init__(self, cell: ActorCell) -> None:
        self._cell = cell

    @property
    def path(self) -> str:
        return self._cell.path

    def tell(self, message: object) -> None:
        cell = self._cell
        # The fast path: an unbounded FIFO mailbox that is not closed. Every
        # other case (bounded, priority, instrumented, stopped) takes deliver().
        if cell.open:
            # enqueue(), inlined: this is the per-message path.
            queue = cell.queue
            if queue is not None:
                queue.append((message, None))
            elif cell.single is None:
                cell.single = (message, None)
            else:
                create_queue(cell).append((message, None))
            if cell.run_state == IDLE:
                # Scheduler.schedule, inlined: this is the per-message path.
                cell.run_state = QUEUED
                scheduler = cell.scheduler
                scheduler.run_queue.append(cell)
                if scheduler._wakeup is not None:
                    scheduler.wake()
        else:
            cell.deliver(message, None)

    async def send(self, message: object) -> None:
        cell = self._cell
        await anyio.lowlevel.checkpoint()
        if cell.open:
            enqueue(cell, (message, None))
        else:
            await deliver_waiting(cell, message)

    async def ask(self, message: object, *, timeout: float | None = None) -> Any:
        check_timeout(timeout)
        cell = self._cell
        scheduler = cell.scheduler
        asker = scheduler.current
        if asker is None:  # asked from outside any actor
            if scheduler.can_run_now(cell):
                return await scheduler.ask_in_place(cell, message)
            return await self._ask(cell, message, timeout)
        awaiting = scheduler.awaiting
        check_ask_cycle(asker, cell, awaiting)
        awaiting[asker] = cell
        try:
            return await self._ask(cell, message, timeout)
        finally:
            del awaiting[asker]

    @staticmethod
    async def _ask(cell: ActorCell, message: object, timeout: float | None) -> Any:
        promise = cell.new_promise()
        if cell.open:
            enqueue(cell, (message, promise))
            if timeout is None:
                return await promise
            with anyio.fail_after(timeout):
                return await promise
        if must_wait_for_room(cell):
            # A full BACKPRESSURE mailbox: the timeout covers the wait for room too.
            with anyio.fail_after(timeout):
                await deliver_waiting(cell, message, promise)
                return await promise
        cell.deliver(message, promise)
        if timeout is None:
            return await promise
        with anyio.fail_after(timeout):
            return await promise

    def _ask_soon(self, message: object, reply: Completion) -> bool:
        cell = self._cell
        scheduler = cell.scheduler
        if scheduler.current is not None:
            return False
        # The runtime only answers an envelope's promise; its asker alone
        # awaits it, and here that is a thread waiting on ``reply``.
        promise = cast("Promise", reply)
        if scheduler.can_run_now(cell):  # idle, empty mailbox, plain ``def receive``
            scheduler.answer_in_place(cell, message, promise)
            return True
        if cell.open:  # unbounded FIFO, running: the turn will answer it
            enqueue(cell, (message, promise))
            return True
        return False  # bounded, stopped, instrumented: ask() knows every case

    def statistics(self) -> ActorStatistics:
        return actor_statistics(self._cell)

    def _tell_carried(self, message: object, carrier: object) -> None:
        # An instrumented system never takes the fast path, so deliver() sees
        # every message; from the network, a full mailbox is a dead letter.
        try:
            self._cell.deliver(message, None, carrier)
        except MailboxFull:
            self._cell.dead_letter(message, "mailbox full")

    async def _ask_carried(self, message: object, carrier: object) -> Any:
        cell = self._cell
        promise = cell.new_promise()
        # As ask: a full BACKPRESSURE mailbox makes the request wait for room.
        await deliver_waiting(cell, message, promise, carrier)
        return await promise

    def _tell_quietly(self, message: object) -> None:
        try:
            self.tell(message)
        except MailboxFull:
            self._cell.dead_letter(message, "mailbox full")

    def _watch(self, watcher: ActorRef) -> None:
        self._cell.add_watcher(watcher)

    def _unwatch(self, watcher: ActorRef) -> None:
        self._cell.remove_watcher(watcher)
