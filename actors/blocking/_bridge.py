"""``Bridge``: the way from other threads into one event loop thread, and back.

Every call from a thread is one callback queued on the loop (see
``_loop.py``); a call that waits parks on a :class:`Reply` that the loop
fills. The bridge also keeps the system's state (not started, running,
closing, closed) and the replies still owed, so that no caller is left
waiting when the loop ends, however it ends.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import math
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from actors import ActorRef, ActorSystemClosed

from ._errors import BlockingCallRefused
from ._loop import LoopThread
from ._reply import Reply

logger = logging.getLogger(__name__)

NEW, RUNNING, CLOSING, CLOSED = "not started", "running", "closing", "closed"
#: Seconds the loop's side of a timed ask outlives the caller's wait.
_SLACK = 1.0
#: Calls from threads taken per drain callback before the loop runs other work.
_DRAIN_BATCH = 64


def _check_timeout(timeout: float | None) -> None:
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or math.isnan(timeout):
        raise TypeError(f"timeout must be a number of seconds or None (got {timeout!r})")
    if timeout <= 0:
        raise ValueError(
            f"timeout must be > 0 seconds, or None to wait without limit (got {timeout!r})"
        )


class Bridge:
    """Calls into one system's loop thread from any thread; see the module docstring."""

    def __init__(self, name: str, backend: str) -> None:
        self.name = name
        self.loop = LoopThread(backend, f"anyactors {name} ({backend})")
        self.lock = threading.Lock()
        self.state = NEW
        self._pending: set[Reply] = set()
        # Calls from other threads wait here for the loop, in the order made;
        # one drain callback per batch takes them all (see submit).
        self._inbox: deque[tuple[Callable[..., object], tuple[Any, ...]]] = deque()
        self._drain_queued = False

    def fail_pending(self) -> None:
        """Fail every reply still owed (the loop has ended: nothing queued runs any more)."""
        with self.lock:
            self.state = CLOSED
            pending, self._pending = list(self._pending), set()
            self._inbox.clear()
        for reply in pending:
            reply.set_exception(self.closed_error())

    def closed_error(self) -> ActorSystemClosed:
        if self.state == NEW:
            return ActorSystemClosed(
                f"blocking actor system {self.name!r} is not running; start it first with "
                f"`with BlockingActorSystem({self.name!r}) as system:`"
            )
        return ActorSystemClosed(f"blocking actor system {self.name!r} has shut down")

    def refuse_on_loop(self, what: str) -> None:
        if self.loop.is_current():
            raise BlockingCallRefused(
                f"{what} blocks until the event loop of actor system {self.name!r} answers, "
                "but it was called on that loop's own thread (from one of its actors), "
                "where it would wait forever; there, await the async API instead "
                "(`await blocking_ref.ref.ask(...)`, `await system.actor_system.stop(ref)`)"
            )

    def submit(self, fn: Callable[..., object], *args: Any, reply: Reply | None = None) -> None:
        """Queue ``fn(*args)`` for the loop thread; ``reply`` is owed until set or the loop ends.

        Only the call that finds no drain queued wakes the loop: when several
        threads call at once, one wake-up of the loop takes them all.
        """
        with self.lock:
            if self.state != RUNNING:
                raise self.closed_error()
            if reply is not None:
                reply.pending = pending = self._pending
                pending.add(reply)
            self._inbox.append((fn, args))
            if self._drain_queued:
                return
            # Set first: the drain may run (and clear it) before call_soon returns.
            self._drain_queued = True
        # Outside the lock: waking the loop may let go of the GIL (a socket
        # write), and other callers would then queue up on the lock.
        try:
            self.loop.call_soon(self._drain)
        except Exception as error:  # the loop died: fail_pending fails what it owed
            raise self.closed_error() from error

    def queue_last(self, fn: Callable[[], object]) -> None:
        """Queue ``fn()`` behind every call already accepted; the caller holds :attr:`lock`.

        For the stop request: the calls accepted before it (even more than a
        drain takes at once) reach the actors before they stop.
        """
        self._inbox.append((fn, ()))
        if not self._drain_queued:
            self._drain_queued = True
            self.loop.call_soon(self._drain)

    def _drain(self) -> None:
        # On the loop thread. Cleared before taking: a call queued from now on
        # either is taken below or finds the flag clear and queues a drain.
        self._drain_queued = False
        inbox = self._inbox
        for _ in range(_DRAIN_BATCH):
            try:
                fn, args = inbox.popleft()
            except IndexError:
                return
            try:
                fn(*args)
            except Exception:  # each call answers its own caller; none may stop the rest
                logger.exception("blocking actor system %s: a call from a thread failed", self.name)
        with self.lock:  # more than a batch: let the loop run other work first
            if inbox and not self._drain_queued and self.state != CLOSED:
                self._drain_queued = True
                # If the loop is ending, fail_pending fails what is left.
                with contextlib.suppress(Exception):
                    self.loop.call_soon(self._drain)

    def tell(self, ref: ActorRef, message: object) -> None:
        if self.loop.is_current():
            ref.tell(message)
        else:
            self.submit(_deliver, ref, message)

    def ask(self, ref: ActorRef, message: object, timeout: float | None) -> Any:
        if timeout is not None:
            _check_timeout(timeout)
        if self.loop.ident == threading.get_ident():  # the message is made only then
            self.refuse_on_loop(f"ask() to {ref.path}")
        reply = Reply()
        self.submit(self._start_ask, ref, message, timeout, reply, reply=reply)
        if not reply.wait(timeout):
            self._pending.discard(reply)
            raise TimeoutError(
                f"no reply from {ref.path} within {timeout} s to a {type(message).__name__}"
            )
        return reply.result()

    def _start_ask(
        self, ref: ActorRef, message: object, timeout: float | None, reply: Reply
    ) -> None:
        # The fast way: the request goes into the mailbox with ``reply`` as its
        # promise (or, to an idle actor, is handled right here), and the turn
        # that handles it wakes the caller. No task, no task switch.
        try:
            if ref._ask_soon(message, reply):
                return
        except Exception as error:  # a message of the wrong type, say: the caller's error
            reply.set_exception(error)
            return
        except BaseException as error:
            # Raised by the handler, not an Exception: the runtime already
            # took it to end the system (as from its dispatcher). Raised from
            # here it would break the loop itself (trio: an internal error), so
            # only the caller sees it too, as an async asker would.
            reply.set_exception(error)
            return
        # Every other case (a bounded mailbox, a stopped or remote actor) is
        # the async ask's, awaited in a task.
        try:
            self.loop.start_task(self._run_ask, ref, message, timeout, reply)
        except Exception as error:  # the loop is ending (its nursery closed)
            self._fail_closed(reply, error)

    async def _run_ask(
        self, ref: ActorRef, message: object, timeout: float | None, reply: Reply
    ) -> None:
        # The caller's own wait raises its TimeoutError at ``timeout``; this
        # later one only ends the task when no reply ever comes.
        slack = None if timeout is None else timeout + _SLACK
        await self._await(ref.ask(message, timeout=slack), reply)

    def wait(self, fn: Callable[..., Any], *args: Any) -> Any:
        reply = Reply()
        self.submit(self._invoke, fn, args, reply, reply=reply)
        reply.wait(None)
        return reply.result()

    def _invoke(self, fn: Callable[..., Any], args: tuple[Any, ...], reply: Reply) -> None:
        try:
            result = fn(*args)
        except Exception as error:  # a loop callback must not raise
            reply.set_exception(error)
            return
        if not inspect.isawaitable(result):
            reply.set_result(result)
            return
        try:
            self.loop.start_task(self._await, result, reply)
        except Exception as error:  # the loop is ending (its nursery closed)
            if inspect.iscoroutine(result):
                result.close()
            self._fail_closed(reply, error)

    def _fail_closed(self, reply: Reply, cause: Exception) -> None:
        error = self.closed_error()
        error.__cause__ = cause
        reply.set_exception(error)

    async def _await(self, awaitable: Awaitable[Any], reply: Reply) -> None:
        try:
            value = await awaitable
        except Exception as error:
            reply.set_exception(error)
        else:
            reply.set_result(value)
        finally:
            if not reply.done():  # cancelled at the loop's end (a remote ask still out)
                reply.set_exception(self.closed_error())


def _deliver(ref: ActorRef, message: object) -> None:
    # As a transport does: what a full mailbox refuses becomes a counted dead letter.
    try:
        ref._tell_quietly(message)
    except Exception:  # a loop callback must not raise
        logger.exception("could not deliver %r to %s", message, ref.path)
