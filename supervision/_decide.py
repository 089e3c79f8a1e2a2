"""The pure supervision decision: what to do when a child exits or fails."""

from __future__ import annotations

from collections.abc import Sequence

from attrs import field, frozen

from ._backoff import check_jitter_sample
from ._directive import Directive
from ._intensity import RestartHistory
from ._restart import RestartType
from ._retry import MessageAction, check_retry_message, split_directive
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
        message: What to do with the message whose handler failed (see
            `MessageAction`); a `RETRY` waits for `delay` too.
    """

    directive: Directive
    restart: tuple[str, ...] = ()
    stop: tuple[str, ...] = ()
    delay: float = 0.0
    history: RestartHistory = field(factory=RestartHistory)
    intensity_exceeded: bool = False
    message: MessageAction = MessageAction.NONE


def decide(
    strategy: Strategy,
    *,
    children: Sequence[tuple[str, RestartType]],
    child: str,
    error: BaseException | None,
    history: RestartHistory,
    now: float,
    jitter_sample: float = 0.5,
    message_failures: int = 0,
    retry_message: int = 0,
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
    4. The failed message (when `message_failures` > 0) is retried only after
       `RESUME` or `RESTART`, when the retry limit (the child's
       `retry_message` if above 0, else the strategy's) is above 0 and the
       decider did not answer `NoRetry`: while it has failed at most `limit`
       times it is `RETRY`, then `DEAD_LETTER`. Otherwise it is `DROP`. A
       retry after `RESUME` counts toward restart intensity like a restart
       (step 3, for the child alone) and waits for the backoff delay too.

    Args:
        strategy: The supervisor's strategy.
        children: The supervisor's current children in start order, as
            `(name, restart type)` pairs with unique names.
        child: The name of the child that exited or failed.
        error: The exception it failed with, or `None` for a normal exit.
        history: The supervisor's restart history so far.
        now: The current time, in seconds on a monotonic clock.
        jitter_sample: A uniform sample in [0, 1) for the backoff's jitter.
        message_failures: How many times the message being handled when the
            child failed has failed, this failure included; 0 when the
            failure was not in a message handler.
        retry_message: The child's own retry limit (0: the strategy's).

    Returns:
        The `Decision`; `history` in it is always the one to keep.

    Raises:
        ValueError: If `child` is not in `children`, names repeat,
            `jitter_sample` is not in [0, 1), or `message_failures` is not an
            int >= 0.
        InvalidStrategy: If `retry_message` is not an int >= 0.
        TypeError: If the decider returns something other than a `Directive`
            or a `NoRetry`.
    """
    check_jitter_sample(jitter_sample)
    if (
        not isinstance(message_failures, int)
        or isinstance(message_failures, bool)
        or message_failures < 0
    ):
        raise ValueError(f"message_failures must be an int >= 0 (got {message_failures!r})")
    limit = check_retry_message(retry_message, "child") or strategy.retry_message
    names = [name for name, _ in children]
    if len(set(names)) != len(names):
        duplicate = next(name for name in names if names.count(name) > 1)
        raise ValueError(f"children names must be unique (got {duplicate!r} twice)")
    if child not in names:
        raise ValueError(f"child {child!r} is not one of the children (got {names!r})")
    index = names.index(child)
    restart_type = children[index][1]

    failed = MessageAction.NONE if error is None or message_failures == 0 else MessageAction.DROP
    retry = MessageAction.NONE
    directive = Directive.RESTART
    if error is None:
        if restart_type is not RestartType.PERMANENT:
            return Decision(directive=Directive.STOP, stop=(child,), history=history)
    else:
        directive, retry_allowed = split_directive(strategy.decider(error))
        if directive is Directive.ESCALATE:
            return Decision(directive=Directive.ESCALATE, history=history, message=failed)
        if directive is Directive.STOP or (
            directive is Directive.RESTART and restart_type is RestartType.TEMPORARY
        ):
            return Decision(
                directive=Directive.STOP, stop=(child,), history=history, message=failed
            )
        retry = failed
        if failed is MessageAction.DROP and retry_allowed and limit > 0:
            retry = MessageAction.RETRY if message_failures <= limit else MessageAction.DEAD_LETTER
        if directive is Directive.RESUME and retry is not MessageAction.RETRY:
            return Decision(directive=Directive.RESUME, history=history, message=retry)

    new_history = history.record(now, strategy.within)
    if len(new_history.timestamps) > strategy.max_restarts:
        return Decision(
            directive=Directive.ESCALATE,
            stop=tuple(reversed(names)),
            history=new_history,
            intensity_exceeded=True,
            message=failed,
        )
    delay = 0.0
    if strategy.backoff is not None:
        delay = strategy.backoff.delay(history.count(now, strategy.within), jitter_sample)
    if directive is Directive.RESUME:  # and the message is retried: it counted, and waits
        return Decision(directive=Directive.RESUME, delay=delay, history=new_history, message=retry)

    match strategy:
        case OneForAll():
            affected = list(children)
        case RestForOne():
            affected = list(children[index:])
        case OneForOne():
            affected = [children[index]]
    restart = tuple(name for name, kind in affected if kind is not RestartType.TEMPORARY)
    stop = tuple(name for name, kind in reversed(affected) if kind is RestartType.TEMPORARY)
    return Decision(
        directive=Directive.RESTART,
        restart=restart,
        stop=stop,
        delay=delay,
        history=new_history,
        message=retry,
    )
