"""Hot code upgrade: swap a running actor's instance for one of a new class, between two messages.

Erlang/OTP suspends a process between messages, loads the new module and
calls ``code_change`` to migrate its state. Here the same happens to one
actor's *instance*: classes are never patched in place (the trap of
``importlib.reload``), the cell is kept (ref, mailbox, stash, timers,
children, watches), and only ``cell.instance`` and ``cell.actor_class``
change. The swap travels as a control message, so it runs after the current
message and before the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from . import _cell_states as states
from ._actor import Actor
from ._behaviour import reset_behaviour
from ._control import RunExclusive
from ._errors import ActorStopped
from ._messages import UpgradeFailed
from ._ref import ActorRef, LocalActorRef

if TYPE_CHECKING:
    from ._cell import ActorCell
    from ._event_stream import EventStream

logger = logging.getLogger(__name__)


def check_actor_class(new_class: object, what: str = "upgrade()") -> type[Actor]:
    """Return ``new_class`` if it is an ``Actor`` subclass, else raise ``TypeError``."""
    if not (isinstance(new_class, type) and issubclass(new_class, Actor)):
        raise TypeError(
            f"{what} needs an Actor subclass as the new class (got {new_class!r}); "
            "pass the class itself, e.g. upgrade(ref, CounterV2)"
        )
    return new_class


def swap(cell: ActorCell, new_class: type[Actor], extra: Any) -> None:
    """Replace ``cell``'s instance with ``new_class.code_change(old, extra)``; nothing on error.

    Runs while no handler of the cell runs. Without an instance (the actor is
    waiting for a restart's ``Start``, or failed before it was built) there is
    no state to migrate: the next start simply builds ``new_class``.
    """
    old = cell.instance
    if old is not None:
        new = new_class.code_change(old, extra)
        if not isinstance(new, new_class):
            raise TypeError(
                f"{new_class.__qualname__}.code_change must return an instance of "
                f"{new_class.__qualname__} (got {new!r}); build it from the old instance"
            )
        new.context = cell
        reset_behaviour(cell)  # a become stack belongs to the old code
        cell.set_instance(new)
    cell.actor_class = new_class


async def upgrade_cell(cell: ActorCell, new_class: type[Actor], extra: Any) -> None:
    """Swap ``cell``'s code between two of its messages and wait until done.

    Raises:
        ActorStopped: The actor stopped before (or instead of) the upgrade.
        Exception: Whatever ``code_change`` raised; the old instance stays.
    """
    if cell.state >= states.STOPPING:
        raise ActorStopped(f"{cell.path} has stopped; there is nothing to upgrade")
    if cell.scheduler.current is cell:
        raise RuntimeError(
            f"{cell.path} cannot upgrade itself from its own handler: the upgrade waits "
            "for the handler to finish; start it from another actor or task"
        )
    applied = False

    async def operation(target: ActorCell) -> None:
        nonlocal applied
        if target.state >= states.STOPPING:
            return
        try:
            swap(target, new_class, extra)
        except Exception as error:
            done.set_exception(error)
            return
        applied = True
        done.set_result(None)

    done = cell.scheduler.new_promise()
    cell.send_control(RunExclusive(operation, done))
    await done
    if not applied:
        raise ActorStopped(f"{cell.path} stopped before its upgrade to {new_class.__qualname__}")


def local_cell(system: object, ref: object) -> ActorCell:
    """The cell behind ``ref``, an actor of ``system``; a clear error otherwise."""
    if not isinstance(ref, ActorRef):
        raise TypeError(f"upgrade() needs an ActorRef (got {ref!r})")
    if not isinstance(ref, LocalActorRef):
        raise TypeError(
            f"upgrade() works on actors of this process only (got {ref!r}); "
            "upgrade a remote actor in its own system"
        )
    cell = ref._cell
    if cell.system is not system:
        raise ValueError(f"{ref!r} belongs to another actor system")
    if cell.parent_cell is None:
        raise ValueError(f"{ref.path} is a guardian; guardians run the runtime's own code")
    return cell


def live_cells(root: ActorCell) -> Iterator[ActorCell]:
    """Every live actor under ``root``, parents before children."""
    stack = list(reversed(list(root.live_children())))
    while stack:
        cell = stack.pop()
        if cell.state < states.STOPPING:
            yield cell
            stack.extend(reversed(list(cell.live_children())))


async def upgrade_each(
    cells: list[tuple[ActorCell, type[Actor]]], extra: Any, events: EventStream
) -> int:
    """Upgrade each cell to its class; report failures one by one; return how many succeeded."""
    upgraded = 0
    for cell, new_class in cells:
        try:
            await upgrade_cell(cell, new_class, extra)
        except ActorStopped:
            continue  # stopped meanwhile: nothing left to upgrade
        except Exception as error:
            logger.exception(
                "upgrade of %s to %s failed; it keeps its old code",
                cell.path,
                new_class.__qualname__,
                extra={"actor": cell.path, "reason": repr(error)},
            )
            events.publish(UpgradeFailed(ref=cell.self_ref, new_class=new_class, error=error))
        else:
            upgraded += 1
    return upgraded


class SystemUpgrade:
    """``ActorSystem.upgrade`` and ``upgrade_all``: hot code upgrade (a mixin)."""

    _user_guardian: ActorCell
    event_stream: EventStream

    async def upgrade(self, ref: ActorRef, new_class: type[Actor], extra: Any = None) -> None:
        """Replace the code of the running actor ``ref`` with ``new_class``, keeping its state.

        A control message: the message being handled finishes with the old
        code; then ``new_class.code_change(old_instance, extra)`` builds the
        new instance (by default a copy of the old one's attributes, see
        :meth:`Actor.code_change`) and the next message meets it. The ref, the
        mailbox and every queued message, the stash, timers, children and
        watches are kept; a ``become`` handler stack is reset to the new
        instance's ``receive``; later restarts build ``new_class`` from the
        same constructor arguments. Neither ``on_stop`` nor ``on_start`` runs.

        Args:
            ref: A live actor of this system.
            new_class: The ``Actor`` subclass to run from now on.
            extra: Passed to ``code_change`` (OTP's ``Extra``).

        Raises:
            ActorStopped: The actor has stopped, or stops before its turn.
            Exception: What ``code_change`` raised (or a ``TypeError`` if it
                returned something else than a ``new_class`` instance); the
                old instance stays and nothing is lost.
            TypeError: ``ref`` is not a local ref, or ``new_class`` not an
                ``Actor`` subclass.
            RuntimeError: Called by the actor on itself from its own handler.

        Cancellation: cancelling the caller does not cancel the upgrade, which
        is already queued; it still happens between two messages.
        """
        cell = local_cell(self, ref)
        await upgrade_cell(cell, check_actor_class(new_class), extra)

    async def upgrade_all(
        self, old_class: type[Actor], new_class: type[Actor], extra: Any = None
    ) -> int:
        """Upgrade every live actor whose class is exactly ``old_class``; return how many were.

        Actors are upgraded one after the other, each as :meth:`upgrade`
        does. A failure of one (its ``code_change`` raised) leaves it on the
        old code and does not stop the others: it is logged at error and
        published as :class:`UpgradeFailed` on the event stream. Actors that
        stop meanwhile are skipped. Subclasses of ``old_class`` are not touched.

        Raises:
            TypeError: Either class is not an ``Actor`` subclass.
        """
        check_actor_class(old_class, "upgrade_all()")
        check_actor_class(new_class, "upgrade_all()")
        cells = [
            (cell, new_class)
            for cell in live_cells(self._user_guardian)
            if cell.actor_class is old_class
        ]
        return await upgrade_each(cells, extra, self.event_stream)
