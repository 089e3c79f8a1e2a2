"""Starting and stopping: hooks, order, dead letters, pending asks, shutdown."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
import pytest

from actors import Actor, ActorStopped, ActorSystem, DeadLetter, Terminated

from .probe import Boom, Fragile, Inbox, Recorder, terminated

pytestmark = pytest.mark.anyio


class Parent(Actor):
    """Spawns ``count`` Fragile children in on_start and records its own hooks."""

    def __init__(self, count: int, inbox: Inbox) -> None:
        self.count = count
        self.inbox = inbox

    def on_start(self) -> None:
        for index in range(self.count):
            self.context.spawn(Fragile, f"c{index}", self.inbox, name=f"c{index}")
        self.inbox.record(("start", "parent"))

    def on_stop(self) -> None:
        self.inbox.record(("stop", "parent"))

    def receive(self, message: Any) -> Any:
        return [child.name for child in self.context.children]


async def test_on_start_completes_before_the_first_message() -> None:
    inbox = Inbox()

    class SlowStarter(Actor):
        async def on_start(self) -> None:
            await anyio.sleep(0.01)
            inbox.record("started")

        def receive(self, message: Any) -> Any:
            inbox.record(message)

    async with ActorSystem() as system:
        ref = system.spawn(SlowStarter)
        ref.tell("first")
        assert await inbox.wait_for(2) == ["started", "first"]


async def test_stop_stops_children_in_reverse_start_order_then_on_stop() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        parent = system.spawn(Parent, 3, inbox)
        assert await parent.ask("children?") == ["c0", "c1", "c2"]
        inbox.messages.clear()
        await system.stop(parent)
        assert inbox.messages == [
            ("stop", "c2"),
            ("stop", "c1"),
            ("stop", "c0"),
            ("stop", "parent"),
        ]
        assert system.lookup("$1/c0") is None


async def test_queued_messages_become_dead_letters_and_pending_asks_fail() -> None:
    inbox = Inbox()
    release = anyio.Event()
    entered = anyio.Event()

    class Busy(Actor):
        async def receive(self, message: Any) -> Any:
            if message == "block":
                entered.set()
                await release.wait()
                return "finished"
            return message

    async with ActorSystem() as system:
        system.event_stream.subscribe(system.spawn(Recorder, inbox), DeadLetter)
        busy = system.spawn(Busy)
        results: dict[str, Any] = {}

        async def ask(key: str) -> None:
            try:
                results[key] = await busy.ask(key)
            except ActorStopped as error:
                results[key] = error

        async with anyio.create_task_group() as group:
            group.start_soon(ask, "block")
            await entered.wait()
            group.start_soon(ask, "queued-ask")
            await anyio.lowlevel.checkpoint()
            busy.tell("queued-tell")

            async def stop_then_release() -> None:
                await system.stop(busy)

            group.start_soon(stop_then_release)
            await anyio.lowlevel.checkpoint()
            release.set()
        # The current message finished; what was queued did not run.
        assert results["block"] == "finished"
        assert isinstance(results["queued-ask"], ActorStopped)
        letters = await inbox.wait_for(2)
        assert sorted(letter.message for letter in letters) == ["queued-ask", "queued-tell"]


async def test_a_child_stopped_before_it_starts_still_starts_then_stops_in_order() -> None:
    """Stop arrives while Start is still pending: both run, in the order sent."""
    inbox = Inbox()

    class Impatient(Actor):
        def receive(self, message: Any) -> Any:
            child = self.context.spawn(Fragile, "kid", inbox)
            self.context.stop(child)
            return child

    async with ActorSystem() as system:
        parent = system.spawn(Impatient)
        child = await parent.ask("go")
        await terminated(system, child)
        assert inbox.messages == [("start", "kid"), ("stop", "kid")]
        assert system.lookup(child.path) is None


async def test_context_stop_of_self_happens_after_the_current_message() -> None:
    inbox = Inbox()

    class Quitter(Actor):
        def receive(self, message: Any) -> Any:
            inbox.record(message)
            if message == "quit":
                self.context.stop(self.context.self_ref)
                inbox.record("after stop() returned")

    async with ActorSystem() as system:
        watcher_inbox = Inbox()
        quitter = system.spawn(Quitter)
        system.event_stream.subscribe(system.spawn(Recorder, watcher_inbox), DeadLetter)
        quitter.tell("quit")
        quitter.tell("never handled")
        letters = await watcher_inbox.wait_for(1)
        assert inbox.messages == ["quit", "after stop() returned"]
        assert letters[0].message == "never handled"


async def test_leaving_the_system_stops_everything_children_first() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        first = system.spawn(Parent, 2, inbox, name="first")
        second = system.spawn(Fragile, "second", inbox, name="second")
        await first.ask("ready?")
        await second.ask("ready?")
        inbox.messages.clear()
    assert inbox.messages == [
        ("stop", "second"),
        ("stop", "c1"),
        ("stop", "c0"),
        ("stop", "parent"),
    ]
    with pytest.raises(ActorStopped):
        await first.ask("anyone?")


async def test_shutdown_deadline_cancels_actors_that_do_not_stop() -> None:
    class Stubborn(Actor):
        async def on_stop(self) -> None:
            await anyio.sleep_forever()

    async with ActorSystem(shutdown_timeout=0.1) as system:
        ref = system.spawn(Stubborn)
        assert await ref.ask("ready?") is None  # started; unhandled messages answer None
    with pytest.raises(ActorStopped):
        await ref.ask("anyone?")


async def test_watch_delivers_terminated_once_on_stop_not_on_restart() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        target_inbox = Inbox()
        target = system.spawn(Fragile, "t", target_inbox)

        class Watcher(Actor):
            def on_start(self) -> None:
                self.context.watch(target)
                self.context.watch(target)  # twice: still one Terminated

            def receive(self, message: Any) -> Any:
                inbox.record(message)

        system.spawn(Watcher)
        with pytest.raises(ZeroDivisionError):
            await target.ask(Boom(ZeroDivisionError()))
        assert await target.ask("count") == 0  # restarted, not terminated
        await system.stop(target)
        assert await inbox.wait_for(1) == [Terminated(target)]
        await anyio.sleep(0.01)
        assert inbox.messages == [Terminated(target)]


async def test_watching_a_dead_actor_delivers_terminated_at_once() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        dead = system.spawn(Fragile, "d", Inbox())
        await system.stop(dead)

        class LateWatcher(Actor):
            def on_start(self) -> None:
                self.context.watch(dead)

            def receive(self, message: Any) -> Any:
                inbox.record(message)

        system.spawn(LateWatcher)
        assert await inbox.wait_for(1) == [Terminated(dead)]


async def test_unwatch_means_no_terminated() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        target = system.spawn(Fragile, "t", Inbox())

        class Fickle(Actor):
            def on_start(self) -> None:
                self.context.watch(target)
                self.context.unwatch(target)

            def receive(self, message: Any) -> Any:
                inbox.record(message)

        fickle = system.spawn(Fickle)
        await fickle.ask("started?")
        await system.stop(target)
        fickle.tell("marker")
        assert await inbox.wait_for(2) == ["started?", "marker"]
