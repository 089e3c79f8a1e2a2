"""Statistics: frozen snapshots of an actor and of a system, and a text tree.

Reading them costs nothing on the message path: the counters are plain
integers the runtime keeps anyway, and handling times are sampled (the first
turn of each scheduler batch) unless a handler suspends, which is timed exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import anyio
from attrs import frozen

from . import _cell_states as states
from ._children import count_children

if TYPE_CHECKING:
    from ._cell import ActorCell
    from ._system import ActorSystem


@frozen(kw_only=True)
class ActorStatistics:
    """A snapshot of one actor, as ``ref.statistics()`` returns it.

    Attributes:
        path: the actor's path.
        actor_class: the qualified name of its class.
        state: ``"starting"``, ``"idle"``, ``"running"`` (queued to run, or
            running a handler), ``"suspended"`` (failed; waiting for its
            supervisor), ``"restarting"``, ``"stopping"`` or ``"stopped"``.
        mailbox_depth: user messages waiting (control traffic not counted).
        messages_handled: messages taken off the mailbox and handled, ever.
        failures: exceptions that escaped its handlers or ``on_start``, ever.
        restarts: times a fresh instance replaced a failed or exited one, ever.
        restarts_in_window: restarts within its supervisor's ``within`` window.
        handling_time: estimated seconds spent in its handlers (turns that do
            not suspend are sampled; handlers that suspend are timed exactly,
            awaits included).
        handling_time_p90: the 90th percentile of its recent timed turns, in
            seconds; ``None`` before any was timed.
        current_message: the type name of the message its suspended handler is
            working on; ``None`` when no handler of it is waiting.
        children: how many live children it has.
    """

    path: str
    actor_class: str
    state: str
    mailbox_depth: int
    messages_handled: int
    failures: int
    restarts: int
    restarts_in_window: int
    handling_time: float
    handling_time_p90: float | None
    current_message: str | None
    children: int


@frozen(kw_only=True)
class SystemStatistics:
    """A snapshot of a whole system, as ``system.statistics()`` returns it.

    Attributes:
        name: the system's name.
        actors_alive: actors spawned and not yet stopped (guardians excluded).
        actors_spawned: actors spawned, ever.
        actors_stopped: actors stopped for good, ever.
        dead_letters: how many dead letters, by message type name.
        run_queue_length: actors waiting for a turn right now.
        turns: scheduler turns given, ever.
        suspended_handlers: handlers waiting on something right now.
        batch_latency_max: the longest recent stretch, in seconds, the
            scheduler ran actors without yielding to the event loop (how long
            other tasks may have waited on it).
    """

    name: str
    actors_alive: int
    actors_spawned: int
    actors_stopped: int
    dead_letters: Mapping[str, int]
    run_queue_length: int
    turns: int
    suspended_handlers: int
    batch_latency_max: float


def _state_name(cell: ActorCell) -> str:
    state = cell.state
    if state == states.RUNNING:
        return "idle" if cell.run_state == states.IDLE else "running"
    if state == states.NEW:
        return "starting"
    return states.STATE_NAMES[state]


def actor_statistics(cell: ActorCell) -> ActorStatistics:
    """Snapshot ``cell`` now."""
    extras = cell.extras
    restarts_in_window = 0
    handling_ns = 0
    p90 = None
    if extras is not None:
        handling_ns = extras.handling_ns
        p90 = extras.recent_percentile(0.9)
        if extras.restart_times:
            from ._supervising import DEFAULT_STRATEGY, strategy_of  # noqa: PLC0415 - avoids a cycle

            parent = cell.parent_cell
            if parent is None or parent.parent_cell is None:
                within = DEFAULT_STRATEGY.within  # the guardians supervise by the default
            else:
                within = strategy_of(parent).within
            horizon = anyio.current_time() - within
            restarts_in_window = sum(time > horizon for time in extras.restart_times)
    suspension = cell.scheduler.suspended.get(cell)
    current = None
    if suspension is not None and suspension.is_receive:
        current = type(suspension.message).__qualname__
    return ActorStatistics(
        path=cell.path,
        actor_class=cell.actor_class.__qualname__,
        state=_state_name(cell),
        mailbox_depth=(len(cell.queue) if cell.queue else 0) + (cell.single is not None),
        messages_handled=cell.messages_handled,
        failures=extras.failures if extras is not None else 0,
        restarts=extras.restarts if extras is not None else 0,
        restarts_in_window=restarts_in_window,
        handling_time=handling_ns / 1e9,
        handling_time_p90=p90,
        current_message=current,
        children=count_children(cell),
    )


def system_statistics(system: ActorSystem) -> SystemStatistics:
    """Snapshot ``system`` now."""
    scheduler = system._scheduler
    return SystemStatistics(
        name=system.name,
        actors_alive=system._actors_spawned - system._actors_stopped,
        actors_spawned=system._actors_spawned,
        actors_stopped=system._actors_stopped,
        dead_letters=MappingProxyType(
            {kind.__qualname__: count for kind, count in system._dead_letters.items()}
        ),
        run_queue_length=sum(cell.run_state == states.QUEUED for cell in set(scheduler.run_queue)),
        turns=scheduler.turns,
        suspended_handlers=len(scheduler.suspended),
        batch_latency_max=max(scheduler.batch_ns, default=0) / 1e9,
    )


def render_tree(root: ActorCell, *, indent: str = "") -> list[str]:
    """One line per actor under ``root`` (itself included), children indented."""
    stats = actor_statistics(root)
    line = (
        f"{indent}{root.name} ({root.actor_class.__name__}) {stats.state}"
        f" mailbox={stats.mailbox_depth} handled={stats.messages_handled}"
        f" failures={stats.failures} restarts={stats.restarts}"
    )
    lines = [line]
    for child in root.live_children():
        lines.extend(render_tree(child, indent=indent + "  "))
    return lines
