"""What the observer needs from the core, through its public API.

A walk over the live tree (``system.children``) and a way to make an actor
fail as if its handler had raised (``system.inject_failure``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors import ActorRef, ActorStatistics

if TYPE_CHECKING:
    from actors import ActorSystem


class InjectedFailure(RuntimeError):
    """The error an actor fails with when the observer's "inject a failure" action is used.

    Its supervisor sees it like any other exception escaping a handler, so the
    actor is restarted, resumed or stopped by its parent's strategy. The
    ``ActorFailed`` event for it has ``message=None``.
    """


InjectedFailure.__module__ = "actors.observer"  # its public home, in logs and tracebacks


#: An actor's statistics and its children's nodes.
TreeNode = tuple[ActorStatistics, list["TreeNode"]]


def tree_statistics(system: ActorSystem) -> TreeNode:
    """The ``/user`` root and, nested, every live actor's statistics: ``(stats, children)``."""
    children = [_node(system, ref) for ref in system.children()]
    root = ActorStatistics(
        path="/user",
        actor_class="Guardian",
        state="idle",
        mailbox_depth=0,
        messages_handled=0,
        failures=0,
        restarts=0,
        restarts_in_window=0,
        handling_time=0.0,
        handling_time_p90=None,
        current_message=None,
        children=len(children),
    )
    return root, children


def _node(system: ActorSystem, ref: ActorRef) -> TreeNode:
    return ref.statistics(), [_node(system, child) for child in system.children(ref)]


def _raise_injected(path: str) -> None:
    raise InjectedFailure(f"failure injected into {path} from the observer")


def _injected(path: str) -> InjectedFailure:
    # Raised and caught so that it has a traceback like any other failure.
    try:
        _raise_injected(path)
    except InjectedFailure as error:
        return error
    raise AssertionError("unreachable")


async def inject_failure(system: ActorSystem, ref: ActorRef) -> bool:
    """Make the actor ``ref`` fail with :class:`InjectedFailure` between two of its messages.

    Returns ``False`` (and does nothing) if it has stopped.
    """
    return system.inject_failure(ref, _injected(ref.path))
