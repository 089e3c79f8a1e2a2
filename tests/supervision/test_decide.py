import pytest

from supervision import (
    Backoff,
    Decision,
    Directive,
    OneForAll,
    OneForOne,
    RestartHistory,
    RestartType,
    RestForOne,
    Strategy,
    decide,
)

P = RestartType.PERMANENT
TR = RestartType.TRANSIENT
TE = RestartType.TEMPORARY
CHILDREN = [("a", P), ("b", TE), ("c", TR), ("d", P)]
EMPTY = RestartHistory()


def run(
    strategy: Strategy,
    child: str,
    error: BaseException | None = None,
    *,
    children: list[tuple[str, RestartType]] = CHILDREN,
    history: RestartHistory = EMPTY,
    now: float = 100.0,
    jitter_sample: float = 0.5,
) -> Decision:
    return decide(
        strategy,
        children=children,
        child=child,
        error=error,
        history=history,
        now=now,
        jitter_sample=jitter_sample,
    )


def always(directive: object) -> Strategy:
    return OneForAll(decider=lambda error: directive)  # type: ignore[arg-type, return-value]


def test_one_for_one_restarts_only_the_child() -> None:
    assert run(OneForOne(), "c", ValueError()) == Decision(
        directive=Directive.RESTART, restart=("c",), history=RestartHistory((100.0,))
    )


def test_one_for_all_restarts_all_and_stops_temporary_siblings() -> None:
    assert run(OneForAll(), "c", ValueError()) == Decision(
        directive=Directive.RESTART,
        restart=("a", "c", "d"),
        stop=("b",),
        history=RestartHistory((100.0,)),
    )


def test_one_for_all_stops_temporaries_in_reverse_start_order() -> None:
    children = [("t1", TE), ("a", P), ("t2", TE), ("t3", TE)]
    decision = run(OneForAll(), "a", ValueError(), children=children)
    assert decision.restart == ("a",)
    assert decision.stop == ("t3", "t2", "t1")


def test_rest_for_one_restarts_the_child_and_younger_siblings() -> None:
    assert run(RestForOne(), "c", ValueError()).restart == ("c", "d")
    decision = run(RestForOne(), "a", ValueError())
    assert decision.restart == ("a", "c", "d")
    assert decision.stop == ("b",)
    last = run(RestForOne(), "d", ValueError())
    assert (last.restart, last.stop) == (("d",), ())


@pytest.mark.parametrize("strategy", [OneForOne(), OneForAll(), RestForOne()])
def test_normal_exit_of_permanent_child_restarts(strategy: Strategy) -> None:
    decision = run(strategy, "d")
    assert decision.directive is Directive.RESTART
    assert "d" in decision.restart
    assert decision.history == RestartHistory((100.0,))


@pytest.mark.parametrize("strategy", [OneForOne(), OneForAll(), RestForOne()])
@pytest.mark.parametrize("child", ["b", "c"])
def test_normal_exit_of_transient_or_temporary_child_stops_it(
    strategy: Strategy, child: str
) -> None:
    history = RestartHistory((99.0,))
    assert run(strategy, child, history=history) == Decision(
        directive=Directive.STOP, stop=(child,), history=history
    )


def test_normal_exit_does_not_ask_the_decider() -> None:
    def decider(error: BaseException) -> Directive:
        raise AssertionError("decider called")

    assert run(OneForOne(decider=decider), "c").directive is Directive.STOP


def test_failed_temporary_child_is_stopped_not_restarted() -> None:
    history = RestartHistory((99.0,))
    assert run(OneForAll(max_restarts=0), "b", ValueError(), history=history) == Decision(
        directive=Directive.STOP, stop=("b",), history=history
    )


def test_failed_transient_child_restarts() -> None:
    assert run(OneForOne(), "c", ValueError()).restart == ("c",)


def test_resume() -> None:
    history = RestartHistory((99.0,))
    assert run(always(Directive.RESUME), "a", ValueError(), history=history) == Decision(
        directive=Directive.RESUME, history=history
    )


def test_stop() -> None:
    history = RestartHistory((99.0,))
    assert run(always(Directive.STOP), "a", ValueError(), history=history) == Decision(
        directive=Directive.STOP, stop=("a",), history=history
    )


def test_escalate_leaves_children_alone() -> None:
    decision = run(always(Directive.ESCALATE), "a", ValueError())
    assert decision == Decision(directive=Directive.ESCALATE, history=EMPTY)
    assert not decision.intensity_exceeded


def test_default_decider_escalates_base_exceptions() -> None:
    decision = run(OneForOne(), "a", KeyboardInterrupt())
    assert decision.directive is Directive.ESCALATE


def test_decider_gets_the_error() -> None:
    seen: list[BaseException] = []

    def decider(error: BaseException) -> Directive:
        seen.append(error)
        return Directive.RESUME

    error = ValueError("boom")
    run(OneForOne(decider=decider), "a", error)
    assert seen == [error]


@pytest.mark.parametrize(("result", "shown"), [(3, "3"), ("restart", "'restart'"), (None, "None")])
def test_decider_must_return_a_directive(result: object, shown: str) -> None:
    with pytest.raises(
        TypeError,
        match=rf"^decider returned {shown}; it must return a supervision\.Directive "
        r"or a supervision\.NoRetry$",
    ):
        run(always(result), "a", ValueError())


def test_intensity_exceeded_stops_everything_and_escalates() -> None:
    strategy = OneForOne(max_restarts=2, within=10.0)
    history = RestartHistory((91.0, 95.0))
    assert run(strategy, "c", ValueError(), history=history) == Decision(
        directive=Directive.ESCALATE,
        stop=("d", "c", "b", "a"),
        history=RestartHistory((91.0, 95.0, 100.0)),
        intensity_exceeded=True,
    )


def test_old_restarts_leave_the_window() -> None:
    strategy = OneForOne(max_restarts=2, within=10.0)
    decision = run(strategy, "c", ValueError(), history=RestartHistory((90.0, 95.0)))
    assert decision.directive is Directive.RESTART
    assert decision.history == RestartHistory((95.0, 100.0))


def test_zero_max_restarts_escalates_on_first_restart() -> None:
    assert run(OneForOne(max_restarts=0), "a", ValueError()).intensity_exceeded


def test_a_group_restart_counts_once() -> None:
    decision = run(OneForAll(max_restarts=1), "a", ValueError())
    assert decision.directive is Directive.RESTART
    assert decision.history == RestartHistory((100.0,))


def test_backoff_delay_grows_with_restarts_in_window() -> None:
    strategy = OneForOne(max_restarts=10, within=10.0, backoff=Backoff(min=1.0, max=3.0))
    history = EMPTY
    delays = []
    for now in [100.0, 101.0, 102.0, 103.0]:
        decision = run(strategy, "a", ValueError(), history=history, now=now)
        delays.append(decision.delay)
        history = decision.history
    assert delays == [1.0, 2.0, 3.0, 3.0]
    later = run(strategy, "a", ValueError(), history=history, now=200.0)
    assert later.delay == 1.0


def test_backoff_uses_jitter_sample() -> None:
    strategy = OneForOne(backoff=Backoff(min=1.0, max=4.0, jitter=0.5))
    assert run(strategy, "a", ValueError(), jitter_sample=0.0).delay == 0.5


def test_no_backoff_means_no_delay() -> None:
    assert run(OneForOne(), "a", ValueError()).delay == 0.0


def test_unknown_child() -> None:
    with pytest.raises(
        ValueError, match=r"^child 'z' is not one of the children \(got \['a', 'b', 'c', 'd'\]\)$"
    ):
        run(OneForOne(), "z", ValueError())


def test_duplicate_children() -> None:
    with pytest.raises(ValueError, match=r"^children names must be unique \(got 'a' twice\)$"):
        run(OneForOne(), "a", ValueError(), children=[("a", P), ("a", TR)])


def test_invalid_jitter_sample() -> None:
    with pytest.raises(ValueError, match=r"^jitter_sample must be a number in \[0, 1\)"):
        run(OneForOne(), "a", ValueError(), jitter_sample=1.0)
