"""``Bridge``: the way from other threads into one event loop thread, and back.

Every call from a thread is one callback queued on the loop (see
``_loop.py``); a call that waits parks on a :class:`Reply` that the loop
fills. The bridge also keeps the system's state (not started, running,
closing, closed) and the replies still owed, so that no caller is left
waiting when the loop ends, however it ends.
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
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

    def fail_pending(self) -> None:
        """Fail every reply still owed (the loop has ended: nothing queued runs any more)."""
        with self.lock:
            self.state = CLOSED
            pending, self._pending = list(self._pending), set()
        for reply in pending:
            reply.fail(self.closed_error())

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
        with self.lock:
            if self.state != RUNNING:
                raise self.closed_error()
            if reply is not None:
                self._pending.add(reply)
            try:
                self.loop.call_soon(fn, *args)
            except Exception as error:  # the loop died and is being torn down
                if reply is not None:
                    self._pending.discard(reply)
                raise self.closed_error() from error

    def settle(self, reply: Reply) -> None:
        self._pending.discard(reply)

    def tell(self, ref: ActorRef, message: object) -> None:
        if self.loop.is_current():
            ref.tell(message)
        else:
            self.submit(_deliver, ref, message)

    def ask(self, ref: ActorRef, message: object, timeout: float | None) -> Any:
        _check_timeout(timeout)
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
            reply.fail(error)
            self.settle(reply)
            return
        if not inspect.isawaitable(result):
            reply.set(result)
            self.settle(reply)
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
        reply.fail(error)
        self.settle(reply)

    async def _await(self, awaitable: Awaitable[Any], reply: Reply) -> None:
        try:
            value = await awaitable
        except Exception as error:
            self.settle(reply)
            reply.fail(error)
        else:
            # Settled first: the caller wakes only once the loop has little left to do.
            self.settle(reply)
            reply.set(value)
        finally:
            if not reply.done:  # cancelled at the loop's end (a remote ask still out)
                self.settle(reply)
                reply.fail(self.closed_error())


def _deliver(ref: ActorRef, message: object) -> None:
    # As a transport does: what a full mailbox refuses becomes a counted dead letter.
    try:
        ref._tell_quietly(message)
    except Exception:  # a loop callback must not raise
        logger.exception("could not deliver %r to %s", message, ref.path)
