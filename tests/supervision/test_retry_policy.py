"""The pure ``retry_message`` policy: what ``decide`` does with the failed message.

No event loop: each property is checked against a naive model.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervision import (
    Backoff,
    Directive,
    InvalidStrategy,
    MessageAction,
    NoRetry,
    OneForAll,
    OneForOne,
    RestartHistory,
    RestartType,
    RestForOne,
    child,
    decide,
)

directives = st.sampled_from(list(Directive))
restart_types = st.sampled_from(list(RestartType))
strategy_classes = st.sampled_from([OneForOne, OneForAll, RestForOne])


def model(
    *,
    directive: Directive,
    allowed: bool,
    limit: int,
    failures: int,
    restart_type: RestartType,
    exceeded: bool,
) -> MessageAction:
    if failures == 0:
        return MessageAction.NONE
    if directive is Directive.RESTART and restart_type is RestartType.TEMPORARY:
        return MessageAction.DROP  # a temporary child is stopped instead
    if directive in (Directive.STOP, Directive.ESCALATE) or not allowed or limit == 0:
        return MessageAction.DROP
    if exceeded:
        return MessageAction.DROP  # the supervisor escalates: no retry, no dead letter
    return MessageAction.DEAD_LETTER if failures > limit else MessageAction.RETRY


@given(
    cls=strategy_classes,
    directive=directives,
    allowed=st.booleans(),
    strategy_limit=st.integers(0, 4),
    child_limit=st.integers(0, 4),
    failures=st.integers(0, 7),
    restart_type=restart_types,
    max_restarts=st.integers(0, 3),
    past_restarts=st.integers(0, 4),
)
def test_the_message_action_matches_the_model(
    *,
    cls: type[OneForOne],
    directive: Directive,
    allowed: bool,
    strategy_limit: int,
    child_limit: int,
    failures: int,
    restart_type: RestartType,
    max_restarts: int,
    past_restarts: int,
) -> None:
    answer: Directive | NoRetry = directive if allowed else NoRetry(directive)
    strategy = cls(
        max_restarts=max_restarts,
        within=10.0,
        retry_message=strategy_limit,
        decider=lambda error: answer,
    )
    history = RestartHistory(tuple(float(t) for t in range(95, 95 + past_restarts)))
    decision = decide(
        strategy,
        children=[("a", RestartType.PERMANENT), ("b", restart_type)],
        child="b",
        error=ValueError(),
        history=history,
        now=100.0,
        message_failures=failures,
        retry_message=child_limit,
    )
    limit = child_limit or strategy_limit
    counts = directive is Directive.RESTART and restart_type is not RestartType.TEMPORARY
    counts = counts or (
        directive is Directive.RESUME and allowed and limit > 0 and 0 < failures <= limit
    )
    exceeded = counts and past_restarts + 1 > max_restarts
    assert decision.message is model(
        directive=directive,
        allowed=allowed,
        limit=limit,
        failures=failures,
        restart_type=restart_type,
        exceeded=exceeded,
    )
    assert decision.intensity_exceeded is exceeded
    if counts:
        assert decision.history.timestamps[-1] == 100.0  # a retry counts like a restart
    else:
        assert decision.history == history
    if decision.message is MessageAction.RETRY:
        assert decision.directive in (Directive.RESUME, Directive.RESTART)


@given(
    limit=st.integers(1, 6),
    fails=st.integers(0, 10),
    directive=st.sampled_from([Directive.RESUME, Directive.RESTART]),
)
def test_a_message_is_attempted_until_it_succeeds_or_n_plus_one_times(
    limit: int, fails: int, directive: Directive
) -> None:
    """Drive one message through ``decide`` as the runtime does, against the naive count."""
    strategy = OneForOne(
        max_restarts=100, within=1.0, retry_message=limit, decider=lambda e: directive
    )
    history = RestartHistory()
    attempts, outcome, now = 0, MessageAction.NONE, 0.0
    while True:
        attempts += 1
        if attempts > fails:  # this attempt succeeds
            outcome = MessageAction.NONE
            break
        now += 10.0  # far apart: intensity is not what is tested here
        decision = decide(
            strategy,
            children=[("w", RestartType.PERMANENT)],
            child="w",
            error=RuntimeError(attempts),
            history=history,
            now=now,
            message_failures=attempts,
        )
        history = decision.history
        outcome = decision.message
        if outcome is not MessageAction.RETRY:
            break
    assert attempts == min(fails + 1, limit + 1)
    assert outcome is (MessageAction.DEAD_LETTER if fails > limit else MessageAction.NONE)


def test_a_retry_after_resume_waits_for_the_backoff() -> None:
    strategy = OneForOne(
        retry_message=3,
        backoff=Backoff(min=1.0, max=8.0),
        decider=lambda error: Directive.RESUME,
    )
    delays = []
    history = RestartHistory()
    for failures in (1, 2, 3):
        decision = decide(
            strategy,
            children=[("w", RestartType.PERMANENT)],
            child="w",
            error=ValueError(),
            history=history,
            now=float(failures),
            message_failures=failures,
        )
        assert decision.directive is Directive.RESUME
        assert decision.message is MessageAction.RETRY
        delays.append(decision.delay)
        history = decision.history
    assert delays == [1.0, 2.0, 4.0]


def test_no_message_no_message_action() -> None:
    decision = decide(
        OneForOne(retry_message=2),
        children=[("w", RestartType.PERMANENT)],
        child="w",
        error=ValueError(),
        history=RestartHistory(),
        now=0.0,
    )
    assert decision.message is MessageAction.NONE


@pytest.mark.parametrize("value", [-1, 1.0, True, "2", None])
def test_retry_message_must_be_a_non_negative_int(value: object) -> None:
    with pytest.raises(InvalidStrategy, match=r"^OneForAll retry_message must be"):
        OneForAll(retry_message=value)  # type: ignore[arg-type]
    with pytest.raises(InvalidStrategy, match=r"^child retry_message must be"):
        child(OneForOne, retry_message=value)  # type: ignore[arg-type]


def test_no_retry_needs_a_directive() -> None:
    with pytest.raises(
        TypeError, match=r"^NoRetry needs a supervision\.Directive \(got 'restart'\)$"
    ):
        NoRetry("restart")  # type: ignore[arg-type]


def test_decide_refuses_a_bad_message_failures_count() -> None:
    with pytest.raises(ValueError, match=r"^message_failures must be an int >= 0 \(got -1\)$"):
        decide(
            OneForOne(),
            children=[("w", RestartType.PERMANENT)],
            child="w",
            error=ValueError(),
            history=RestartHistory(),
            now=0.0,
            message_failures=-1,
        )
