import pytest

from supervision import (
    Backoff,
    Directive,
    InvalidStrategy,
    OneForAll,
    OneForOne,
    RestForOne,
    Strategy,
    default_decider,
)

STRATEGIES = [OneForOne, OneForAll, RestForOne]


@pytest.mark.parametrize("cls", STRATEGIES)
def test_defaults(cls: type[Strategy]) -> None:
    strategy = cls()
    assert strategy.max_restarts == 3
    assert strategy.within == 5.0
    assert strategy.backoff is None
    assert strategy.decider is default_decider


@pytest.mark.parametrize("cls", STRATEGIES)
def test_equality_by_fields_and_class(cls: type[Strategy]) -> None:
    backoff = Backoff(min=0.1, max=1.0)
    assert cls(max_restarts=1, backoff=backoff) == cls(max_restarts=1, backoff=backoff)
    assert hash(cls(max_restarts=1)) == hash(cls(max_restarts=1))
    assert cls(max_restarts=1) != cls(max_restarts=2)
    others = [other for other in STRATEGIES if other is not cls]
    assert all(cls() != other() for other in others)


def test_decider_compares_by_identity() -> None:
    def decider(error: BaseException) -> Directive:
        return Directive.STOP

    assert OneForOne(decider=decider) == OneForOne(decider=decider)
    assert OneForOne(decider=decider) != OneForOne()


@pytest.mark.parametrize("cls", STRATEGIES)
def test_max_restarts_and_within_may_be_positional_as_in_otp_and_akka(
    cls: type[Strategy],
) -> None:
    assert cls(3, 5.0) == cls(max_restarts=3, within=5.0)
    assert cls(1) == cls(max_restarts=1)
    with pytest.raises(InvalidStrategy, match=r"^within must be > 0 seconds \(got 0\)$"):
        cls(3, 0)


@pytest.mark.parametrize("cls", STRATEGIES)
def test_backoff_and_decider_are_keyword_only(cls: type[Strategy]) -> None:
    backoff = Backoff(min=0.1, max=1.0)
    with pytest.raises(TypeError, match=r"takes from 1 to 3 positional arguments but 4 were given"):
        cls(3, 5.0, backoff)  # type: ignore[call-arg]
    assert cls(3, 5.0, backoff=backoff).backoff is backoff


def test_default_decider() -> None:
    assert default_decider(ValueError()) is Directive.RESTART
    assert default_decider(KeyboardInterrupt()) is Directive.ESCALATE
    assert default_decider(SystemExit()) is Directive.ESCALATE


@pytest.mark.parametrize("cls", STRATEGIES)
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_restarts": -1}, r"^max_restarts must be >= 0 \(got -1\)$"),
        ({"max_restarts": True}, r"^max_restarts must be an int \(got True\)$"),
        ({"max_restarts": 1.5}, r"^max_restarts must be an int \(got 1\.5\)$"),
        ({"within": 0}, r"^within must be > 0 seconds \(got 0\)$"),
        ({"within": -2.5}, r"^within must be > 0 seconds \(got -2\.5\)$"),
        ({"within": "5"}, r"^within must be a number of seconds \(got '5'\)$"),
        ({"within": float("nan")}, r"^within must be a number of seconds \(got nan\)$"),
        ({"decider": 3}, r"^decider must be callable \(got 3\)$"),
        ({"backoff": 2}, r"^backoff must be a supervision\.Backoff or None \(got 2\)$"),
    ],
)
def test_invalid_values(cls: type[Strategy], kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidStrategy, match=message):
        cls(**kwargs)  # type: ignore[arg-type]


def test_zero_max_restarts_is_allowed() -> None:
    assert OneForOne(max_restarts=0).max_restarts == 0
