"""Looking into a running system: statistics, the tree, walking it, injecting a failure.

A mixin of ``ActorSystem``, kept apart so the system module stays about
running actors, and this one about seeing them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, cast

from . import _cell_states as states
from ._children import find_child
from ._control import Fail
from ._errors import ActorSystemClosed
from ._names import child_key
from ._ref import ActorRef, LocalActorRef
from ._statistics import SystemStatistics, render_tree, system_statistics

if TYPE_CHECKING:
    from ._cell import ActorCell
    from ._instrumentation import Instrumentation
    from ._system import ActorSystem
    from .observer import Observer


class SystemInspection:
    """Read-only views of a system, and the one way in for tools (``inject_failure``)."""

    name: str
    _entered: bool
    _user_guardian: ActorCell
    _system_guardian: ActorCell
    _dead_letters: Counter[type]
    _instrumentation: Instrumentation | None
    _dead_letter: Callable[[object, ActorRef, str], None]

    def children(self, ref: ActorRef | None = None) -> tuple[ActorRef, ...]:
        """The live children of ``ref``, in start order; with ``None``, the top-level actors."""
        cell = self._user_guardian if ref is None else self._local_cell(ref)
        return tuple(child.self_ref for child in cell.live_children())

    def walk(self) -> Iterator[ActorRef]:
        """Every live actor, depth first in start order, each parent before its children.

        A snapshot as it goes: actors spawned or stopped during the walk may or
        may not be included. Guardians are not included.
        """
        stack = list(reversed(list(self._user_guardian.live_children())))
        while stack:
            cell = stack.pop()
            if cell.state != states.STOPPED:
                yield cell.self_ref
                stack.extend(reversed(list(cell.live_children())))

    def lookup(self, path: str) -> ActorRef | None:
        """The live actor at ``path``, or ``None``.

        ``path`` is relative to the top-level actors (``"bank/ada"``) or
        absolute (``"/user/bank/ada"``).
        """
        if not isinstance(path, str):
            raise TypeError(f"lookup() needs a path string such as 'bank/ada' (got {path!r})")
        if not self._entered:
            return None
        segments = [segment for segment in path.split("/") if segment]
        cell = self._user_guardian
        if path.startswith("/") and segments:
            root = segments.pop(0)
            if root == "system":
                cell = self._system_guardian
            elif root != "user":
                return None
        if not segments:
            return None  # the guardians are the runtime's, not for lookup
        for segment in segments:
            found = find_child(cell, child_key(segment))
            if found is None:
                return None
            cell = found
        return cell.self_ref if cell.state != states.STOPPED else None

    def inject_failure(self, ref: ActorRef, error: Exception) -> bool:
        """Make ``ref`` fail with ``error`` between two of its messages, as if a handler raised it.

        For tests and tools (the observer's "inject a failure" action): its
        supervisor then resumes, restarts, stops or escalates as for any
        failure, and ``ActorFailed(ref, error, None)`` is published. Returns
        ``False``, doing nothing, when the actor has stopped; an actor that is
        not running when its turn comes (starting, failed, restarting) ignores it.
        """
        if not isinstance(error, Exception):
            raise TypeError(f"inject_failure() needs an Exception instance (got {error!r})")
        cell = self._local_cell(ref)
        if cell.parent_cell is None or cell.state >= states.STOPPING:
            return False
        cell.send_control(Fail(error))
        return True

    def _local_cell(self, ref: ActorRef) -> ActorCell:
        if not isinstance(ref, LocalActorRef):
            raise TypeError(f"needs an ActorRef of this system (got {ref!r})")
        cell = ref._cell
        if cell.system is not self:
            raise ValueError(f"{ref!r} belongs to another actor system")
        return cell

    async def serve_observer(
        self,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        actions: bool = False,
        message_types: Iterable[type] = (),
    ) -> Observer:
        """Serve the live observer page of this system (needs ``anyactors[observer]``).

        See :func:`actors.observer.serve_observer`: binds to loopback unless
        told otherwise; the actions (stop, inject a failure, send) are off
        unless ``actions=True``, and then need the token it logs at start-up.
        """
        from .observer import serve_observer  # noqa: PLC0415 - the optional extra

        return await serve_observer(
            cast("ActorSystem", self),
            port=port,
            host=host,
            actions=actions,
            message_types=message_types,
        )

    @property
    def instrumentation(self) -> Instrumentation | None:
        """The system's instrumentation, ``None`` when uninstrumented.

        Transports use it to carry a message's context (a trace) across processes.
        """
        return self._instrumentation

    def statistics(self) -> SystemStatistics:
        """A frozen snapshot of the system: actors, dead letters, scheduler load."""
        if not self._entered:
            raise ActorSystemClosed(f"actor system {self.name!r} has not been started")
        return system_statistics(cast("ActorSystem", self))

    def tree(self) -> str:
        """The supervision tree as text, one actor a line with its figures.

        Usable from a REPL or a signal handler (it only reads)::

            user (Guardian) idle mailbox=0 handled=0 failures=0 restarts=0
              bank (Bank) idle mailbox=0 handled=0 failures=0 restarts=0
                ada (Account) idle mailbox=0 handled=3 failures=1 restarts=1
        """
        if not self._entered:
            raise ActorSystemClosed(f"actor system {self.name!r} has not been started")
        return "\n".join(render_tree(self._user_guardian))

    def record_dead_letter(self, message: object, recipient: ActorRef, reason: str) -> None:
        """Count ``message`` in :attr:`dead_letters` and publish it as a :class:`DeadLetter`.

        For layers that deliver on the system's behalf (a transport, a router).
        """
        self._dead_letter(message, recipient, reason)

    @property
    def dead_letters(self) -> Mapping[type, int]:
        """How many dead letters there have been, by message type (a read-only snapshot)."""
        return MappingProxyType(dict(self._dead_letters))
