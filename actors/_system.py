"""``ActorSystem``: the root of a tree of actors, and the tasks that run them."""

from __future__ import annotations

import itertools
import logging
import sys
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, overload

import anyio

from supervision import RestartType

from . import _cell_states as states
from ._actor import NOT_A_PAIR
from ._cell import ActorCell
from ._control import START, Stop
from ._errors import ActorSystemClosed
from ._event_stream import EventStream
from ._find import find_actor
from ._guardian import Guardian
from ._inspection import SystemInspection
from ._journal_seam import positive_int
from ._mailbox import UNBOUNDED
from ._messages import DeadLetter
from ._promise import promise_factory
from ._ref import ActorRef, LocalActorRef
from ._runtime_tasks import RuntimeTasks
from ._scheduler import Scheduler
from ._sharding_seam import ShardingMethods
from ._shutdown import shut_down, terminate
from ._spawn import spawn_child
from ._timers import TimerService
from ._upgrade import SystemUpgrade

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from ._actor import Actor
    from ._cluster import Cluster, ClusterNode
    from ._instrumentation import Instrumentation
    from ._mailbox import MailboxConfig
    from ._props import Props
    from ._type_parameters import M

logger = logging.getLogger(__name__)


class ActorSystem(SystemInspection, SystemUpgrade, ShardingMethods):
    """A tree of actors with its scheduler, timers and event stream.

    Use it as an async context manager; it runs inside the task that enters it::

        async with ActorSystem("bank") as system:
            ada = system.spawn(Account, "ada", name="ada")

    Leaving the block stops every actor as ``system.stop`` does (children
    before parents, each top-level actor in reverse spawn order), within
    ``shutdown_timeout`` seconds; whatever is still running then is cancelled
    and its pending asks fail with ``ActorStopped``. The shutdown is shielded
    from cancellation of the enclosing task, but bounded by that deadline;
    cancelling an enclosing scope ends the body and runs this same shutdown.

    Args:
        name: the system's name (used in logs and, later, cluster addresses).
        throughput: the most messages one actor handles in one scheduler turn
            before the next runnable actor gets its turn (fairness between actors).
        yield_interval: the most turns the dispatcher gives before it yields to
            the event loop (fairness with the rest of the program).
        shutdown_timeout: seconds that leaving the block waits for actors to stop.
        timing: measure handling times for ``ref.statistics()`` (sampled; its
            cost on the message path is measured in ``benchmarks/``).
        seed: run runnable actors in an order drawn from this seed instead of
            FIFO, for tests: the same seed replays the same interleaving as
            long as no handler awaits real I/O. Message order between one
            sender and one receiver is kept either way.
        instrumentation: an :class:`Instrumentation` (such as
            ``actors.otel.OpenTelemetryInstrumentation``) called around every
            message; ``None`` costs nothing.
        cluster: a :class:`Cluster` to join (such as
            ``actors.remote.NatsCluster``): named top-level actors become
            reachable from other processes, and :meth:`find` resolves names
            cluster-wide.
        check_messages: for tests and development, raise :class:`MessageTypeError`
            at the sender of a message that is not of the receiving actor's
            declared type (``Actor[M]``); off, it costs nothing (``docs/typing.md``).
        journal: the store of persistent actors (an ``actors.persistence``
            journal such as ``SqliteJournal``); closed when the system exits.
    """

    def __init__(
        self,
        name: str = "anyactors",
        *,
        throughput: int = 50,
        yield_interval: int = 200,
        shutdown_timeout: float = 10.0,
        timing: bool = True,
        seed: int | None = None,
        instrumentation: Instrumentation | None = None,
        cluster: Cluster | None = None,
        check_messages: bool = False,
        journal: Any = None,
    ) -> None:
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(f"system name must be a non-empty string without '/' (got {name!r})")
        self.name = name
        """The system's name, as given (in logs and cluster addresses)."""
        self._throughput = positive_int(throughput, "throughput")
        self._yield_interval = positive_int(yield_interval, "yield_interval")
        if (
            isinstance(shutdown_timeout, bool)
            or not isinstance(shutdown_timeout, int | float)
            or not shutdown_timeout > 0
        ):
            raise ValueError(f"shutdown_timeout must be > 0 seconds (got {shutdown_timeout!r})")
        self._shutdown_timeout = float(shutdown_timeout)
        self._timing = bool(timing)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"seed must be an int or None (got {seed!r})")
        self._seed = seed
        for hook in ("on_send", "on_handle"):
            if instrumentation is not None and not callable(getattr(instrumentation, hook, None)):
                raise TypeError(
                    "instrumentation must provide on_send() and on_handle() "
                    f"(got {instrumentation!r})"
                )
        self._instrumentation = instrumentation
        if cluster is not None and not callable(getattr(cluster, "attach", None)):
            raise TypeError(f"cluster must provide attach(system) (got {cluster!r})")
        self._cluster = cluster
        self._cluster_node: ClusterNode | None = None
        self._check_messages = bool(check_messages)
        #: The journal given as ``journal=``, or ``None`` (see ``actors.persistence``).
        self.journal = journal
        self.event_stream = EventStream()
        """Publish/subscribe between actors; the runtime publishes ``DeadLetter`` and
        ``ActorFailed`` here."""
        self._entered = False
        self._running = False
        self._task_group: TaskGroup | None = None
        self._runtime_tasks: RuntimeTasks | None = None
        self._scheduler: Scheduler
        self._timers: TimerService
        self._user_guardian: ActorCell
        self._system_guardian: ActorCell
        # 1, 2, ...: the numbers of generated names, spelled $1, $2, ... only
        # when asked for (see ActorCell.name).
        self._names = itertools.count(1)
        self._dead_letters: Counter[type] = Counter()
        self._actors_spawned = 0
        self._actors_stopped = 0

    def __repr__(self) -> str:
        status = "running" if self._running else ("closed" if self._entered else "not started")
        return f"<ActorSystem {self.name!r} {status}>"

    async def __aenter__(self) -> Self:
        if self._entered:
            raise ActorSystemClosed(
                f"actor system {self.name!r} was already entered once; create a new ActorSystem"
            )
        self._entered = True
        new_promise = promise_factory()
        self._scheduler = Scheduler(
            throughput=self._throughput,
            yield_interval=self._yield_interval,
            new_promise=new_promise,
            timing=self._timing,
            seed=self._seed,
            instrumentation=self._instrumentation,
        )
        self._timers = TimerService(new_promise)
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        # Shielded: an enclosing cancel scope must not take the dispatcher
        # away before __aexit__ has stopped the actors (see _runtime_tasks).
        self._runtime_tasks = tasks = RuntimeTasks(task_group)
        self._scheduler.start(tasks)
        tasks.start_soon(self._timers.run, name="anyactors timers")
        self._running = True
        self._user_guardian = self._start_guardian("user")
        self._system_guardian = self._start_guardian("system")
        if self._cluster is not None:
            try:
                self._cluster_node = await self._cluster.attach(self)
            except BaseException:
                await self.__aexit__(*sys.exc_info())
                raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        task_group = self._task_group
        assert task_group is not None
        try:
            if task_group.cancel_scope.cancel_called:
                # A runtime task died (a BaseException escaped a handler):
                # nothing dispatches any more, so a graceful stop cannot run.
                await terminate(self, "a runtime task died")
            else:
                await shut_down(self)
        finally:
            assert self._runtime_tasks is not None
            self._runtime_tasks.cancel()
            task_group.cancel_scope.cancel()
        # The body's own exception is not the task group's business: passing it
        # in would wrap it in an ExceptionGroup. It propagates unchanged.
        await task_group.__aexit__(None, None, None)
        return None

    def _start_guardian(self, name: str) -> ActorCell:
        cell = ActorCell(
            self, None, name, Guardian, None, NOT_A_PAIR, RestartType.PERMANENT, UNBOUNDED
        )
        cell.send_control(START)
        return cell

    def _check_running(self) -> None:
        if not self._running:
            if self._entered:
                raise ActorSystemClosed(
                    f"actor system {self.name!r} has shut down; it spawns nothing more"
                )
            raise ActorSystemClosed(
                f"actor system {self.name!r} is not running; enter it first with "
                f"`async with ActorSystem({self.name!r}) as system:`"
            )

    @overload
    def spawn(
        self,
        actor_class: Props[M],
        *,
        name: str | None = None,
        restart: RestartType | str = RestartType.TRANSIENT,
        mailbox: MailboxConfig | None = None,
        retry_message: int = 0,
    ) -> ActorRef[M]: ...
    @overload
    def spawn(
        self,
        actor_class: type[Actor[M]],
        *args: Any,
        name: str | None = None,
        kwargs: Mapping[str, Any] | None = None,
        restart: RestartType | str = RestartType.TRANSIENT,
        mailbox: MailboxConfig | None = None,
        retry_message: int = 0,
    ) -> ActorRef[M]: ...
    def spawn(
        self,
        actor_class: type[Actor] | Props[Any],
        *args: Any,
        name: str | None = None,
        kwargs: Mapping[str, Any] | None = None,
        restart: RestartType | str = RestartType.TRANSIENT,
        mailbox: MailboxConfig | None = None,
        retry_message: int = 0,
    ) -> ActorRef:
        """Spawn a top-level actor and return its ref at once (the actor starts asynchronously).

        An ``Actor[M]`` gives an ``ActorRef[M]``. The type checker verifies the
        constructor arguments of ``spawn(props(Account, "ada"))`` (see :func:`props`).

        Args:
            actor_class: an :class:`Actor` subclass, or :func:`props` of one (alone).
            *args: positional arguments for the constructor.
            name: unique among its siblings; ``None`` generates one (``$1``, ...).
                Names must be non-empty, without ``/``, and not start with ``$``.
            kwargs: keyword arguments for the constructor (spawn's own options are keyword-only).
            restart: ``"transient"`` (the default: restarted after a failure, gone after a
                stop), ``"permanent"`` (also restarted when it stops itself) or ``"temporary"``.
            mailbox: a :class:`MailboxConfig`; ``None``: the class's ``mailbox``, or unbounded.
            retry_message: retries of a message whose handler failed (docs/supervision.md).

        ``on_start`` completes before the first message is handled; messages
        sent meanwhile wait in the mailbox.

        Raises:
            TypeError: ``actor_class`` is neither an ``Actor`` subclass nor a ``props(...)``.
            DuplicateActorName: a live top-level actor already has this name.
            InvalidActorName: the name breaks the naming rules.
            ActorSystemClosed: the system is not running.
        """
        if not self._running:
            self._check_running()  # raises, naming why
        # Positional: a keyword costs a name match on every spawn.
        ref = spawn_child(
            self._user_guardian, actor_class, args, name, kwargs, restart, mailbox, retry_message
        ).self_ref
        if name is not None and self._cluster_node is not None:
            self._cluster_node.spawned(ref)
        return ref

    async def find(self, name: str, *, timeout: float | None = None) -> ActorRef:
        """The live actor holding ``name``: cluster-wide with a cluster, else a top-level one.

        With ``timeout``, wait up to that many seconds for one (a named actor
        spawned on another node is registered in the background).

        Raises:
            LookupError: no live actor holds the name (with a NATS cluster,
                ``actors.remote.ActorNotFound``, a subclass).
        """
        return await find_actor(self, self._cluster_node, name, timeout)

    def start_soon(
        self, fn: Callable[..., Coroutine[Any, Any, Any]], *args: Any, name: str | None = None
    ) -> None:
        """Run ``fn(*args)`` as a background task for the lifetime of the system.

        For services that belong with the actors (an observer, a transport):
        the task runs in the system's task group and is cancelled after the
        actors have stopped, when the system shuts down. An exception
        escaping it brings the system down, as in any task group.

        Raises:
            ActorSystemClosed: the system is not running.
        """
        self._check_running()
        assert self._runtime_tasks is not None
        self._runtime_tasks.start_soon(fn, *args, name=name)

    async def stop(self, ref: ActorRef) -> None:
        """Stop the actor ``ref`` for good, and return once it has stopped.

        Its current message finishes; queued messages become dead letters and
        pending asks fail with ``ActorStopped``; its children stop first, in
        reverse start order; then its ``on_stop`` runs. A stop made here is
        deliberate: the actor is not restarted, whatever its restart type.
        Stopping an actor that has already stopped returns at once.
        """
        if not isinstance(ref, LocalActorRef):
            raise TypeError(f"stop() needs an ActorRef of this system (got {ref!r})")
        cell = ref._cell
        if cell.system is not self:
            raise ValueError(f"{ref!r} belongs to another actor system")
        if cell.parent_cell is None:
            raise ValueError(f"{ref.path} is a guardian; it stops when the system shuts down")
        if cell.state == states.STOPPED:
            return
        waiter = cell.add_termination_waiter()
        cell.send_control(Stop(deliberate=True))
        await waiter

    def _dead_letter(self, message: object, recipient: ActorRef, reason: str) -> None:
        self._dead_letters[type(message)] += 1
        logger.debug(
            "dead letter for %s (%s): %r",
            recipient.path,
            reason,
            message,
            extra={"actor": recipient.path},
        )
        if isinstance(message, DeadLetter):
            return  # a dead letter about a dead letter is counted, never published again
        self.event_stream.publish(DeadLetter(message=message, recipient=recipient, reason=reason))
