"""The baseline: the smallest multiplexer of actors that anyio allows.

Every ratio this package prints is against this module, measured in the same
run. It is the practical limit of Python for the design anyactors has: plain
objects with a deque mailbox, one FIFO run queue drained by one anyio task,
one plain function call per message and no ``await`` per message. It has no
supervision, no lifecycle beyond ``on_start``, no names, paths or dead letters.

It keeps the two choices that make such a design usable at all, because the
runtime has to make them too: the dispatcher hands out turns of at most
``throughput`` messages and yields to the event loop after ``yield_interval``
turns (the same defaults as ``ActorSystem``), and ``ask`` parks the asking task
on the backend's own one-shot primitive (an ``asyncio.Future``, or trio's
``wait_task_rescheduled``) so the asker waits exactly as it does with the
runtime. It deliberately shares no code with ``actors``: a change in the
runtime must never move the baseline.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Generator
from types import TracebackType
from typing import Any, Protocol, Self

import anyio
import anyio.lowlevel
from anyio.abc import TaskGroup


class Promise(Protocol):
    """A one-shot value that one task awaits and another sets."""

    def done(self) -> bool: ...
    def set_result(self, result: Any, /) -> None: ...
    def set_exception(self, exception: BaseException, /) -> None: ...
    def __await__(self) -> Generator[Any, Any, Any]: ...


def _trio_promise() -> Callable[[], Promise]:
    import outcome  # noqa: PLC0415 - only present, and only needed, on trio
    import trio  # noqa: PLC0415

    reschedule = trio.lowlevel.reschedule
    current_task = trio.lowlevel.current_task
    wait_task_rescheduled = trio.lowlevel.wait_task_rescheduled
    abort_succeeded = trio.lowlevel.Abort.SUCCEEDED

    class TrioPromise:
        __slots__ = ("_outcome", "_task")

        def __init__(self) -> None:
            self._outcome: outcome.Outcome[Any] | None = None
            self._task: trio.lowlevel.Task | None = None

        def done(self) -> bool:
            return self._outcome is not None

        def _settle(self, result: outcome.Outcome[Any]) -> None:
            self._outcome = result
            task, self._task = self._task, None
            if task is not None:
                reschedule(task, result)

        def set_result(self, result: Any, /) -> None:
            self._settle(outcome.Value(result))

        def set_exception(self, exception: BaseException, /) -> None:
            self._settle(outcome.Error(exception))

        def _abort(self, _raise_cancel: object) -> trio.lowlevel.Abort:
            self._task = None
            self._outcome = outcome.Value(None)
            return abort_succeeded

        def __await__(self) -> Generator[Any, Any, Any]:
            if self._outcome is not None:
                return self._outcome.unwrap()
            self._task = current_task()
            return (yield from wait_task_rescheduled(self._abort).__await__())

    return TrioPromise


def _promise_factory() -> Callable[[], Promise]:
    """The fastest promise constructor for the running event loop (asyncio or trio)."""
    try:
        return asyncio.get_running_loop().create_future
    except RuntimeError:  # no asyncio loop running: we are on trio
        return _trio_promise()


class BaselineActor:
    """What a baseline actor subclasses: ``receive`` and an optional ``on_start``.

    ``self_ref`` is the actor's own :class:`BaselineRef`, set before ``on_start``.
    """

    __slots__ = ("__dict__", "self_ref")

    self_ref: BaselineRef

    def on_start(self) -> None:
        """Called by the dispatcher before the first message."""

    def receive(self, message: Any) -> Any:
        """Handle one message; the return value answers an ``ask``."""
        raise NotImplementedError


class BaselineRef:
    """One actor of the baseline: its instance, its mailbox, and whether it is queued.

    The cell and the ref are one object: the baseline has nothing to hide.
    """

    __slots__ = ("actor", "mailbox", "scheduled", "started", "system")

    def __init__(self, system: BaselineSystem, actor: BaselineActor) -> None:
        self.system = system
        self.actor = actor
        self.mailbox: deque[tuple[object, Promise | None]] = deque()
        self.scheduled = False
        self.started = False

    def tell(self, message: object) -> None:
        """Append ``message`` and queue the actor if it is idle."""
        self.mailbox.append((message, None))
        if not self.scheduled:
            self.scheduled = True
            self.system.schedule(self)

    async def ask(self, message: object) -> Any:
        """Append ``message`` with a promise, queue the actor if idle, and park until it answers."""
        promise = self.system.new_promise()
        self.mailbox.append((message, promise))
        if not self.scheduled:
            self.scheduled = True
            self.system.schedule(self)
        return await promise


class BaselineSystem:
    """The baseline's run queue and its one dispatcher task; an async context manager."""

    def __init__(self, *, throughput: int = 50, yield_interval: int = 200) -> None:
        self.throughput = throughput
        self.yield_interval = yield_interval
        self.run_queue: deque[BaselineRef] = deque()
        #: Every actor spawned: an actor runtime must keep idle actors alive somehow.
        self.actors: list[BaselineRef] = []
        self.new_promise: Callable[[], Promise]
        self._wakeup: Promise | None = None
        self._task_group: TaskGroup | None = None

    async def __aenter__(self) -> Self:
        self.new_promise = _promise_factory()
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        task_group.start_soon(self._dispatch)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        task_group = self._task_group
        assert task_group is not None
        task_group.cancel_scope.cancel()
        return await task_group.__aexit__(exc_type, exc, traceback)

    def spawn(self, actor_class: Callable[..., BaselineActor], *args: Any) -> BaselineRef:
        """Build the actor now and queue it; the dispatcher runs its ``on_start``."""
        ref = BaselineRef(self, actor_class(*args))
        ref.actor.self_ref = ref
        self.actors.append(ref)
        ref.scheduled = True
        self.schedule(ref)
        return ref

    def schedule(self, ref: BaselineRef) -> None:
        self.run_queue.append(ref)
        wakeup = self._wakeup
        if wakeup is not None:
            self._wakeup = None
            if not wakeup.done():
                wakeup.set_result(None)

    async def _dispatch(self) -> None:
        run_queue = self.run_queue
        throughput = self.throughput
        yield_interval = self.yield_interval
        while True:
            turns = 0
            while run_queue and turns < yield_interval:
                ref = run_queue.popleft()
                turns += 1
                actor = ref.actor
                if not ref.started:
                    ref.started = True
                    actor.on_start()
                mailbox = ref.mailbox
                receive = actor.receive
                handled = 0
                while mailbox and handled < throughput:
                    message, promise = mailbox.popleft()
                    handled += 1
                    try:
                        result = receive(message)
                    except Exception as error:
                        if promise is None:
                            raise
                        promise.set_exception(error)
                    else:
                        if promise is not None:
                            promise.set_result(result)
                if mailbox:
                    run_queue.append(ref)
                else:
                    ref.scheduled = False
            if run_queue:
                await anyio.lowlevel.checkpoint()
            else:
                self._wakeup = wakeup = self.new_promise()
                await wakeup
