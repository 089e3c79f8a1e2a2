import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supervision import Backoff, InvalidStrategy


def test_defaults() -> None:
    backoff = Backoff(min=0.1, max=1.0)
    assert backoff.factor == 2.0
    assert backoff.jitter == 0.0


def test_exponential_then_capped() -> None:
    backoff = Backoff(min=0.1, max=1.0, factor=2.0)
    assert [backoff.delay(n) for n in range(6)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])


def test_huge_attempt_is_capped_without_overflow() -> None:
    assert Backoff(min=0.1, max=10, factor=3.0).delay(100_000) == 10.0


def test_factor_one_is_constant() -> None:
    backoff = Backoff(min=0.5, max=5.0, factor=1.0)
    assert backoff.delay(0) == backoff.delay(50) == 0.5


def test_jitter_scales_around_base() -> None:
    backoff = Backoff(min=1.0, max=10.0, jitter=0.5)
    assert backoff.delay(0, jitter_sample=0.0) == 0.5
    assert backoff.delay(0, jitter_sample=0.5) == 1.0
    assert backoff.delay(0, jitter_sample=0.75) == 1.25


def test_jitter_is_clamped_to_max() -> None:
    assert Backoff(min=1.0, max=1.0, jitter=1.0).delay(0, jitter_sample=0.99) == 1.0


def test_is_frozen_and_keyword_only() -> None:
    with pytest.raises(TypeError):
        Backoff(0.1, 1.0)  # type: ignore[call-arg]
    backoff = Backoff(min=0.1, max=1.0)
    with pytest.raises(AttributeError):
        backoff.min = 2.0  # type: ignore[misc]
    assert backoff == Backoff(min=0.1, max=1.0)
    assert hash(backoff) == hash(Backoff(min=0.1, max=1.0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min": 0, "max": 1.0}, r"^Backoff min must be > 0 seconds \(got 0\)$"),
        ({"min": -1.0, "max": 1.0}, r"^Backoff min must be > 0 seconds \(got -1\.0\)$"),
        (
            {"min": "1", "max": 1.0},
            r"^Backoff min must be a finite number of seconds \(got '1'\)$",
        ),
        (
            {"min": 1.0, "max": float("inf")},
            r"^Backoff max must be a finite number of seconds \(got inf\)$",
        ),
        (
            {"min": 2.0, "max": 1.0},
            r"^Backoff max must be >= min \(got max=1\.0, min=2\.0\)$",
        ),
        (
            {"min": 1.0, "max": 2.0, "factor": 0.5},
            r"^Backoff factor must be a finite number >= 1 \(got 0\.5\)$",
        ),
        (
            {"min": 1.0, "max": 2.0, "jitter": 1.5},
            r"^Backoff jitter must be between 0 and 1 \(got 1\.5\)$",
        ),
        (
            {"min": 1.0, "max": 2.0, "jitter": -0.1},
            r"^Backoff jitter must be between 0 and 1 \(got -0\.1\)$",
        ),
    ],
)
def test_invalid_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidStrategy, match=message):
        Backoff(**kwargs)  # type: ignore[arg-type]


def test_invalid_attempt() -> None:
    with pytest.raises(ValueError, match=r"^attempt must be an int >= 0 \(got -1\)$"):
        Backoff(min=1.0, max=2.0).delay(-1)


@pytest.mark.parametrize("sample", [1.0, -0.1])
def test_invalid_jitter_sample(sample: float) -> None:
    with pytest.raises(
        ValueError,
        match=rf"^jitter_sample must be a number in \[0, 1\), e\.g\. random\.random\(\) "
        rf"\(got {sample!r}\)$",
    ):
        Backoff(min=1.0, max=2.0).delay(0, jitter_sample=sample)


backoffs = st.builds(
    lambda lo, extra, factor, jitter: Backoff(min=lo, max=lo + extra, factor=factor, jitter=jitter),
    st.floats(min_value=1e-6, max_value=1e3),
    st.floats(min_value=0.0, max_value=1e4),
    st.floats(min_value=1.0, max_value=10.0),
    st.floats(min_value=0.0, max_value=1.0),
)
samples = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)


@settings(max_examples=200)
@given(backoffs, st.integers(min_value=0, max_value=5000), samples)
def test_delay_within_zero_and_max(backoff: Backoff, attempt: int, sample: float) -> None:
    assert 0.0 <= backoff.delay(attempt, sample) <= backoff.max


@settings(max_examples=200)
@given(backoffs, st.integers(min_value=0, max_value=5000))
def test_delay_non_decreasing_without_jitter(backoff: Backoff, attempt: int) -> None:
    backoff = Backoff(min=backoff.min, max=backoff.max, factor=backoff.factor)
    assert backoff.delay(attempt) <= backoff.delay(attempt + 1)
    assert backoff.delay(0) == backoff.min
