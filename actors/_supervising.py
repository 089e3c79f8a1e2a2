"""How a parent applies ``supervision.decide`` to a failed or exited child.

The decision itself is pure (``supervision``); this module carries it out on
cells: resume, restart (one child or a group, after an optional backoff
delay), stop, or escalate by failing the parent itself.

The user guardian, parent of every top-level actor, is special: it keeps a
restart window per top-level actor (so one crashing actor cannot take the
others down), and stops rather than restarts a top-level actor that escalates.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

import anyio
import attrs

from supervision import (
    Decision,
    Directive,
    MessageAction,
    NoRetry,
    OneForOne,
    RestartHistory,
    Strategy,
    decide,
)

from . import _cell_states as states
from ._cell import ActorCell
from ._control import START, RestartChildren
from ._errors import RestartIntensityExceeded
from ._lifecycle import run_exclusive, stop_child, stop_children, stopped_for, teardown
from ._retry import own_retry_message, resume_with_retry, settle, take_failed

logger = logging.getLogger(__name__)

DEFAULT_STRATEGY = OneForOne(max_restarts=3, within=5.0)
#: How many restart times an actor remembers for its statistics.
MAX_RESTART_TIMES = 100


def strategy_of(cell: ActorCell) -> Strategy:
    instance = cell.instance
    strategy = type(instance).strategy if instance is not None else cell.actor_class.strategy
    return strategy if strategy is not None else DEFAULT_STRATEGY


async def child_failed(
    parent: ActorCell, child: ActorCell, error: BaseException, *, escalated: bool
) -> None:
    """Handle ``ChildFailed``: decide by the parent's strategy and carry it out."""
    if (
        child.parent_cell is not parent
        or child.state != states.SUSPENDED
        or parent.state >= states.STOPPING
    ):
        return  # stale: the child was already stopped or restarted
    await _supervise(parent, child, error, escalated=escalated)


async def child_exited(parent: ActorCell, child: ActorCell) -> None:
    """Handle ``ChildExited``: a permanent child stopped itself and waits to be restarted."""
    if (
        child.parent_cell is not parent
        or child.state != states.RESTARTING
        or parent.state >= states.STOPPING
    ):
        return
    await _supervise(parent, child, None, escalated=False)


async def _supervise(
    parent: ActorCell, child: ActorCell, error: BaseException | None, *, escalated: bool
) -> None:
    guardian = parent.parent_cell is None
    failed, message_failures = take_failed(child)
    if guardian and escalated:
        settle(child, failed, error, MessageAction.DROP)
        _log(
            parent,
            child,
            error,
            "stop (a top-level actor that escalates is stopped, not restarted)",
        )
        stopped_for(child, error)
        await stop_child(child)
        return
    history = (
        _guardian_histories(parent).get(child.name, RestartHistory())
        if guardian
        else parent.ensure_extras().restart_history
    )
    strategy = DEFAULT_STRATEGY if guardian else strategy_of(parent)
    if error is not None and not child.started:
        # A failure while starting leaves nothing to resume: resuming means
        # starting afresh, which is a restart and counts as one.
        strategy = attrs.evolve(strategy, decider=_no_resume(strategy.decider))
    siblings = [child] if guardian else list(parent.live_children())
    try:
        decision = decide(
            strategy,
            children=[(sibling.name, sibling.restart_type) for sibling in siblings],
            child=child.name,
            error=error,
            history=history,
            now=anyio.current_time(),
            jitter_sample=random.random(),
            message_failures=message_failures,
            retry_message=own_retry_message(child),
        )
    except Exception as decider_error:  # a decider that raises or returns junk
        settle(child, failed, error, MessageAction.DROP)
        parent.fail(decider_error, None, None)
        return
    settle(child, failed, error, decision.message)
    if guardian:
        _guardian_histories(parent)[child.name] = decision.history
        if decision.directive is Directive.ESCALATE:
            _log(parent, child, error, "stop (its restart intensity was exceeded)")
            _guardian_histories(parent).pop(child.name, None)
            stopped_for(child, error)
            await stop_child(child)
            return
    else:
        parent.ensure_extras().restart_history = decision.history
    _log(parent, child, error, _describe(decision, strategy))
    if decision.directive is Directive.RESUME and decision.message is MessageAction.RETRY:
        resume_with_retry(child, failed, decision)
        return
    await _apply(parent, child, error, decision, strategy)


async def _apply(
    parent: ActorCell,
    child: ActorCell,
    error: BaseException | None,
    decision: Decision,
    strategy: Strategy,
) -> None:
    by_name = {cell.name: cell for cell in parent.live_children()}
    directive = decision.directive
    if directive is Directive.RESUME:
        child.state = states.RUNNING
        if child.run_state == states.IDLE and child.has_work():
            child.scheduler.schedule(child)
    elif directive is Directive.STOP:
        for name in decision.stop:
            stopped_for(by_name[name], error)
            await stop_child(by_name[name])
    elif directive is Directive.RESTART:
        restart = tuple(by_name[name] for name in decision.restart)
        stop_now = tuple(by_name[name] for name in decision.stop)
        for cell in stop_now:
            stopped_for(cell, error)
        if decision.delay > 0:
            parent.start_timer(
                decision.delay, lambda: parent.send_control(RestartChildren(restart, stop_now))
            )
            return
        await restart_children(parent, restart, stop_now)
    elif decision.intensity_exceeded:
        exceeded = RestartIntensityExceeded(
            f"{parent.path} restarted its children more than {strategy.max_restarts} times "
            f"within {strategy.within} s; it stopped them all and escalates"
        )
        exceeded.__cause__ = error
        for cell in by_name.values():
            stopped_for(cell, exceeded)
        await stop_children(parent)
        parent.fail(exceeded, None, None, escalated=True)
    else:
        assert isinstance(error, Exception)
        parent.fail(error, None, None, escalated=True)


async def restart_children(
    parent: ActorCell, restart: tuple[ActorCell, ...], stop_now: tuple[ActorCell, ...]
) -> None:
    """Stop the affected children in reverse start order, then start them in start order."""
    if parent.state >= states.STOPPING:
        return
    affected = [cell for cell in parent.live_children() if cell in restart or cell in stop_now]
    for cell in reversed(affected):
        if cell in stop_now:
            await stop_child(cell)
        else:
            await run_exclusive(cell, teardown)
    for cell in restart:
        if cell.state == states.RESTARTING:
            extras = cell.ensure_extras()
            extras.restarts += 1
            times = extras.restart_times
            times.append(anyio.current_time())
            if len(times) > MAX_RESTART_TIMES:
                del times[0]
            cell.send_control(START)


def _no_resume(
    decider: Callable[[BaseException], Directive | NoRetry],
) -> Callable[[BaseException], Directive | NoRetry]:
    def decide_without_resume(error: BaseException) -> Directive | NoRetry:
        answer = decider(error)
        directive = answer.directive if isinstance(answer, NoRetry) else answer
        return Directive.RESTART if directive is Directive.RESUME else answer

    return decide_without_resume


def _describe(decision: Decision, strategy: Strategy) -> str:
    if decision.intensity_exceeded:
        return (
            f"escalate (more than {strategy.max_restarts} restarts within {strategy.within} s; "
            "its children are stopped)"
        )
    if decision.directive is Directive.RESTART:
        restarted = ", ".join(decision.restart)
        delay = f" after {decision.delay:.3g} s" if decision.delay > 0 else ""
        return f"restart {restarted}{delay}{_MESSAGE_OUTCOMES[decision.message]}"
    return f"{decision.directive.value}{_MESSAGE_OUTCOMES[decision.message]}"


_MESSAGE_OUTCOMES = {
    MessageAction.NONE: "",
    MessageAction.DROP: "",
    MessageAction.RETRY: "; its message is retried",
    MessageAction.DEAD_LETTER: "; its message, out of retries, is a dead letter",
}


def _guardian_histories(guardian: ActorCell) -> dict[str, RestartHistory]:
    histories: dict[str, RestartHistory] = guardian.instance.restart_histories  # type: ignore[union-attr]
    return histories


def _log(parent: ActorCell, child: ActorCell, error: BaseException | None, outcome: str) -> None:
    if error is None:
        logger.info(
            "%s exited; supervisor %s: %s",
            child.path,
            parent.path,
            outcome,
            extra={"actor": child.path, "supervisor": parent.path, "reason": "exit"},
        )
        return
    logger.error(
        "%s failed with %r; supervisor %s: %s",
        child.path,
        error,
        parent.path,
        outcome,
        exc_info=error,
        extra={"actor": child.path, "supervisor": parent.path, "reason": repr(error)},
    )
