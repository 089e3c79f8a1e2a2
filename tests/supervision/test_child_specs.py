from types import MappingProxyType

import attrs
import pytest

from supervision import ChildSpec, InvalidChildSpec, RestartType, child


class Worker:
    pass


def test_child_defaults() -> None:
    spec = child(Worker)
    assert spec == ChildSpec(actor_class=Worker)
    assert spec.args == ()
    assert spec.kwargs == {}
    assert spec.name is None
    assert spec.restart is RestartType.PERMANENT
    assert spec.mailbox is None


def test_child_with_everything() -> None:
    mailbox = object()
    spec = child(Worker, 1, "two", name="w", restart="transient", kwargs={"x": 3}, mailbox=mailbox)
    assert spec.actor_class is Worker
    assert spec.args == (1, "two")
    assert spec.kwargs == {"x": 3}
    assert spec.name == "w"
    assert spec.restart is RestartType.TRANSIENT
    assert spec.mailbox is mailbox


def test_kwargs_are_a_read_only_copy() -> None:
    source = {"x": 1}
    spec = child(Worker, kwargs=source)
    source["x"] = 2
    assert spec.kwargs == {"x": 1}
    assert isinstance(spec.kwargs, MappingProxyType)
    with pytest.raises(TypeError):
        spec.kwargs["x"] = 3  # type: ignore[index]


def test_spec_is_hashable_and_evolvable() -> None:
    spec = child(Worker, 1, name="w", kwargs={"x": []})
    assert hash(spec) == hash(child(Worker, 1, name="w", kwargs={"x": []}))
    assert spec == child(Worker, 1, name="w", kwargs={"x": []})
    assert spec != child(Worker, 1, name="w", kwargs={"x": [1]})
    temporary = attrs.evolve(spec, restart="temporary")
    assert temporary.restart is RestartType.TEMPORARY
    assert temporary.kwargs == spec.kwargs


@pytest.mark.parametrize("restart", list(RestartType))
def test_restart_accepts_enum_and_string(restart: RestartType) -> None:
    assert child(Worker, restart=restart).restart is restart
    assert child(Worker, restart=restart.value).restart is restart
    assert RestartType.parse(restart.value) is restart


@pytest.mark.parametrize(
    ("value", "got"), [("sometimes", "'sometimes'"), ("PERMANENT", "'PERMANENT'"), (3, "3")]
)
def test_invalid_restart(value: object, got: str) -> None:
    message = rf"^restart must be one of 'permanent', 'transient', 'temporary' \(got {got}\)$"
    with pytest.raises(InvalidChildSpec, match=message):
        child(Worker, restart=value)  # type: ignore[arg-type]
    with pytest.raises(InvalidChildSpec, match=message):
        RestartType.parse(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "got"), [("x", "'x'"), (Worker(), "<.*Worker object.*>")])
def test_child_needs_a_class(value: object, got: str) -> None:
    with pytest.raises(
        InvalidChildSpec,
        match=rf"^child\(\) needs an actor class as its first argument \(got {got}\)$",
    ):
        child(value)  # type: ignore[arg-type]


def test_spec_needs_a_class() -> None:
    with pytest.raises(
        InvalidChildSpec, match=r"^ChildSpec actor_class must be a class \(got 'x'\)$"
    ):
        ChildSpec(actor_class="x")  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "got"), [("", "''"), (3, "3")])
def test_invalid_name(value: object, got: str) -> None:
    message = rf"^child name must be a non-empty string \(got {got}\)$"
    with pytest.raises(InvalidChildSpec, match=message):
        child(Worker, name=value)  # type: ignore[arg-type]
    with pytest.raises(InvalidChildSpec, match=message):
        ChildSpec(actor_class=Worker, name=value)  # type: ignore[arg-type]


def test_invalid_kwargs_key() -> None:
    with pytest.raises(InvalidChildSpec, match=r"^child kwargs keys must be strings \(got 1\)$"):
        child(Worker, kwargs={1: "x"})  # type: ignore[dict-item]


def test_invalid_child_spec_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        child(Worker, name="")
