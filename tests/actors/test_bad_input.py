"""Bad input gets a clear error, raised where the mistake is made."""

from __future__ import annotations

from typing import Any

import pytest

from actors import (
    Actor,
    ActorInitializationError,
    ActorSystem,
    ActorSystemClosed,
    DuplicateActorName,
    InvalidActorName,
    Supervisor,
)
from supervision import InvalidChildSpec, InvalidStrategy, OneForOne, child

from .probe import Inbox, Recorder


class Plain(Actor):
    def receive(self, message: Any) -> Any:
        return message


class NotAnActor:
    pass


@pytest.mark.anyio
async def test_spawning_a_class_that_is_not_an_actor_is_a_type_error() -> None:
    async with ActorSystem() as system:
        with pytest.raises(
            TypeError, match=r"^spawn\(\) needs an Actor subclass as its first argument"
        ):
            system.spawn(NotAnActor)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"^spawn\(\) needs an Actor subclass"):
            system.spawn(42)  # type: ignore[call-overload]


@pytest.mark.anyio
async def test_a_duplicate_sibling_name_is_refused_and_named() -> None:
    async with ActorSystem() as system:
        system.spawn(Plain, name="ada")
        with pytest.raises(
            DuplicateActorName, match=r"^an actor named 'ada' already exists under /user;"
        ):
            system.spawn(Plain, name="ada")
        ref = system.spawn(Plain, name="bob")
        await system.stop(ref)
        system.spawn(Plain, name="bob")  # the name is free again once bob has stopped


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("", r"^actor name must be a non-empty string \(got ''\)$"),
        ("a/b", r"^actor name must not contain '/' \(got 'a/b'\)"),
        ("$x", r"^actor name must not start with '\$' \(got '\$x'\)"),
        (3, r"^actor name must be a non-empty string \(got 3\)$"),
    ],
)
async def test_invalid_names_are_refused(name: Any, pattern: str) -> None:
    async with ActorSystem() as system:
        with pytest.raises(InvalidActorName, match=pattern):
            system.spawn(Plain, name=name)


@pytest.mark.anyio
async def test_spawning_on_a_system_that_is_not_running() -> None:
    system = ActorSystem("idle")
    with pytest.raises(
        ActorSystemClosed, match=r"^actor system 'idle' is not running; enter it first"
    ):
        system.spawn(Plain)
    async with system:
        pass
    with pytest.raises(ActorSystemClosed, match=r"^actor system 'idle' has shut down"):
        system.spawn(Plain)
    with pytest.raises(ActorSystemClosed, match=r"was already entered once"):
        async with system:
            pass


@pytest.mark.anyio
async def test_unknown_restart_types_and_bad_options_are_refused_at_spawn() -> None:
    async with ActorSystem() as system:
        with pytest.raises(
            InvalidChildSpec, match=r"^restart must be one of 'permanent', 'transient', 'temporary'"
        ):
            system.spawn(Plain, restart="sometimes")
        with pytest.raises(TypeError, match=r"^mailbox must be an actors.MailboxConfig or None"):
            system.spawn(Plain, mailbox=10)  # type: ignore[call-overload]
        with pytest.raises(TypeError, match=r"^kwargs must be a mapping"):
            system.spawn(Plain, kwargs=[1])  # type: ignore[call-overload]


@pytest.mark.anyio
async def test_stop_refuses_what_it_cannot_stop() -> None:
    async with ActorSystem() as system:
        with pytest.raises(TypeError, match=r"^stop\(\) needs an ActorRef of this system"):
            await system.stop("ada")  # type: ignore[arg-type]
        inbox = Inbox()
        other = system.spawn(Recorder, inbox)

        class Meddler(Actor):
            def receive(self, message: Any) -> Any:
                try:
                    self.context.stop(other)
                except ValueError as error:
                    return str(error)

        answer = await system.spawn(Meddler).ask("stop it")
        assert answer.startswith("/user/$2 can stop only itself or its own children")


def test_invalid_strategy_arguments_fail_at_construction() -> None:
    with pytest.raises(InvalidStrategy, match=r"^max_restarts must be >= 0 \(got -1\)$"):
        OneForOne(max_restarts=-1)
    with pytest.raises(InvalidStrategy, match=r"^within must be > 0 seconds \(got 0\)$"):
        OneForOne(within=0)


def test_a_strategy_class_instead_of_an_instance_is_refused_at_class_definition() -> None:
    with pytest.raises(TypeError, match=r"^Wrong.strategy must be a supervision strategy instance"):

        class Wrong(Actor):
            strategy = OneForOne  # type: ignore[assignment]


def test_supervisor_children_are_checked_at_class_definition() -> None:
    with pytest.raises(
        TypeError, match=r"^Bad.children\[0\] names NotAnActor, which is not an actors.Actor"
    ):

        class Bad(Supervisor):
            children = [child(NotAnActor)]  # noqa: RUF012

    with pytest.raises(DuplicateActorName, match=r"^Twins.children has two children named 'plain'"):

        class Twins(Supervisor):
            children = [child(Plain), child(Plain)]  # noqa: RUF012


def test_an_actor_cannot_be_instantiated_directly() -> None:
    with pytest.raises(
        ActorInitializationError, match=r"^Plain is an actor: create it with system.spawn"
    ):
        Plain()


@pytest.mark.anyio
async def test_arguments_for_a_class_without_init_are_refused_at_spawn() -> None:
    async with ActorSystem() as system:
        with pytest.raises(
            TypeError, match=r"^Plain takes no constructor arguments \(got args=\(1,\)"
        ):
            system.spawn(Plain, 1)
        with pytest.raises(TypeError, match=r"^Plain takes no constructor arguments"):
            system.spawn(Plain, kwargs={"size": 2})


def test_an_actor_class_cannot_define_new() -> None:
    with pytest.raises(TypeError, match=r"^Odd defines __new__, which the runtime never calls"):

        class Odd(Actor):
            def __new__(cls) -> Odd:  # pragma: no cover - refused at class creation
                raise AssertionError


def test_system_options_are_validated() -> None:
    with pytest.raises(ValueError, match=r"^throughput must be a whole number >= 1 \(got 0\)$"):
        ActorSystem(throughput=0)
    with pytest.raises(ValueError, match=r"^shutdown_timeout must be > 0 seconds \(got -1\)$"):
        ActorSystem(shutdown_timeout=-1)


@pytest.mark.anyio
async def test_timer_arguments_are_validated() -> None:
    class Clocky(Actor):
        def receive(self, message: Any) -> Any:
            try:
                self.context.schedule_repeatedly(message, "tick")
            except (TypeError, ValueError) as error:
                return str(error)

    async with ActorSystem() as system:
        ref = system.spawn(Clocky)
        assert await ref.ask(0) == "interval must be > 0 seconds (got 0)"
        assert await ref.ask("soon") == "interval must be a number of seconds (got 'soon')"


def test_a_declared_child_with_a_bad_mailbox_is_refused_at_class_definition() -> None:
    with pytest.raises(
        TypeError, match=r"^Leaky.children\[0\] has mailbox=10; it must be an actors.MailboxConfig"
    ):

        class Leaky(Supervisor):
            children = [child(Plain, mailbox=10)]  # noqa: RUF012


@pytest.mark.anyio
async def test_lookup_never_returns_a_guardian() -> None:
    async with ActorSystem() as system:
        for path in ("", "/", "/user", "/system", "user/"):
            assert system.lookup(path) is None, path
