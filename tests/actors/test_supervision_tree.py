"""Supervision applied by the runtime: directives, strategies, restart types, intensity."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import anyio
import anyio.lowlevel
import pytest

from actors import (
    Actor,
    ActorFailed,
    ActorStopped,
    ActorSystem,
    RestartIntensityExceeded,
    Supervisor,
    Terminated,
)
from supervision import Directive, OneForAll, OneForOne, RestForOne, child

from .probe import Boom, Fragile, Inbox, Recorder, terminated

pytestmark = pytest.mark.anyio


class Account(Actor):
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.balance = 0

    def receive(self, message: Any) -> Any:
        if isinstance(message, Boom):
            raise message.error
        if isinstance(message, int):
            self.balance += message
        return self.balance


class Bank(Supervisor):
    strategy = OneForAll(max_restarts=3, within=5.0)
    children: ClassVar = [
        child(Account, "ada", name="ada"),
        child(Account, "bob", name="bob", restart="transient"),
    ]


async def test_the_readme_supervisor_snippet() -> None:
    async with ActorSystem("bank") as system:
        bank = system.spawn(Bank, name="bank")
        await anyio.lowlevel.checkpoint()
        ada = system.lookup("bank/ada")
        assert ada is not None
        assert ada.path == "/user/bank/ada"
        assert system.lookup("/user/bank/bob") is not None
        assert system.lookup("bank/nobody") is None
        await ada.ask(10)
        bob = system.lookup("bank/bob")
        assert bob is not None
        await bob.ask(5)
        with pytest.raises(RuntimeError):
            await ada.ask(Boom(RuntimeError("crash")))
        # OneForAll: both were restarted with fresh state; refs stay valid.
        assert await ada.ask(0) == 0
        assert await bob.ask(0) == 0
        assert system.lookup("bank/ada") is ada
        await system.stop(bank)
        assert system.lookup("bank/ada") is None


def make_group(strategy: Any, inbox: Inbox, restarts: tuple[str, str, str]) -> type[Supervisor]:
    class Group(Supervisor):
        children: ClassVar = [
            child(Fragile, label, inbox, name=label, restart=restart)
            for label, restart in zip("abc", restarts, strict=True)
        ]

    Group.strategy = strategy
    return Group


async def started(system: ActorSystem, *paths: str) -> list[Any]:
    refs = []
    for path in paths:
        with anyio.fail_after(5):
            while (ref := system.lookup(path)) is None:
                await anyio.lowlevel.checkpoint()
        await ref.ask("count")
        refs.append(ref)
    return refs


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        (OneForOne(), [("stop", "b"), ("start", "b")]),
        (
            OneForAll(),
            [
                ("stop", "c"),
                ("stop", "b"),
                ("stop", "a"),
                ("start", "a"),
                ("start", "b"),
                ("start", "c"),
            ],
        ),
        (RestForOne(), [("stop", "c"), ("stop", "b"), ("start", "b"), ("start", "c")]),
    ],
    ids=["one-for-one", "one-for-all", "rest-for-one"],
)
async def test_group_restarts_stop_in_reverse_and_start_in_order(
    strategy: Any, expected: list[tuple[str, str]]
) -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        system.spawn(make_group(strategy, inbox, ("permanent",) * 3), name="g")
        a, b, c = await started(system, "g/a", "g/b", "g/c")
        for ref in (a, b, c):
            await ref.ask("bump")
        inbox.messages.clear()
        with pytest.raises(KeyError):
            await b.ask(Boom(KeyError("b")))
        await inbox.wait_for(len(expected))
        for ref in (a, b, c):
            await ref.ask("count")
        assert inbox.messages == expected
        restarted = {label for kind, label in expected if kind == "start"}
        for label, ref in zip("abc", (a, b, c), strict=True):
            assert await ref.ask("count") == (0 if label in restarted else 1)


async def test_a_temporary_sibling_is_stopped_and_not_started_in_a_group_restart() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        system.spawn(
            make_group(OneForAll(), inbox, ("permanent", "permanent", "temporary")), name="g"
        )
        a, _, c = await started(system, "g/a", "g/b", "g/c")
        inbox.messages.clear()
        with pytest.raises(KeyError):
            await a.ask(Boom(KeyError("a")))
        await inbox.wait_for(5)
        assert inbox.messages == [
            ("stop", "c"),
            ("stop", "b"),
            ("stop", "a"),
            ("start", "a"),
            ("start", "b"),
        ]
        with pytest.raises(ActorStopped):
            await c.ask("count")


@pytest.mark.parametrize(
    ("restart", "comes_back"), [("permanent", True), ("transient", False), ("temporary", False)]
)
async def test_an_actor_that_stops_itself_is_restarted_only_if_permanent(
    restart: str, comes_back: bool
) -> None:
    inbox = Inbox()

    class Quitter(Actor):
        def on_start(self) -> None:
            inbox.record("start")

        def receive(self, message: Any) -> Any:
            if message == "quit":
                self.context.stop(self.context.self_ref)
            return "here"

    async with ActorSystem() as system:
        ref = system.spawn(Quitter, restart=restart)
        ref.tell("quit")
        if comes_back:
            await inbox.wait_for(2)
            assert await ref.ask("still there?") == "here"
        else:
            await anyio.sleep(0.01)
            with pytest.raises(ActorStopped):
                await ref.ask("still there?")
            assert inbox.messages == ["start"]


async def test_a_temporary_actor_that_fails_is_not_restarted() -> None:
    async with ActorSystem() as system:
        ref = system.spawn(Fragile, "t", Inbox(), restart="temporary")
        with pytest.raises(ValueError):
            await ref.ask(Boom(ValueError()))
        await terminated(system, ref)
        with pytest.raises(ActorStopped):
            await ref.ask("count")


_PICKY_DIRECTIVES: dict[type[BaseException], Directive] = {
    KeyError: Directive.RESUME,
    PermissionError: Directive.STOP,
    TypeError: Directive.ESCALATE,
}


class Picky(Actor):
    """Resumes on KeyError, stops on PermissionError, escalates TypeError, restarts the rest."""

    strategy = OneForOne(
        decider=lambda error: _PICKY_DIRECTIVES.get(type(error), Directive.RESTART)
    )

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def on_start(self) -> None:
        self.context.spawn(Fragile, "kid", self.inbox, name="kid")

    def receive(self, message: Any) -> Any:
        self.inbox.record(message)


async def test_the_decider_picks_resume_restart_or_stop() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        system.spawn(Picky, inbox, name="picky")
        (kid,) = await started(system, "picky/kid")
        await kid.ask("bump")
        with pytest.raises(KeyError):
            await kid.ask(Boom(KeyError()))
        assert await kid.ask("count") == 1  # resumed: state kept
        with pytest.raises(ValueError):
            await kid.ask(Boom(ValueError()))
        assert await kid.ask("count") == 0  # restarted: fresh state
        with pytest.raises(PermissionError):
            await kid.ask(Boom(PermissionError()))
        with pytest.raises(ActorStopped):
            await kid.ask("count")


async def test_escalate_fails_the_parent_whose_restart_respawns_the_children() -> None:
    inbox = Inbox()
    failures = Inbox()
    async with ActorSystem() as system:
        system.event_stream.subscribe(system.spawn(Recorder, failures), ActorFailed)
        picky = system.spawn(Picky, inbox, name="picky")
        (kid,) = await started(system, "picky/kid")
        await kid.ask("bump")
        with pytest.raises(TypeError):
            await kid.ask(Boom(TypeError("bad")))
        events = await failures.wait_for(2)
        assert [event.ref for event in events] == [kid, picky]
        assert isinstance(events[1].error, TypeError)
        # The top-level parent escalated: the guardian stops it, not restarts it.
        await terminated(system, picky)
        with pytest.raises(ActorStopped):
            await kid.ask("count")


async def test_exceeding_restart_intensity_stops_the_children_and_escalates(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox = Inbox()
    failures = Inbox()

    class Tight(Supervisor):
        strategy = OneForOne(max_restarts=1, within=60.0)
        children: ClassVar = [
            child(Fragile, "x", inbox, name="x"),
            child(Fragile, "y", inbox, name="y"),
        ]

    class Top(Supervisor):
        strategy = OneForOne(max_restarts=5, within=60.0)
        children: ClassVar = [child(Tight, name="tight")]

    caplog.set_level(logging.ERROR)
    async with ActorSystem() as system:
        system.event_stream.subscribe(system.spawn(Recorder, failures), ActorFailed)
        system.spawn(Top, name="top")
        (x, y) = await started(system, "top/tight/x", "top/tight/y")
        with pytest.raises(OSError):
            await x.ask(Boom(OSError("first")))
        await x.ask("count")  # restarted once: within the intensity
        with pytest.raises(OSError):
            await x.ask(Boom(OSError("second")))
        events = await failures.wait_for(3)
        assert isinstance(events[2].error, RestartIntensityExceeded)
        assert isinstance(events[2].error.__cause__, OSError)
        assert events[2].ref.path == "/user/top/tight"
        # Top restarted Tight, which started fresh children under the same names.
        new_x, _ = await started(system, "top/tight/x", "top/tight/y")
        assert new_x is not x
        with pytest.raises(ActorStopped):
            await y.ask("count")
    assert any("RestartIntensityExceeded" in record.getMessage() for record in caplog.records)


async def test_a_top_level_actor_is_restarted_three_times_then_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        ref = system.spawn(Fragile, "top", inbox, name="top")
        for _ in range(3):
            with pytest.raises(ValueError):
                await ref.ask(Boom(ValueError()))
            assert await ref.ask("count") == 0
        with pytest.raises(ValueError):
            await ref.ask(Boom(ValueError()))
        await terminated(system, ref)
        # The system keeps running.
        other = system.spawn(Fragile, "other", inbox)
        assert await other.ask("bump") == 1
    assert any("restart intensity was exceeded" in record.getMessage() for record in caplog.records)


async def test_a_failure_in_on_start_is_supervised_like_any_other() -> None:
    attempts = Inbox()

    class FlakyStart(Actor):
        def on_start(self) -> None:
            attempts.record("try")
            if len(attempts.messages) < 3:
                raise ConnectionError("not yet")

        def receive(self, message: Any) -> Any:
            return "up"

    async with ActorSystem() as system:
        ref = system.spawn(FlakyStart)
        assert await ref.ask("status?") == "up"
        assert attempts.messages == ["try"] * 3


async def test_a_stop_by_the_parent_is_deliberate_even_for_permanent_children() -> None:
    inbox = Inbox()

    class Boss(Actor):
        def on_start(self) -> None:
            self.kid = self.context.spawn(Fragile, "kid", inbox, name="kid", restart="permanent")
            self.context.watch(self.kid)

        def receive(self, message: Any) -> Any:
            if message == "fire":
                self.context.stop(self.kid)
            else:
                inbox.record(message)

    async with ActorSystem() as system:
        boss = system.spawn(Boss, name="boss")
        (kid,) = await started(system, "boss/kid")
        boss.tell("fire")
        await inbox.wait_for(3)
        assert inbox.messages == [("start", "kid"), ("stop", "kid"), Terminated(kid)]
        assert system.lookup("boss/kid") is None


async def test_resuming_a_failed_start_is_a_counted_restart() -> None:
    attempts = Inbox()

    class NeverStarts(Actor):
        def on_start(self) -> None:
            attempts.record("try")
            raise ConnectionError("down")

    class Lenient(Actor):
        strategy = OneForOne(max_restarts=2, within=60.0, decider=lambda error: Directive.RESUME)

        def on_start(self) -> None:
            self.context.spawn(NeverStarts, name="kid")

        def receive(self, message: Any) -> Any:
            return len(self.context.children)

    async with ActorSystem() as system:
        lenient = system.spawn(Lenient, name="lenient")
        # 1 start + 2 restarts, then intensity is exceeded and Lenient escalates.
        await attempts.wait_for(3)
        await terminated(system, lenient)
        assert attempts.messages == ["try"] * 3
        with pytest.raises(ActorStopped):
            await lenient.ask("children?")
