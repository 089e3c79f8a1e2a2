"""The pure supervision decision: what to do when a child exits or fails."""

from __future__ import annotations

from collections.abc import Sequence

from attrs import field, frozen

from ._backoff import check_jitter_sample
from ._directive import Directive
from ._intensity import RestartHistory
from ._restart import RestartType
from ._strategy import OneForAll, OneForOne, RestForOne, Strategy

__all__ = ["Decision", "decide"]


@frozen(kw_only=True)
class Decision:
    """What a supervisor must do after one of its children exited or failed.

    The runtime applies a restart in this order: wait `delay` seconds (the
    affected children keep their state meanwhile; the failed one stays
    suspended), then stop every affected child in reverse start order (those
    in `stop` for good, those in `restart` for a restart), then start the
    children in `restart` in start order. On `ESCALATE` with
    `intensity_exceeded`, the supervisor stops all its children and fails.

    Attributes:
        directive: The directive applied. `RESTART` when children restart
            (also for a permanent child's normal exit); `ESCALATE` when the
            decider escalated or restart intensity was exceeded.
        restart: Children to restart, in start order.
        stop: Children to stop for good, in reverse start order.
        delay: Seconds to wait before the restarts (from the strategy's
            backoff); 0.0 without backoff.
        history: The restart history the supervisor keeps from now on.
        intensity_exceeded: True if this restart made more than
            `max_restarts` restarts within `within` seconds; the supervisor
            stops all its children and fails.
    """

    directive: Directive
    restart: tuple[str, ...] = ()
    stop: tuple[str, ...] = ()
    delay: float = 0.0
    history: RestartHistory = field(factory=RestartHistory)
    intensity_exceeded: bool = False


def decide(
    strategy: Strategy,
    *,
    children: Sequence[tuple[str, RestartType]],
    child: str,
    error: BaseException | None,
    history: RestartHistory,
    now: float,
    jitter_sample: float = 0.5,
) -> Decision:
    """Decide what a supervisor does when `child` exits or fails.

    The rules are OTP's supervisor's, with Akka's decider:

    1. A normal exit (`error is None`) of a `PERMANENT` child restarts it
       (step 3). A `TRANSIENT` or `TEMPORARY` child that exits normally is
       stopped for good; nothing is counted.
    2. A failure asks `strategy.decider(error)`. `RESUME` keeps the child as
       it is; `STOP` stops it for good; `ESCALATE` leaves the children alone
       and fails the supervisor; `RESTART` goes to step 3, except that a
       `TEMPORARY` child is never restarted and is stopped for good instead.
    3. A restart is recorded in the history (once, however many children it
       restarts). If more than `max_restarts` restarts now lie within
       `within` seconds, the supervisor stops all its children (reverse start
       order) and escalates. Otherwise the strategy picks the affected
       children (`OneForOne`: the child; `OneForAll`: all; `RestForOne`:
       the child and those started after it); affected `TEMPORARY` siblings
       are stopped for good and the rest restarted, after the backoff delay
       for the restarts already made in the window.

    Args:
        strategy: The supervisor's strategy.
        children: The supervisor's current children in start order, as
            `(name, restart type)` pairs with unique names.
        child: The name of the child that exited or failed.
        error: The exception it failed with, or `None` for a normal exit.
        history: The supervisor's restart history so far.
        now: The current time, in seconds on a monotonic clock.
        jitter_sample: A uniform sample in [0, 1) for the backoff's jitter.

    Returns:
        The `Decision`; `history` in it is always the one to keep.

    Raises:
        ValueError: If `child` is not in `children`, names repeat, or
            `jitter_sample` is not in [0, 1).
        TypeError: If the decider returns something other than a `Directive`.
    """
    check_jitter_sample(jitter_sample)
    names = [name for name, _ in children]
    if len(set(names)) != len(names):
        duplicate = next(name for name in names if names.count(name) > 1)
        raise ValueError(f"children names must be unique (got {duplicate!r} twice)")
    if child not in names:
        raise ValueError(f"child {child!r} is not one of the children (got {names!r})")
    index = names.index(child)
    restart_type = children[index][1]

    if error is None:
        if restart_type is not RestartType.PERMANENT:
            return Decision(directive=Directive.STOP, stop=(child,), history=history)
    else:
        directive = strategy.decider(error)
        if not isinstance(directive, Directive):
            raise TypeError(
                f"decider returned {directive!r}; it must return a supervision.Directive"
            )
        if directive is Directive.RESUME:
            return Decision(directive=Directive.RESUME, history=history)
        if directive is Directive.ESCALATE:
            return Decision(directive=Directive.ESCALATE, history=history)
        if directive is Directive.STOP or restart_type is RestartType.TEMPORARY:
            return Decision(directive=Directive.STOP, stop=(child,), history=history)

    new_history = history.record(now, strategy.within)
    if len(new_history.timestamps) > strategy.max_restarts:
        return Decision(
            directive=Directive.ESCALATE,
            stop=tuple(reversed(names)),
            history=new_history,
            intensity_exceeded=True,
        )

    match strategy:
        case OneForAll():
            affected = list(children)
        case RestForOne():
            affected = list(children[index:])
        case OneForOne():
            affected = [children[index]]
    restart = tuple(name for name, kind in affected if kind is not RestartType.TEMPORARY)
    stop = tuple(name for name, kind in reversed(affected) if kind is RestartType.TEMPORARY)
    delay = 0.0
    if strategy.backoff is not None:
        delay = strategy.backoff.delay(history.count(now, strategy.within), jitter_sample)
    return Decision(
        directive=Directive.RESTART,
        restart=restart,
        stop=stop,
        delay=delay,
        history=new_history,
    )
