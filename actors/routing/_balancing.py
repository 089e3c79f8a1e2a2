"""``BalancingPool``: idle workers take the next message from one shared queue."""

from __future__ import annotations

import inspect
import types
from collections import deque
from collections.abc import Mapping
from typing import Any, ClassVar, overload

import anyio
from attrs import define, field, frozen

from actors import (
    Actor,
    ActorRef,
    ActorStatistics,
    ActorStopped,
    MailboxConfig,
    ReplyTypeMismatch,
    Request,
    Terminated,
)
from supervision import OneForOne, Strategy

from ._pool import Spawner, check_size
from ._type_parameters import M, M_contra, R


@define(eq=False)
class _Reply:
    """Where a worker puts the answer to an ``ask`` made through the balancing pool."""

    done: anyio.Event = field(factory=anyio.Event)
    value: Any = None
    error: BaseException | None = None

    def succeed(self, value: Any) -> None:
        if not self.done.is_set():
            self.value = value
            self.done.set()

    def fail(self, error: BaseException) -> None:
        if not self.done.is_set():
            self.error = error
            self.done.set()


@frozen
class Job:
    """Internal: one message on its way to a worker, with where to answer an ``ask``."""

    message: object
    reply: _Reply | None = None


@frozen
class _Idle:
    worker: ActorRef


def _balanced(worker_class: type[Actor]) -> type[Actor]:
    """A subclass of ``worker_class`` that unwraps jobs and reports when it is idle again."""
    inner = worker_class.receive

    def finish(self: Actor, job: Job, outcome: Any, error: Exception | None) -> None:
        if job.reply is not None:
            if error is None:
                job.reply.succeed(outcome)
            else:
                job.reply.fail(error)
        parent = self.context.parent
        assert parent is not None
        parent.tell(_Idle(self.context.self_ref))

    if inspect.iscoroutinefunction(inner):

        async def receive(self: Actor, message: Any) -> Any:
            if not isinstance(message, Job):
                return await inner(self, message)
            try:
                outcome = await inner(self, message.message)
            except Exception as error:
                finish(self, message, None, error)
                raise
            finish(self, message, outcome, None)
            return outcome

    else:

        def receive(self: Actor, message: Any) -> Any:  # type: ignore[misc]
            if not isinstance(message, Job):
                return inner(self, message)
            try:
                outcome = inner(self, message.message)
            except Exception as error:
                finish(self, message, None, error)
                raise
            finish(self, message, outcome, None)
            return outcome

    # Actor[Any]: the wrapper takes Jobs as well as what the workers accept
    # (a system's check_messages reads the declared message type from here).
    return types.new_class(
        worker_class.__name__,
        (worker_class, Actor[Any]),
        exec_body=lambda namespace: namespace.update(receive=receive),
    )


class BalancingPool(Actor):
    """Keeps one queue of work; each idle worker takes the next message from it.

    Spawn it with :func:`spawn_balancing_pool`. Work goes to whichever worker
    is free, so one slow message never holds up others queued behind it.
    Workers must handle messages in ``receive`` (not with ``become``). A
    worker that fails is restarted by the pool's ``strategy``; the failed
    message's ``ask`` receives the exception, and the worker takes new work
    after its restart. At a stop, queued work becomes dead letters and
    pending asks fail with ``ActorStopped``.
    """

    strategy: ClassVar[Strategy | None] = OneForOne(max_restarts=10, within=5.0)

    def __init__(
        self,
        worker_class: type[Actor],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any] | None,
        size: int,
    ) -> None:
        self.queue: deque[Job] = deque()
        self.idle: deque[ActorRef] = deque()
        self.inflight: dict[ActorRef, Job] = {}
        worker = _balanced(worker_class)
        for index in range(size):
            ref = self.context.spawn(
                worker, *args, name=f"w{index}", kwargs=kwargs, restart="permanent"
            )
            self.context.watch(ref)
            self.idle.append(ref)

    def on_stop(self) -> None:
        stopping = self.context.self_ref.statistics().state == "stopping"
        if not stopping:
            # A restart: the mailbox is kept, so the queued work waits there
            # for the fresh instance and its fresh workers.
            for job in self.queue:
                self.context.self_ref.tell(job)
            return
        error = ActorStopped(f"{self.context.path} stopped before the message was handled")
        for job in self.inflight.values():
            if job.reply is not None:
                job.reply.fail(error)
        for job in self.queue:
            if job.reply is not None:
                job.reply.fail(error)
            self.context.self_ref.tell(job.message)  # closed mailbox: a dead letter

    def receive(self, message: Any) -> Any:
        match message:
            case _Idle(worker):
                self.inflight.pop(worker, None)
                if worker in self.idle:
                    return None
                if self.queue:
                    self._give(worker, self.queue.popleft())
                else:
                    self.idle.append(worker)
            case Terminated(ref):
                if ref in self.idle:
                    self.idle.remove(ref)
                job = self.inflight.pop(ref, None)
                if job is not None and job.reply is not None:
                    job.reply.fail(ActorStopped(f"{ref.path} stopped before it answered"))
            case Job():
                self._dispatch(message)
            case _:
                self._dispatch(Job(message))
        return None

    def _give(self, worker: ActorRef, job: Job) -> None:
        self.inflight[worker] = job
        worker.tell(job)

    def _dispatch(self, job: Job) -> None:
        if self.idle:
            self._give(self.idle.popleft(), job)
        else:
            self.queue.append(job)


class BalancingRef(ActorRef[M_contra]):
    """The ref of a :class:`BalancingPool`: ``ask`` answers the worker's reply.

    A ``BalancingRef[M]`` accepts what its workers accept
    (``spawn_balancing_pool`` of an ``Actor[M]`` returns one).

    ``tell``/``send`` queue the message in the pool; ``ask`` waits for the
    reply of whichever worker takes it (or raises what that worker raised,
    or ``ActorStopped`` if the pool stops first).
    """

    __slots__ = ("_pool",)

    def __init__(self, pool: ActorRef[Any]) -> None:
        self._pool = pool

    @property
    def router(self) -> ActorRef:
        """The balancing pool actor's own ref (to stop or watch it)."""
        return self._pool

    @property
    def path(self) -> str:
        return self._pool.path

    def tell(self, message: M_contra) -> None:
        self._pool.tell(Job(message))

    async def send(self, message: M_contra) -> None:
        await self._pool.send(Job(message))

    @overload
    async def ask(self, message: Request[R], *, timeout: float | None = None) -> R: ...
    @overload
    async def ask(
        self, message: Request[Any], *, timeout: float | None = None
    ) -> ReplyTypeMismatch: ...
    @overload
    async def ask(self, message: M_contra, *, timeout: float | None = None) -> Any: ...
    async def ask(self, message: Any, *, timeout: float | None = None) -> Any:
        reply = _Reply()
        with anyio.fail_after(timeout):
            await self._pool.send(Job(message, reply))
            await reply.done.wait()
        if reply.error is not None:
            raise reply.error
        return reply.value

    def statistics(self) -> ActorStatistics:
        return self._pool.statistics()

    def _watch(self, watcher: ActorRef) -> None:
        self._pool._watch(watcher)

    def _unwatch(self, watcher: ActorRef) -> None:
        self._pool._unwatch(watcher)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BalancingRef):
            return self._pool == other._pool
        if isinstance(other, ActorRef):
            return self._pool == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._pool)

    def __repr__(self) -> str:
        return f"<BalancingRef {self.path}>"


def spawn_balancing_pool(
    spawner: Spawner,
    worker_class: type[Actor[M]],
    *args: Any,
    size: int,
    name: str | None = None,
    kwargs: Mapping[str, Any] | None = None,
    mailbox: MailboxConfig | None = None,
) -> BalancingRef[M]:
    """Spawn a :class:`BalancingPool` of ``size`` workers; return its :class:`BalancingRef`.

    ``mailbox`` configures the pool's shared queue (the pool actor's mailbox).

    Raises:
        InvalidRouting: ``size`` is not a whole number >= 1.
        TypeError: ``worker_class`` is not an ``Actor`` subclass.
    """
    check_size(size)
    if not (isinstance(worker_class, type) and issubclass(worker_class, Actor)):
        raise TypeError(
            f"spawn_balancing_pool() needs an Actor subclass for the workers (got {worker_class!r})"
        )
    ref = spawner.spawn(BalancingPool, worker_class, args, kwargs, size, name=name, mailbox=mailbox)
    return BalancingRef(ref)
