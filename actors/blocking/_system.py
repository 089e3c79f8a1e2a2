"""``BlockingActorSystem``: an actor system for synchronous code, on a loop in its own thread."""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from functools import partial
from types import TracebackType
from typing import Any, Self

import anyio

from actors import Actor, ActorRef, ActorSystem, ActorSystemClosed, MailboxConfig
from supervision import RestartType

from ._bridge import CLOSING, NEW, RUNNING, Bridge
from ._loop import BACKENDS
from ._ref import BlockingRef

logger = logging.getLogger(__name__)


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
    that wait for the loop (``BlockingRef.ask`` and ``send``, :meth:`stop`, :meth:`call`,
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
        self._bridge = Bridge(self.name, backend)
        self._loop = self._bridge.loop
        self._started = threading.Event()
        self._stop_requested: anyio.Event | None = None

    def __repr__(self) -> str:
        return f"<BlockingActorSystem {self.name!r} on {self.backend} {self._bridge.state}>"

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
        with self._bridge.lock:
            if self._bridge.state != NEW:
                raise ActorSystemClosed(
                    f"blocking actor system {self.name!r} was already started once; "
                    "create a new BlockingActorSystem"
                )
            self._bridge.state = RUNNING
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
        self._bridge.refuse_on_loop("shutdown()")
        with self._bridge.lock:
            if self._bridge.state == RUNNING:
                self._bridge.state = CLOSING
                stop = self._stop_requested
                assert stop is not None
                with contextlib.suppress(Exception):  # a loop that died is ending anyway
                    self._bridge.queue_last(stop.set)
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
        self._bridge.fail_pending()
        if self._loop.error is not None and self._started.is_set():
            logger.error(
                "actor system %s: its event loop failed; every call now raises ActorSystemClosed",
                self.name,
                exc_info=self._loop.error,
            )
        self._started.set()

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
        ref = spawn() if self._loop.is_current() else self._bridge.wait(spawn)
        return BlockingRef(ref, self)

    def lookup(self, path: str) -> BlockingRef | None:
        """The live actor at ``path`` (``"bank/ada"`` or ``"/user/bank/ada"``), or ``None``.

        Raises:
            ActorSystemClosed: the system is not running.
        """
        lookup = self.actor_system.lookup
        ref = lookup(path) if self._loop.is_current() else self._bridge.wait(lookup, path)
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
        self._bridge.refuse_on_loop(f"stop({target!r})")
        self._bridge.wait(self.actor_system.stop, target)

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
        self._bridge.refuse_on_loop(f"call({fn!r})")
        return self._bridge.wait(fn, *args)
