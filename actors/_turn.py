"""One scheduler turn of one cell: control messages first, then up to ``throughput`` messages.

This is the per-message path, so it is written for speed: locals instead of
attribute lookups, no allocation per message beyond the mailbox tuple, and no
event-loop round trip unless a handler really awaits something.

A handler that returns without suspending (a ``def``, or an ``async def`` that
never awaits anything unfinished) completes inside the turn. One that does
suspend is handed back to the scheduler as a :class:`Suspension`: the worker
task that was running the turn keeps driving that coroutine (so cancel scopes
and the backend's own bookkeeping stay in the task that entered them) and a new
worker takes over the run queue.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Coroutine, Generator
from time import perf_counter_ns
from types import CoroutineType
from typing import TYPE_CHECKING, Any, NoReturn

from . import _cell_states as states
from ._control import START, START_PENDING
from ._control_handler import handle_control
from ._instrumentation import Carried
from ._lifecycle import start_now
from ._mailbox import wake_space_waiters
from ._promise import complete
from ._retry import handler_failed

if TYPE_CHECKING:
    from ._cell import ActorCell
    from ._instrumentation import HandlingScope, Instrumentation
    from ._promise import Promise
    from ._scheduler import Scheduler

logger = logging.getLogger(__name__)


@types.coroutine
def resume(
    scheduler: Scheduler, cell: ActorCell, coroutine: Coroutine[Any, Any, Any], yielded: Any
) -> Generator[Any, Any, Any]:
    """Go on driving ``coroutine`` from the current task, after it first yielded ``yielded``.

    Everything the event loop sends or throws in is passed through unchanged,
    so cancellation reaches the coroutine exactly as if it had been awaited.
    While the coroutine runs, ``scheduler.current`` names ``cell`` (the actor
    whose code is running), which is how an ``ask`` knows who is asking.
    """
    while True:
        try:
            sent = yield yielded
        except GeneratorExit:
            coroutine.close()
            raise
        except BaseException as exception:  # forwarded as-is, cancellation included
            scheduler.current = cell
            try:
                yielded = coroutine.throw(exception)
            except StopIteration as stop:
                return stop.value
            finally:
                scheduler.current = None
        else:
            scheduler.current = cell
            try:
                yielded = coroutine.send(sent)
            except StopIteration as stop:
                return stop.value
            finally:
                scheduler.current = None


def refuse_coroutine_reply(cell: ActorCell, coroutine: Any, *, is_async: bool) -> NoReturn:
    """Close the coroutine a handler returned instead of a reply, and raise ``TypeError``.

    ``return other.ask(...)`` without ``await`` would otherwise answer the
    asker with a coroutine object, and the only trace would be a "never
    awaited" warning much later. Checked only for replies that are not
    ``None``, with one type comparison, so ordinary replies cost nothing more.
    """
    coroutine.close()  # never run, so nothing was sent; and no "never awaited" warning
    name = getattr(coroutine, "__qualname__", type(coroutine).__name__)
    fix = (
        "await it (`return await ...`)"
        if is_async
        else "make receive an `async def` and await it (`return await ...`)"
    )
    raise TypeError(
        f"receive of {cell.path} returned the coroutine {name}() instead of a reply; {fix}"
    )


class Suspension:
    """A handler (or control sequence) of ``cell`` that awaited something unfinished."""

    __slots__ = (
        "cell",
        "coroutine",
        "is_receive",
        "message",
        "promise",
        "scope",
        "started_ns",
        "stashed",
        "yielded",
    )

    def __init__(
        self,
        cell: ActorCell,
        coroutine: Coroutine[Any, Any, Any],
        yielded: Any,
        message: object,
        promise: Promise | None,
        *,
        is_receive: bool,
    ) -> None:
        self.cell = cell
        self.coroutine = coroutine
        self.yielded = yielded
        self.message = message
        self.promise = promise
        self.is_receive = is_receive
        self.started_ns = perf_counter_ns()
        #: Set by context.stash(): the request is answered when handled again.
        self.stashed = False
        #: The instrumentation's view of this handler run, if any.
        self.scope: HandlingScope | None = None

    async def finish(self) -> None:
        """Drive the coroutine to its end in this task, then settle what it was for."""
        cell = self.cell
        scheduler = cell.scheduler
        scope = self.scope
        if scope is not None:
            scope.activate()
        try:
            result = await resume(scheduler, cell, self.coroutine, self.yielded)
            if result is not None and type(result) is CoroutineType and self.is_receive:
                refuse_coroutine_reply(cell, result, is_async=True)
        except Exception as error:
            if scope is not None:
                scope.deactivate()
                scope.end(error)
            if self.is_receive:
                handler_failed(cell, error, self.message, self.promise)
            else:
                logger.exception("internal error in the control sequence of %s", cell.path)
                cell.fail(error, None, None)
        else:
            if scope is not None:
                scope.deactivate()
                scope.end(None)
            if self.promise is not None and not self.stashed:
                complete(self.promise, result)
        if self.is_receive and scheduler.timing:
            # Handlers that suspend are timed exactly, awaits included.
            cell.ensure_extras().record_handling(perf_counter_ns() - self.started_ns, 1)


def run_turn(cell: ActorCell, throughput: int) -> Suspension | None:
    """Handle ``cell``'s control queue, then up to ``throughput`` of its messages."""
    if cell.control:
        suspension = _run_control(cell)
        if suspension is not None:
            return suspension
    if cell.state != states.RUNNING:
        return None
    queue = cell.queue
    # Without a queue, at most one message waits, in ``single`` (see ActorCell).
    envelope = cell.single
    if envelope is not None:
        cell.single = None
    elif queue:
        envelope = queue.popleft()
    else:
        return None
    receive = cell.receive
    assert receive is not None
    receiver, is_async, scheduler = cell.receiver, cell.receive_is_async, cell.scheduler
    handled = 0
    try:
        while True:
            # For context.stash(): which message is in hand (one store per message).
            scheduler.envelope = envelope
            message, promise = envelope
            handled += 1
            try:
                result = receive(receiver, message)
                if is_async:
                    try:
                        yielded = result.send(None)
                    except StopIteration as stop:
                        result = stop.value
                    else:
                        return Suspension(cell, result, yielded, message, promise, is_receive=True)
                if result is not None and type(result) is CoroutineType:
                    refuse_coroutine_reply(cell, result, is_async=is_async)
            except Exception as error:
                handler_failed(cell, error, message, promise)
                return None
            # A stashed request is answered when it is handled again, not now.
            if promise is not None and scheduler.envelope is envelope and not promise.done():
                promise.set_result(result)
            # A stop (or other control message) sent during the handler runs
            # before the next message; so does the end of the turn's budget.
            if handled == throughput or cell.control:
                break
            if not queue:
                # A turn that began with ``single`` finds the queue that a
                # second and third message made meanwhile (if they came).
                queue = cell.queue
                if not queue:
                    break
            envelope = queue.popleft()
    finally:
        scheduler.envelope = None
        cell.messages_handled += handled
        extras = cell.extras
        if extras is not None and extras.space_waiters:
            wake_space_waiters(cell)
    return None


def _run_control(cell: ActorCell) -> Suspension | None:
    while control := cell.control:
        if control is START_PENDING:
            # Read again on the next pass: a message sent during the start
            # makes a new list.
            cell.control = None
            message: object = START
        else:
            message = control.pop(0)  # type: ignore[union-attr]
        if message is START:
            # Most starts complete without awaiting: no coroutine for them.
            try:
                rest = start_now(cell)
            except Exception as error:
                logger.exception("internal error starting %s", cell.path)
                cell.fail(error, None, None)
                return None
            if rest is None:
                continue
            coroutine: Coroutine[Any, Any, Any] = rest
        else:
            coroutine = handle_control(cell, message)
        try:
            yielded = coroutine.send(None)
        except StopIteration:
            continue
        except Exception as error:
            # A bug in the runtime, not in the actor: fail the actor rather
            # than leave it hanging, so its supervisor can act.
            logger.exception("internal error handling %r in %s", message, cell.path)
            cell.fail(error, None, None)
            return None
        return Suspension(cell, coroutine, yielded, None, None, is_receive=False)
    return None


def run_turn_instrumented(
    cell: ActorCell, throughput: int, instrumentation: Instrumentation
) -> Suspension | None:
    """:func:`run_turn` for an instrumented system: a scope around every handler run.

    Kept apart so that systems without instrumentation run the plain loop.
    """
    if cell.control:
        suspension = _run_control(cell)
        if suspension is not None:
            return suspension
    # Never a lone message in ``single`` here: instrumentation closes the
    # fast path, and deliver() always makes a queue.
    queue = cell.queue
    if cell.state != states.RUNNING or not queue:
        return None
    scheduler = cell.scheduler
    handled = 0
    try:
        while queue:
            envelope = queue.popleft()
            scheduler.envelope = envelope
            message, promise = envelope
            carrier = promise.carrier if isinstance(promise, Carried) else None
            handled += 1
            receive = cell.receive
            assert receive is not None
            scope = instrumentation.on_handle(cell.self_ref, message, carrier)
            scope.activate()
            try:
                result = receive(cell.receiver, message)
                if cell.receive_is_async:
                    try:
                        yielded = result.send(None)
                    except StopIteration as stop:
                        result = stop.value
                    else:
                        suspension = Suspension(
                            cell, result, yielded, message, promise, is_receive=True
                        )
                        suspension.scope = scope
                        return suspension
                if result is not None and type(result) is CoroutineType:
                    refuse_coroutine_reply(cell, result, is_async=cell.receive_is_async)
            except Exception as error:
                scope.end(error)
                handler_failed(cell, error, message, promise)
                return None
            finally:
                # Before a hand-off starts another task, so no context leaks into it.
                scope.deactivate()
            scope.end(None)
            if promise is not None and scheduler.envelope is envelope and not promise.done():
                promise.set_result(result)
            if handled == throughput or cell.control:
                break
    finally:
        scheduler.envelope = None
        cell.messages_handled += handled
        extras = cell.extras
        if extras is not None and extras.space_waiters:
            wake_space_waiters(cell)
    return None
