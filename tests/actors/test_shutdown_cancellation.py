"""Leaving ``async with ActorSystem(...)`` by cancellation of an enclosing scope.

docs/semantics.md promises that this stops the actors as ``system.stop`` does:
children first, each top-level actor in reverse spawn order, with ``on_stop``,
shielded from the outer cancellation, and waiting for ``shutdown_timeout`` only
when a handler really is stuck.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest

from actors import Actor, ActorStopped, ActorSystem

from .probe import Fragile, Inbox

pytestmark = pytest.mark.anyio

#: Long enough that a shutdown waiting for it would hit the test's timeout.
LONG_TIMEOUT = 3600.0


class Parent(Actor):
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def on_start(self) -> None:
        for label in ("c0", "c1"):
            self.context.spawn(Fragile, label, self.inbox, name=label)

    def on_stop(self) -> None:
        self.inbox.record(("stop", "parent"))

    def receive(self, message: Any) -> Any:
        return message


async def test_cancelling_the_enclosing_scope_stops_idle_actors_with_on_stop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox = Inbox()
    with anyio.CancelScope() as scope:
        async with ActorSystem(shutdown_timeout=LONG_TIMEOUT) as system:
            parent = system.spawn(Parent, inbox, name="parent")
            first = system.spawn(Fragile, "first", inbox, name="first")
            second = system.spawn(Fragile, "second", inbox, name="second")
            for ref in (parent, first, second):
                await ref.ask("ready?")
            inbox.messages.clear()
            scope.cancel()
            await anyio.sleep_forever()
    assert scope.cancelled_caught
    assert inbox.messages == [
        ("stop", "second"),
        ("stop", "first"),
        ("stop", "c1"),
        ("stop", "c0"),
        ("stop", "parent"),
    ]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    with pytest.raises(ActorStopped):
        await first.ask("anyone?")


class Gate(Actor):
    """Its first message waits until ``opened`` is set; then it answers everything."""

    def __init__(self, opened: anyio.Event, inbox: Inbox) -> None:
        self.opened = opened
        self.inbox = inbox

    async def receive(self, message: Any) -> Any:
        await self.opened.wait()
        return message

    def on_stop(self) -> None:
        self.inbox.record(("stop", "gate"))


class Opener(Actor):
    """Opens the gate from its ``on_stop`` (it stops before the gate, spawned later)."""

    def __init__(self, opened: anyio.Event) -> None:
        self.opened = opened

    def on_stop(self) -> None:
        self.opened.set()


async def test_asks_pending_at_a_cancelled_shutdown_fail_with_actor_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox = Inbox()
    opened = anyio.Event()
    askers = 1_000
    outcomes: list[object] = []
    all_sent = anyio.Event()
    system_ready = anyio.Event()
    gate_box: list[Any] = []

    async def ask_once(index: int) -> None:
        await system_ready.wait()
        gate = gate_box[0]
        outcomes.append("sent")
        if outcomes.count("sent") == askers:
            all_sent.set()
        try:
            outcomes.append(await gate.ask(index))
        except ActorStopped:
            outcomes.append(ActorStopped)

    async with anyio.create_task_group() as outside:
        # The askers live outside the cancelled scope: their asks are not
        # cancelled, so each must end with an answer or ActorStopped.
        for index in range(askers):
            outside.start_soon(ask_once, index)
        with anyio.CancelScope() as scope:
            async with ActorSystem(shutdown_timeout=LONG_TIMEOUT) as system:
                gate_box.append(system.spawn(Gate, opened, inbox, name="gate"))
                system.spawn(Opener, opened, name="opener")
                system_ready.set()
                await all_sent.wait()
                scope.cancel()
                await anyio.sleep_forever()
    answers = [outcome for outcome in outcomes if outcome != "sent"]
    assert len(answers) == askers
    # The message in hand finishes; the rest were queued and fail at once.
    assert answers.count(ActorStopped) == askers - 1
    assert inbox.messages == [("stop", "gate")]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_stuck_handler_is_cancelled_at_the_deadline_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Stuck(Actor):
        async def receive(self, message: Any) -> Any:
            await anyio.sleep_forever()

    inbox = Inbox()
    with anyio.CancelScope() as scope:
        # The deadline leaves "fine" time to stop even on a loaded machine;
        # the stuck ones are cancelled at it whatever its length.
        async with ActorSystem(shutdown_timeout=1.0) as system:
            stuck = [system.spawn(Stuck, name=f"stuck{index}") for index in range(8)]
            system.spawn(Fragile, "fine", inbox, name="fine")
            await inbox.wait_for(1)  # ("start", "fine")
            for ref in stuck:
                ref.tell("hang")
            scope.cancel()
            await anyio.sleep_forever()
    # The actor that could stop did, with on_stop; the stuck ones were
    # cancelled, and one warning names them.
    assert ("stop", "fine") in inbox.messages
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "8 actors still running were cancelled without on_stop" in warnings[0]
    assert "/user/stuck7" in warnings[0]
    assert warnings[0].endswith("and 3 more")
