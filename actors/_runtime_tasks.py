"""The system's own tasks, shielded from the cancellation of the task that entered it.

``async with ActorSystem(...)`` opens the system's task group in the caller's
task, so the group sits inside whatever cancel scopes enclose the block. Were
the dispatcher and timer tasks plain members of that group, cancelling an
enclosing scope would cancel them too, before ``__aexit__`` gets to stop the
actors: nothing would be left to run the stop sequences. So each runtime task
runs inside a cancel scope of its own, shielded, and the system cancels those
scopes itself, once the actors have stopped (or the shutdown deadline passed).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from anyio.abc import TaskGroup


class RuntimeTasks:
    """Starts tasks in a task group, each shielded until :meth:`cancel` is called.

    An exception escaping one of the tasks still reaches the task group, as
    for any task; only cancellation from outside is kept away.
    """

    __slots__ = ("_cancelled", "_scopes", "_task_group")

    def __init__(self, task_group: TaskGroup) -> None:
        self._task_group = task_group
        self._scopes: set[anyio.CancelScope] = set()
        self._cancelled = False

    def start_soon(
        self, fn: Callable[..., Coroutine[Any, Any, Any]], *args: Any, name: str | None = None
    ) -> None:
        """Run ``fn(*args)`` in the task group, shielded from outer cancellation."""
        self._task_group.start_soon(self._run, fn, args, name=name)

    async def _run(
        self, fn: Callable[..., Coroutine[Any, Any, Any]], args: tuple[Any, ...]
    ) -> None:
        with anyio.CancelScope(shield=True) as scope:
            if self._cancelled:
                return
            scopes = self._scopes
            scopes.add(scope)
            try:
                await fn(*args)
            finally:
                scopes.discard(scope)

    def cancel(self) -> None:
        """Cancel every task started here, and any that has not begun running yet."""
        self._cancelled = True
        for scope in list(self._scopes):
            scope.cancel()
