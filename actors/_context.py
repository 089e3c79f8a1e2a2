"""``ActorContext``: what an actor can see and do about itself, as ``self.context``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, overload

from supervision import RestartType

from . import _cell_states, _sharding_seam
from ._behaviour import become, stash, unbecome, unstash_all
from ._timers import Timer, check_delay

if TYPE_CHECKING:
    from datetime import datetime

    from ._actor import Actor
    from ._cell import ActorCell
    from ._mailbox import MailboxConfig
    from ._props import Props
    from ._ref import ActorRef
    from ._system import ActorSystem
    from ._type_parameters import M


# ``_spawn.spawn_child``, bound on the first spawn: ``_spawn`` imports this
# module, so it cannot be imported here; and an import statement inside
# ``spawn`` would cost an import-system call on every spawn (half a microsecond).
_spawn_child: Callable[..., ActorCell] | None = None


def _import_spawn_child() -> Callable[..., ActorCell]:
    global _spawn_child  # noqa: PLW0603 - a one-time binding, see above
    from ._spawn import spawn_child  # noqa: PLC0415 - see above

    _spawn_child = spawn_child
    return spawn_child


class ActorContext:
    """An actor's view of itself and its place in the tree.

    Available as ``self.context`` from the constructor on. Everything here is
    meant to be called from the actor's own handlers and hooks.
    """

    # Never instantiated on its own: the runtime's ActorCell subclasses it and
    # is the context of its actor, so there is no separate object per actor.
    __slots__ = ("self_ref", "system")

    #: This actor's own ref (valid across restarts). A plain attribute:
    #: handlers read it on nearly every message.
    self_ref: ActorRef
    #: The actor system this actor lives in.
    system: ActorSystem

    @property
    def _cell(self) -> ActorCell:
        # The context is the cell (see the class comment above).
        return self  # type: ignore[return-value]

    @property
    def parent(self) -> ActorRef | None:
        """The supervising parent's ref; ``None`` only for the runtime's guardians."""
        parent = self._cell.parent_cell
        return None if parent is None else parent.self_ref

    @property
    def children(self) -> tuple[ActorRef, ...]:
        """The live children, in start order."""
        return tuple(child.self_ref for child in self._cell.live_children())

    @property
    def path(self) -> str:
        """This actor's path, e.g. ``"/user/bank/ada"``."""
        return self._cell.path

    @property
    def is_handling(self) -> bool:
        """Whether this actor is in a turn now: handling a message, maybe suspended in ``await``.

        ``True`` from a handler (``receive`` or a behaviour), including while it
        awaits; ``False`` in the constructor, ``on_start`` and ``on_stop``,
        between messages, and once the actor stops. A read of two fields, so
        cheap enough to check on every call of a hot path (persistence checks
        it on every ``persist``); ``self_ref.statistics()`` takes a full
        snapshot instead.
        """
        cell = self._cell
        return cell.state == _cell_states.RUNNING and cell.run_state == _cell_states.BUSY

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
        """Spawn a child of this actor and return its ref at once.

        Same arguments as :meth:`ActorSystem.spawn` (an ``Actor[M]`` or a
        ``props(...)`` of one gives an ``ActorRef[M]``). The child is supervised by
        this actor, by the class attribute ``strategy`` (default
        ``OneForOne(max_restarts=3, within=5.0)``), and stops before this
        actor does. A ``retry_message`` above 0 overrides the strategy's.
        """
        # Positional, and ``self`` rather than ``self._cell`` (the same object):
        # this is the spawn path of actors that spawn actors (docs/benchmarks.md).
        return (_spawn_child or _import_spawn_child())(
            self, actor_class, args, name, kwargs, restart, mailbox, retry_message
        ).self_ref

    def stop(self, ref: ActorRef) -> None:
        """Ask this actor itself, or one of its children, to stop; returns at once.

        The stop happens after the current message. Stopping a child is
        deliberate: it is not restarted, whatever its restart type. Stopping
        oneself is an exit that the parent treats by restart type: a
        ``permanent`` actor is started again, a ``transient`` or ``temporary``
        one is gone.

        Raises:
            ValueError: ``ref`` is neither this actor nor one of its children.
        """
        self._cell.request_stop_of(ref)

    def watch(self, ref: ActorRef) -> ActorRef:
        """Receive ``Terminated(ref)`` once ``ref`` stops for good (at once if it already has).

        Restarts are not terminations. Watching twice still delivers once.
        Returns ``ref`` for convenience.
        """
        self._cell.start_watching(ref)
        return ref

    def unwatch(self, ref: ActorRef) -> None:
        """Stop watching ``ref``; a ``Terminated`` already delivered stays in the mailbox."""
        self._cell.stop_watching(ref)

    def become(self, handler: Callable[[Any], Any], *, discard_old: bool = True) -> None:
        """Handle the following messages with ``handler`` (``def`` or ``async def``).

        The simple way to write a state machine: each state is a method, and a
        transition is ``self.context.become(self.next_state)``. The current
        message finishes with the current handler. With ``discard_old=False``
        the current handler is kept on a stack that :meth:`unbecome` returns
        to. A restart returns to the fresh instance's own ``receive``.
        """
        become(self._cell, handler, discard_old=discard_old)

    def unbecome(self) -> None:
        """Return to the handler saved by the last ``become(..., discard_old=False)``.

        With none saved, return to the instance's own ``receive``.
        """
        unbecome(self._cell)

    def stash(self) -> None:
        """Put the message being handled aside, unanswered, until :meth:`unstash_all`.

        Call it from ``receive`` (for example while the actor waits for its
        initialisation). A stashed ``ask`` is answered when the message is
        handled again. Stashed messages survive a restart (they go back to
        the front of the mailbox) and become dead letters at a stop.

        Raises:
            StashError: not called while handling a message, called twice for
                one message, or the stash already holds ``stash_capacity``.
        """
        stash(self._cell)

    def unstash_all(self) -> int:
        """Put every stashed message back at the front of the mailbox, oldest first.

        They are handled next, before anything that arrived meanwhile, and
        after the current message. Returns how many (0 when nothing was stashed).
        """
        return unstash_all(self._cell)

    def schedule_once(self, delay: float, message: object) -> Timer:
        """Send ``message`` to this actor after ``delay`` seconds.

        Returns a :class:`Timer` whose ``cancel()`` prevents the delivery. The
        timer is cancelled automatically when the actor stops or restarts.
        """
        delay = check_delay(delay, "delay", allow_zero=True)
        return self._cell.start_timer(delay, partial(self.self_ref._tell_quietly, message))

    def schedule_repeatedly(self, interval: float, message: object) -> Timer:
        """Send ``message`` to this actor every ``interval`` seconds until cancelled.

        The first delivery is after one ``interval``. If the event loop falls
        behind, missed deliveries are skipped rather than sent in a burst. The
        timer is cancelled when the actor stops or restarts.
        """
        interval = check_delay(interval, "interval", allow_zero=False)
        return self._cell.start_timer(
            interval, partial(self.self_ref._tell_quietly, message), interval=interval
        )

    async def remind(
        self,
        name: str,
        message: object,
        *,
        after: float | None = None,
        at: datetime | None = None,
        every: float | None = None,
    ) -> None:
        """Send ``message`` to this sharded entity later, durably (a reminder).

        For entities of ``actors.sharding`` only. Give ``after`` (seconds from
        now) or ``at`` (an aware ``datetime``); with ``every`` the reminder
        repeats at that interval until cancelled. A reminder of the same name
        replaces this entity's earlier one. It returns once the reminder is
        stored in the system's journal (in a cluster, in JetStream key-value
        storage): it then fires even if the entity was passivated meanwhile
        (activating it), the program restarted, or (in a cluster) its node
        died and another took its shard over; at least once, and never twice
        at the same time for one entity.

        Raises:
            TypeError: this actor is not a sharded entity.
            ValueError: bad timing arguments.
            actors.sharding.ShardingError: the system has no journal (in one
                process), or (in a cluster) this node no longer owns the
                entity's shard, or the shard's reminders would exceed the
                record size limit.
            actors.serialization.UnregisteredType: ``message`` is not
                registered for storage.
        """
        await _sharding_seam.remind(self, name, message, after=after, at=at, every=every)

    async def cancel_reminder(self, name: str) -> bool:
        """Cancel this entity's reminder ``name``; ``False`` if it had none of that name.

        Returns once the cancellation is stored. A firing already under way
        still completes.
        """
        return await _sharding_seam.cancel_reminder(self, name)
