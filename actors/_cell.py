"""The actor cell: one actor's mailbox, state and place in the tree.

A cell outlives the instances of its actor: a restart replaces the instance
and keeps the cell, so refs stay valid and queued messages survive. The cell
is what the scheduler runs; the lifecycle sequences (start, stop, restart) live
in ``_lifecycle.py`` and supervision of children in ``_supervising.py``.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from supervision import RestartType

from . import _cell_states as states
from ._behaviour import drop_stash, set_handler
from ._children import children_of, remove_child
from ._context import ActorContext
from ._control import ChildFailed, RunExclusive, Stop
from ._errors import ActorStopped, MailboxFull
from ._extras import CellExtras
from ._instrumentation import Carried
from ._mailbox import UNBOUNDED, MailboxConfig, Overflow, close_mailbox, create_queue, unchecked
from ._messages import ActorFailed, Terminated
from ._names import generated_name
from ._promise import Promise, complete, fail
from ._ref import ActorRef, LocalActorRef
from ._timers import Timer

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._actor import Actor, Arguments
    from ._scheduler import Scheduler
    from ._system import ActorSystem

logger = logging.getLogger(__name__)


class ActorCell(ActorContext):
    """One actor: its mailbox, lifecycle state, instance and children.

    The cell is also the actor's ``ActorContext`` (as in Akka, where the
    ``ActorCell`` implements ``ActorContext``): one object per actor fewer to
    allocate and for the garbage collector to track. The context's public
    methods are the actor's face; the cell's fields are the runtime's.

    Every field is touched only from the event loop thread that runs the system.
    """

    __slots__ = (
        "_path",
        "actor_class",
        "arguments",
        "child_cells",
        "control",
        "extras",
        "instance",
        "key",
        "mailbox",
        "messages_handled",
        "next_sibling",
        "open",
        "parent_cell",
        "queue",
        "receive",
        "receive_is_async",
        "receiver",
        "restart_type",
        "run_state",
        "scheduler",
        "second_argument",
        "single",
        "started",
        "state",
    )

    def __init__(  # noqa: PLR0917 - positional for speed, see below
        self,
        system: ActorSystem,
        parent: ActorCell | None,
        key: str | int,
        actor_class: type[Actor],
        arguments: Arguments,
        second_argument: object,
        restart_type: RestartType,
        mailbox: MailboxConfig,
        /,
    ) -> None:
        # Positional only: a keyword costs a name match, on every spawn.
        self.system = system
        self.scheduler: Scheduler = system._scheduler
        self.parent_cell = parent
        # The key in the parent's ``child_cells``: the name, or the n of ``$n``.
        self.key = key
        # Built on first use: most actors are never asked for their path.
        self._path: str | None = None if parent is not None else f"/{key}"
        self.actor_class = actor_class
        # The constructor arguments, kept for restarts: see ``Arguments`` (a pair
        # takes two slots, not its tuple: docs/benchmarks.md, "Fibonacci").
        self.arguments = arguments
        self.second_argument = second_argument
        self.restart_type = restart_type
        self.mailbox = mailbox
        self.self_ref = LocalActorRef(self)
        self.state = states.NEW
        self.run_state = states.IDLE
        # open: tell takes the fast path (unbounded FIFO, no instrumentation,
        # not stopped): append to the queue, or fill ``single`` if there is none.
        self.open = (mailbox is UNBOUNDED or unchecked(mailbox)) and system._instrumentation is None
        self.queue: deque[tuple[object, Promise | None]] | None = None
        # The one envelope waiting while there is no queue (a deque costs ~760
        # bytes): a second one moves it into a new queue (create_queue), so
        # ``single`` is set only while ``queue`` is None.
        self.single: tuple[object, Promise | None] | None = None
        # A list, not a deque: control queues hold one or two messages, and an
        # empty deque costs ~600 bytes (every actor gets a Start).
        self.control: list[object] | tuple[object, ...] | None = None
        self.instance: Actor | None = None
        # The message handler, called as receive(receiver, message): the
        # instance's own receive split into function and instance, or a
        # handler installed by become() (see _behaviour.set_handler).
        self.receive: Callable[[Any, Any], Any] | None = None
        self.receiver: object = None
        self.receive_is_async = False
        self.started = False
        # The children, and this cell's place in its parent's chain: see ``_children``.
        self.child_cells: dict[str | int, ActorCell] | ActorCell | None = None
        self.next_sibling: ActorCell | None = None
        self.messages_handled = 0
        self.extras: CellExtras | None = None

    @property
    def path(self) -> str:
        """The actor's path, e.g. ``/user/bank/ada``."""
        path = self._path
        if path is None:
            assert self.parent_cell is not None
            path = self._path = f"{self.parent_cell.path}/{self.name}"
        return path

    @property
    def name(self) -> str:
        """The name given at spawn, or the generated ``$n`` (kept as ``n``: see ``_names``)."""
        key = self.key
        return key if isinstance(key, str) else generated_name(key)

    def ensure_extras(self) -> CellExtras:
        """The cell's rarely needed state, created on first use."""
        extras = self.extras
        if extras is None:
            extras = self.extras = CellExtras()
        return extras

    def __repr__(self) -> str:
        return f"<ActorCell {self.path} {states.STATE_NAMES[self.state]}>"

    # -- delivery ---------------------------------------------------------

    def new_promise(self) -> Promise:
        return self.scheduler.new_promise()

    def deliver(self, message: object, promise: Promise | None, carrier: object = None) -> None:
        """Queue a message (all but the fast path); ``carrier``: one from another process."""
        if self.state >= states.STOPPING:
            self.reject(message, promise, "recipient stopped")
            return
        queue = self.queue
        if queue is None:
            queue = create_queue(self)
        elif (capacity := self.mailbox.capacity) is not None and len(queue) >= capacity:
            overflow = self.mailbox.overflow
            if overflow is Overflow.DROP:
                self.reject(message, promise, "mailbox full")
                return
            advice = (
                "await ref.send() to wait for room"
                if overflow is Overflow.BACKPRESSURE
                else "raise its capacity, or use Overflow.BACKPRESSURE and await ref.send()"
            )
            raise MailboxFull(f"the mailbox of {self.path} is full ({capacity} messages); {advice}")
        instrumentation = self.system._instrumentation
        if instrumentation is not None:
            if carrier is None:
                carrier = instrumentation.on_send(self.self_ref, message)
            promise = Carried(promise, carrier)
        queue.append((message, promise))
        if self.run_state == states.IDLE:
            self.scheduler.schedule(self)

    def reject(self, message: object, promise: Promise | None, reason: str) -> None:
        """Turn an undeliverable message into a dead letter; fail its ``ask`` at once."""
        if promise is not None:
            if reason == "mailbox full":
                fail(
                    promise,
                    MailboxFull(f"the mailbox of {self.path} is full; the request was dropped"),
                )
            else:
                fail(promise, self.stopped_error(message))
        self.system._dead_letter(message, self.self_ref, reason)

    def stopped_error(self, message: object) -> ActorStopped:
        """The ``ActorStopped`` for an ask of ``message``; caused by the failure that stopped us."""
        extras = self.extras
        cause = extras.stop_cause if extras is not None else None
        if cause is None:
            return ActorStopped(f"{self.path} has stopped; it cannot answer {message!r}")
        error = ActorStopped(
            f"{self.path} has stopped after a failure ({cause!r}); it cannot answer {message!r}"
        )
        error.__cause__ = cause
        return error

    def dead_letter(self, message: object, reason: str) -> None:
        self.system._dead_letter(message, self.self_ref, reason)

    def send_control(self, message: object) -> None:
        """Queue a control message; it is handled before any user message."""
        control = self.control
        if control is None:
            self.control = [message]
        elif type(control) is list:
            control.append(message)
        else:  # START_PENDING, shared: copy it
            self.control = [*control, message]
        if self.run_state == states.IDLE:
            self.scheduler.schedule(self)

    def has_work(self) -> bool:
        return bool(self.control) or (
            self.state == states.RUNNING and (bool(self.queue) or self.single is not None)
        )

    # -- failure ----------------------------------------------------------

    def fail(
        self,
        error: Exception,
        message: object,
        promise: Promise | None,
        *,
        escalated: bool = False,
    ) -> None:
        """Suspend after ``error`` and report it to the parent, which decides what follows."""
        if promise is not None:
            fail(promise, error)
        self.ensure_extras().failures += 1
        self.state = states.SUSPENDED
        self.system.event_stream.publish(
            ActorFailed(ref=self.self_ref, error=error, message=message)
        )
        parent = self.parent_cell
        if parent is None:
            logger.critical(
                "guardian %s failed: %r",
                self.path,
                error,
                exc_info=error,
                extra={"actor": self.path},
            )
            return
        parent.send_control(ChildFailed(self, error, escalated))

    # -- instance ---------------------------------------------------------

    def set_instance(self, instance: Actor) -> None:
        self.instance = instance
        set_handler(self, instance.receive, type(instance)._receive_is_async)

    def clear_instance(self) -> None:
        self.instance = None
        self.receive = self.receiver = None
        self.started = False

    # -- children ---------------------------------------------------------

    def live_children(self) -> Iterator[ActorCell]:
        return iter(children_of(self)) if self.child_cells is not None else iter(())

    def request_stop_of(self, ref: ActorRef) -> None:
        if ref is self.self_ref:
            self.send_control(Stop(deliberate=False))
            return
        cell = getattr(ref, "_cell", None)
        if isinstance(ref, LocalActorRef) and cell is not None and cell.parent_cell is self:
            cell.send_control(Stop(deliberate=True))
            return
        raise ValueError(
            f"{self.path} can stop only itself or its own children (got {ref!r}); "
            "use `await system.stop(ref)` for any other actor"
        )

    # -- watching ---------------------------------------------------------

    def add_watcher(self, watcher: ActorRef) -> None:
        if self.state == states.STOPPED:
            watcher._tell_quietly(Terminated(self.self_ref))
            return
        extras = self.ensure_extras()
        if extras.watchers is None:
            extras.watchers = {}
        extras.watchers[watcher] = None

    def remove_watcher(self, watcher: ActorRef) -> None:
        extras = self.extras
        if extras is not None and extras.watchers is not None:
            extras.watchers.pop(watcher, None)

    def start_watching(self, target: ActorRef) -> None:
        if not isinstance(target, ActorRef):
            raise TypeError(f"watch() needs an ActorRef (got {target!r})")
        extras = self.ensure_extras()
        if extras.watching is None:
            extras.watching = {}
        if target in extras.watching:
            return
        extras.watching[target] = None
        target._watch(self.self_ref)

    def stop_watching(self, target: ActorRef) -> None:
        extras = self.extras
        if extras is not None and extras.watching and extras.watching.pop(target, 0) is None:
            target._unwatch(self.self_ref)

    # -- timers -----------------------------------------------------------

    def start_timer(
        self, delay: float, callback: Callable[[], None], *, interval: float | None = None
    ) -> Timer:
        """A timer owned by this cell: cancelled when the instance stops or restarts."""
        extras = self.ensure_extras()
        timers = extras.timers
        if timers is None:
            timers = extras.timers = set()
        timer = self.system._timers.call_later(
            delay, callback, interval=interval, on_done=timers.discard
        )
        timers.add(timer)
        return timer

    def cancel_timers(self) -> None:
        extras = self.extras
        if extras is None or not extras.timers:
            return
        timers, extras.timers = extras.timers, None
        for timer in list(timers):
            timer.cancel()

    # -- termination ------------------------------------------------------

    def add_termination_waiter(self) -> Promise:
        promise = self.new_promise()
        if self.state == states.STOPPED:
            complete(promise, None)
        else:
            extras = self.ensure_extras()
            if extras.termination_waiters is None:
                extras.termination_waiters = []
            extras.termination_waiters.append(promise)
        return promise

    def finish_termination(self) -> None:
        """The last step of a stop: tell everyone who needs to know, and leave the tree."""
        self.state = states.STOPPED
        self.clear_instance()
        drop_stash(self)
        close_mailbox(self)
        self.cancel_timers()
        control, self.control = self.control, None
        for message in control or ():
            if isinstance(message, RunExclusive):
                complete(message.done, None)
        extras = self.extras
        if extras is not None:
            watchers, extras.watchers = extras.watchers, None
            for watcher in watchers or ():
                watcher._tell_quietly(Terminated(self.self_ref))
            watching, extras.watching = extras.watching, None
            for target in watching or ():
                target._unwatch(self.self_ref)
        self.system.event_stream._forget(self.self_ref)
        parent = self.parent_cell
        if parent is not None and remove_child(parent, self):
            self.system._actors_stopped += 1
            # The guardian keeps one restart window per top-level actor name.
            histories = getattr(parent.instance, "restart_histories", None)
            if histories:
                histories.pop(self.name, None)
        if extras is not None:
            waiters, extras.termination_waiters = extras.termination_waiters, None
            for waiter in waiters or ():
                complete(waiter, None)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s stopped", self.path, extra={"actor": self.path})
