"""``BlockingActorSystem``: an actor system for synchronous code, on a loop in its own thread."""

from __future__ import annotations

import atexit
import inspect
import logging
import math
import threading
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from types import TracebackType
from typing import Any, Self

import anyio

from actors import Actor, ActorRef, ActorSystem, ActorSystemClosed, MailboxConfig
from supervision import RestartType

from ._errors import BlockingCallRefused
from ._loop import BACKENDS, LoopThread
from ._ref import BlockingRef
from ._reply import Reply

logger = logging.getLogger(__name__)

_NEW, _RUNNING, _CLOSING, _CLOSED = "not started", "running", "closing", "closed"
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


class BlockingActorSystem:
    """An :class:`~actors.ActorSystem` run on its own event loop in a background thread.

    For code that runs no event loop: scripts, Flask or Django views, data
    jobs, test fixtures::

        with BlockingActorSystem("bank") as system:
            ada = system.spawn(Account, "ada", name="ada")
            ada.tell(Deposit(20))
            balance = ada.ask(GetBalance(), timeout=5)

    Entering starts a daemon thread running the chosen event loop and, in it,
    ``ActorSystem(name, **system_options)``; it returns once the system runs
    (or raises what starting it raised). Leaving stops every actor gracefully
    as leaving ``async with ActorSystem(...)`` does (children first, each
    ``on_stop`` run, within ``shutdown_timeout``), also when the block
    raised, then joins the thread. Calls accepted before the exit are
    delivered before the actors stop; calls made after it raise
    ``ActorSystemClosed``. A system still running at interpreter exit is shut
    down the same way by an ``atexit`` hook.

    Every method is safe to call from any thread, concurrently. The methods
    that wait for the loop (``BlockingRef.ask``, :meth:`stop`, :meth:`call`,
    leaving the block) raise :class:`BlockingCallRefused` when called from
    the system's own loop thread (a handler of this system), where they would
    deadlock; :meth:`spawn`, :meth:`lookup`, :meth:`wrap` and
    ``BlockingRef.tell`` wait for nothing and run in place there.

    Args:
        name: the system's name, as for ``ActorSystem``.
        backend: ``"asyncio"`` or ``"trio"``: the event loop of the thread.
        **system_options: the keyword options of ``ActorSystem`` (``throughput``,
            ``shutdown_timeout``, ``instrumentation``, ``cluster``, ...),
            checked here, in the caller's thread.

    Raises:
        ValueError: an unknown ``backend``, or a bad system option.
        TypeError: an unknown or ill-typed system option.
    """

    def __init__(self, name: str, *, backend: str = "asyncio", **system_options: Any) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend must be 'asyncio' or 'trio' (got {backend!r})")
        if backend == "trio":
            import trio  # noqa: F401, PLC0415 - fail here, not in the thread, if trio is missing
        #: The async system that the loop thread runs. Use it only on that
        #: thread (in actors) or through :meth:`call`.
        self.actor_system = ActorSystem(name, **system_options)
        self.name = self.actor_system.name
        self.backend = backend
        self._loop = LoopThread(backend, f"anyactors {self.name} ({backend})")
        self._lock = threading.Lock()
        self._state = _NEW
        self._pending: set[Reply] = set()
        self._started = threading.Event()
        self._stop_requested: anyio.Event | None = None

    def __repr__(self) -> str:
        return f"<BlockingActorSystem {self.name!r} on {self.backend} {self._state}>"

    # Lifecycle

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._shutdown(body_failed=exc is not None)

    def start(self) -> Self:
        """Start the loop thread and the system; return once it runs.

        What ``with`` does on entry, for code that cannot hold a ``with``
        block open (a web application that starts at import, say); pair it
        with :meth:`shutdown`.

        Raises:
            ActorSystemClosed: the system was started before (make a new one).
            Exception: whatever entering the ``ActorSystem`` raised (a
                cluster that could not attach, say).
        """
        with self._lock:
            if self._state != _NEW:
                raise ActorSystemClosed(
                    f"blocking actor system {self.name!r} was already started once; "
                    "create a new BlockingActorSystem"
                )
            self._state = _RUNNING
        self._loop.start(self._main, self._ended)
        self._started.wait()
        if self._loop.error is not None:
            self._loop.join()
            error, self._loop.error = self._loop.error, None
            raise error
        atexit.register(self._shutdown_at_exit)
        return self

    def shutdown(self) -> None:
        """Stop every actor gracefully, end the loop and join its thread. Idempotent.

        What leaving the ``with`` block does. Calls from other threads made
        before it are delivered first; later calls raise ``ActorSystemClosed``.

        Raises:
            BlockingCallRefused: called from the system's own loop thread.
            Exception: what ended the system's event loop, if it failed.
        """
        self._shutdown(body_failed=False)

    def _shutdown(self, *, body_failed: bool) -> None:
        self._refuse_on_loop("shutdown()")
        with self._lock:
            running = self._state == _RUNNING
            if running:
                self._state = _CLOSING
                stop = self._stop_requested
                assert stop is not None
                self._loop.call_soon(stop.set)
        self._loop.join()
        atexit.unregister(self._shutdown_at_exit)
        error, self._loop.error = self._loop.error, None
        # Logged when it happened; raised here unless the block's own exception goes on.
        if error is not None and not body_failed:
            raise error

    def _shutdown_at_exit(self) -> None:
        self._shutdown(body_failed=True)  # at exit, an error is logged, never raised

    async def _main(self) -> None:
        self._stop_requested = anyio.Event()
        async with self.actor_system:
            self._started.set()
            await self._stop_requested.wait()

    def _ended(self) -> None:
        # On the loop thread, once the loop is gone: nothing queued runs any more.
        with self._lock:
            self._state = _CLOSED
            pending, self._pending = list(self._pending), set()
        for reply in pending:
            reply.fail(self._closed_error())
        if self._loop.error is not None and self._started.is_set():
            logger.error(
                "actor system %s: its event loop failed; every call now raises ActorSystemClosed",
                self.name,
                exc_info=self._loop.error,
            )
        self._started.set()

    def _closed_error(self) -> ActorSystemClosed:
        if self._state == _NEW:
            return ActorSystemClosed(
                f"blocking actor system {self.name!r} is not running; start it first with "
                f"`with BlockingActorSystem({self.name!r}) as system:`"
            )
        return ActorSystemClosed(f"blocking actor system {self.name!r} has shut down")

    def _refuse_on_loop(self, what: str) -> None:
        if self._loop.is_current():
            raise BlockingCallRefused(
                f"{what} blocks until the event loop of actor system {self.name!r} answers, "
                "but it was called on that loop's own thread (from one of its actors), "
                "where it would wait forever; there, await the async API instead "
                "(`await blocking_ref.ref.ask(...)`, `await system.actor_system.stop(ref)`)"
            )

    # Getting work to the loop

    def _submit(self, fn: Callable[..., object], *args: Any, reply: Reply | None = None) -> None:
        with self._lock:
            if self._state != _RUNNING:
                raise self._closed_error()
            if reply is not None:
                self._pending.add(reply)
            try:
                self._loop.call_soon(fn, *args)
            except Exception as error:  # the loop died and is being torn down
                if reply is not None:
                    self._pending.discard(reply)
                raise self._closed_error() from error

    def _settle(self, reply: Reply) -> None:
        self._pending.discard(reply)

    def _tell(self, ref: ActorRef, message: object) -> None:
        if self._loop.is_current():
            ref.tell(message)
        else:
            self._submit(_deliver, ref, message)

    def _ask(self, ref: ActorRef, message: object, timeout: float | None) -> Any:
        _check_timeout(timeout)
        self._refuse_on_loop(f"ask() to {ref.path}")
        reply = Reply()
        self._submit(self._start_ask, ref, message, timeout, reply, reply=reply)
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
            self._loop.start_task(self._run_ask, ref, message, timeout, reply)
        except Exception as error:  # the loop is ending (its nursery closed)
            self._fail_closed(reply, error)

    async def _run_ask(
        self, ref: ActorRef, message: object, timeout: float | None, reply: Reply
    ) -> None:
        try:
            # The caller's own wait raises its TimeoutError at ``timeout``; this
            # later one only ends the task when no reply ever comes.
            slack = None if timeout is None else timeout + _SLACK
            reply.set(await ref.ask(message, timeout=slack))
        except Exception as error:
            reply.fail(error)
        finally:
            if not reply.done:  # cancelled at the loop's end (a remote ask still out)
                reply.fail(self._closed_error())
            self._settle(reply)

    def _wait_on_loop(self, fn: Callable[..., Any], *args: Any) -> Any:
        reply = Reply()
        self._submit(self._invoke, fn, args, reply, reply=reply)
        reply.wait(None)
        return reply.result()

    def _invoke(self, fn: Callable[..., Any], args: tuple[Any, ...], reply: Reply) -> None:
        try:
            result = fn(*args)
        except Exception as error:  # a loop callback must not raise
            reply.fail(error)
            self._settle(reply)
            return
        if not inspect.isawaitable(result):
            reply.set(result)
            self._settle(reply)
            return
        try:
            self._loop.start_task(self._await, result, reply)
        except Exception as error:  # the loop is ending (its nursery closed)
            if inspect.iscoroutine(result):
                result.close()
            self._fail_closed(reply, error)

    def _fail_closed(self, reply: Reply, cause: Exception) -> None:
        error = self._closed_error()
        error.__cause__ = cause
        reply.fail(error)
        self._settle(reply)

    async def _await(self, awaitable: Awaitable[Any], reply: Reply) -> None:
        try:
            reply.set(await awaitable)
        except Exception as error:
            reply.fail(error)
        finally:
            if not reply.done:
                reply.fail(self._closed_error())
            self._settle(reply)

    # The API

    def spawn(
        self,
        actor_class: type[Actor],
        *args: Any,
        name: str | None = None,
        kwargs: Mapping[str, Any] | None = None,
        restart: RestartType | str = RestartType.TRANSIENT,
        mailbox: MailboxConfig | None = None,
    ) -> BlockingRef:
        """Spawn a top-level actor, as ``ActorSystem.spawn`` does, and return its blocking ref.

        Blocks only until the loop has created the actor (its ``on_start``
        runs asynchronously; messages sent meanwhile wait in its mailbox).
        Takes the same arguments and raises the same errors as
        ``ActorSystem.spawn``, in the calling thread.

        Raises:
            ActorSystemClosed: the system is not running.
        """
        spawn = partial(
            self.actor_system.spawn,
            actor_class,
            *args,
            name=name,
            kwargs=kwargs,
            restart=restart,
            mailbox=mailbox,
        )
        ref = spawn() if self._loop.is_current() else self._wait_on_loop(spawn)
        return BlockingRef(ref, self)

    def lookup(self, path: str) -> BlockingRef | None:
        """The live actor at ``path`` (``"bank/ada"`` or ``"/user/bank/ada"``), or ``None``.

        Raises:
            ActorSystemClosed: the system is not running.
        """
        lookup = self.actor_system.lookup
        ref = lookup(path) if self._loop.is_current() else self._wait_on_loop(lookup, path)
        return None if ref is None else BlockingRef(ref, self)

    def wrap(self, ref: ActorRef) -> BlockingRef:
        """A blocking ref for ``ref``, an ActorRef obtained otherwise (in a reply, say).

        Raises:
            TypeError: ``ref`` is not an ``ActorRef``.
        """
        if not isinstance(ref, ActorRef):
            raise TypeError(f"wrap() needs an actors.ActorRef (got {ref!r})")
        return BlockingRef(ref, self)

    def stop(self, ref: BlockingRef | ActorRef) -> None:
        """Stop an actor for good, as ``ActorSystem.stop`` does, and return once it has stopped.

        Raises:
            BlockingCallRefused: called from the system's own loop thread.
            ActorSystemClosed: the system is not running.
        """
        target = ref.ref if isinstance(ref, BlockingRef) else ref
        self._refuse_on_loop(f"stop({target!r})")
        self._wait_on_loop(self.actor_system.stop, target)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` on the system's loop and return its result, awaited if awaitable.

        The way to anything else of the async API from synchronous code::

            system.call(system.actor_system.event_stream.subscribe, listener.ref, DeadLetter)
            stats = system.call(system.actor_system.statistics)
            spawn = partial(spawn_pool, system.actor_system, Worker, size=4, name="workers")
            pool = system.wrap(system.call(spawn))

        Raises:
            Exception: whatever ``fn`` raised, with its own type.
            BlockingCallRefused: called from the system's own loop thread.
            ActorSystemClosed: the system is not running.
        """
        self._refuse_on_loop(f"call({fn!r})")
        return self._wait_on_loop(fn, *args)


def _deliver(ref: ActorRef, message: object) -> None:
    # As a transport does: what a full mailbox refuses becomes a counted dead letter.
    try:
        ref._tell_quietly(message)
    except Exception:  # a loop callback must not raise
        logger.exception("could not deliver %r to %s", message, ref.path)
