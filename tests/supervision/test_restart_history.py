from hypothesis import given, settings
from hypothesis import strategies as st

from supervision import RestartHistory


def naive_count(timestamps: list[float], now: float, within: float) -> int:
    return len([t for t in timestamps if now - within < t <= now])


def test_empty() -> None:
    assert RestartHistory().count(10.0, 5.0) == 0
    assert RestartHistory().record(10.0, 5.0) == RestartHistory((10.0,))


def test_window_is_half_open() -> None:
    history = RestartHistory((1.0, 5.0, 6.0))
    assert history.count(6.0, 5.0) == 2  # 1.0 is exactly now - within: outside
    assert history.count(9.5, 5.0) == 2
    assert history.count(10.0, 5.0) == 1  # 5.0 is exactly now - within: outside
    assert history.count(11.0, 5.0) == 0


def test_record_prunes_and_appends() -> None:
    history = RestartHistory((1.0, 5.0, 6.0)).record(6.0, 5.0)
    assert history.timestamps == (5.0, 6.0, 6.0)


def test_record_does_not_mutate() -> None:
    history = RestartHistory((1.0,))
    history.record(2.0, 5.0)
    assert history.timestamps == (1.0,)


increasing = st.lists(st.floats(min_value=0.0, max_value=10.0), max_size=30).map(
    lambda gaps: [sum(gaps[: i + 1]) for i in range(len(gaps))]
)


@settings(max_examples=200)
@given(increasing, st.floats(min_value=0.01, max_value=20.0))
def test_count_matches_naive_recount(times: list[float], within: float) -> None:
    history = RestartHistory()
    for i, now in enumerate(times):
        history = history.record(now, within)
        assert history.count(now, within) == naive_count(times[: i + 1], now, within)
        assert len(history.timestamps) == naive_count(times[: i + 1], now, within)
        later = now + within / 2
        assert history.count(later, within) == naive_count(times[: i + 1], later, within)
