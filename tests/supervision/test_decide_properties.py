from hypothesis import given, settings
from hypothesis import strategies as st

from supervision import (
    Directive,
    OneForAll,
    OneForOne,
    RestartHistory,
    RestartType,
    RestForOne,
    Strategy,
    decide,
)

strategy_classes = st.sampled_from([OneForOne, OneForAll, RestForOne])
directives = st.sampled_from(list(Directive))
children_lists = st.lists(
    st.tuples(st.text(min_size=1, max_size=3), st.sampled_from(list(RestartType))),
    min_size=1,
    max_size=8,
    unique_by=lambda pair: pair[0],
)


@settings(max_examples=300)
@given(
    strategy_classes,
    directives,
    children_lists,
    st.data(),
)
def test_restart_and_stop_orders(
    cls: type[Strategy],
    directive: Directive,
    children: list[tuple[str, RestartType]],
    data: st.DataObject,
) -> None:
    normal_exit = data.draw(st.booleans())
    max_restarts = data.draw(st.integers(min_value=0, max_value=5))
    strategy = cls(max_restarts=max_restarts, decider=lambda error: directive)
    child = data.draw(st.sampled_from([name for name, _ in children]))
    decision = decide(
        strategy,
        children=children,
        child=child,
        error=None if normal_exit else ValueError(),
        history=RestartHistory(),
        now=0.0,
    )
    order = [name for name, _ in children]
    restart_positions = [order.index(name) for name in decision.restart]
    stop_positions = [order.index(name) for name in decision.stop]
    assert restart_positions == sorted(set(restart_positions))
    assert stop_positions == sorted(set(stop_positions), reverse=True)
    assert not set(decision.restart) & set(decision.stop)
    kinds = dict(children)
    assert all(kinds[name] is not RestartType.TEMPORARY for name in decision.restart)
    if decision.directive is Directive.RESTART:
        assert child in decision.restart


@settings(max_examples=200)
@given(
    st.lists(st.floats(min_value=0.0, max_value=5.0), min_size=1, max_size=25),
    st.integers(min_value=0, max_value=6),
    st.floats(min_value=0.5, max_value=20.0),
)
def test_intensity_exceeded_exactly_when_naive_count_exceeds(
    gaps: list[float], max_restarts: int, within: float
) -> None:
    strategy = OneForOne(max_restarts=max_restarts, within=within)
    times = [sum(gaps[: i + 1]) for i in range(len(gaps))]
    history = RestartHistory()
    for i, now in enumerate(times):
        decision = decide(
            strategy,
            children=[("a", RestartType.PERMANENT)],
            child="a",
            error=ValueError(),
            history=history,
            now=now,
        )
        in_window = len([t for t in times[: i + 1] if now - within < t <= now])
        assert decision.intensity_exceeded == (in_window > max_restarts)
        assert decision.directive is (
            Directive.ESCALATE if in_window > max_restarts else Directive.RESTART
        )
        if decision.intensity_exceeded:
            break
        history = decision.history
