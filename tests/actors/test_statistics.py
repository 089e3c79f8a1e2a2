"""Statistics snapshots, the text tree, and seeded scheduling."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from actors import Actor, ActorStatistics, ActorSystem, ActorSystemClosed, SystemStatistics

from .probe import Boom, Fragile, Inbox, Recorder

pytestmark = pytest.mark.anyio


async def test_actor_statistics_count_messages_failures_and_restarts() -> None:
    async with ActorSystem() as system:
        ref = system.spawn(Fragile, "f", Inbox(), name="f")
        for _ in range(40):
            ref.tell("bump")
        with pytest.raises(ValueError):
            await ref.ask(Boom(ValueError()))
        await ref.ask("count")
        stats = ref.statistics()
        assert isinstance(stats, ActorStatistics)
        assert stats.path == "/user/f"
        assert stats.actor_class == "Fragile"
        assert stats.messages_handled == 42
        assert (stats.failures, stats.restarts, stats.restarts_in_window) == (1, 1, 1)
        assert stats.mailbox_depth == 0
        assert stats.state == "idle"
        assert stats.current_message is None
        assert stats.handling_time >= 0
        await system.stop(ref)
        assert ref.statistics().state == "stopped"


async def test_a_suspended_handler_shows_its_message_and_its_waiting_mail() -> None:
    entered, release = anyio.Event(), anyio.Event()

    class Slow(Actor):
        async def receive(self, message: Any) -> Any:
            entered.set()
            await release.wait()

    async with ActorSystem() as system:
        ref = system.spawn(Slow)
        ref.tell(3.5)
        await entered.wait()
        ref.tell("queued")
        stats = ref.statistics()
        assert (stats.state, stats.current_message, stats.mailbox_depth) == ("running", "float", 1)
        assert system.statistics().suspended_handlers == 1
        release.set()
        await ref.ask("done?")
        stats = ref.statistics()
        assert stats.current_message is None
        assert stats.handling_time > 0  # suspended handlers are timed exactly
        assert stats.handling_time_p90 is not None


async def test_system_statistics() -> None:
    async with ActorSystem("stats") as system:
        refs = [system.spawn(Recorder, Inbox()) for _ in range(5)]
        await system.stop(refs[0])
        refs[0].tell("lost")
        await refs[1].ask("sync")
        stats = system.statistics()
        assert isinstance(stats, SystemStatistics)
        assert stats.name == "stats"
        assert (stats.actors_spawned, stats.actors_stopped, stats.actors_alive) == (5, 1, 4)
        assert stats.dead_letters == {"str": 1}
        assert stats.turns > 0
        assert stats.batch_latency_max >= 0


async def test_tree_renders_the_supervision_tree() -> None:
    from actors import Supervisor
    from supervision import child

    class Team(Supervisor):
        children = (child(Fragile, "x", Inbox(), name="x"), child(Fragile, "y", Inbox(), name="y"))

    async with ActorSystem() as system:
        system.spawn(Team, name="team")
        x = system.lookup("team/x")
        assert x is not None
        await x.ask("bump")
        lines = system.tree().splitlines()
        assert lines[0].startswith("user (Guardian)")
        assert lines[1].startswith("  team (Team) idle")
        assert lines[2].startswith("    x (Fragile) idle mailbox=0 handled=1 failures=0 restarts=0")
        assert lines[3].startswith("    y (Fragile)")


async def test_statistics_need_a_started_system() -> None:
    system = ActorSystem("cold")
    with pytest.raises(ActorSystemClosed, match=r"^actor system 'cold' has not been started$"):
        system.statistics()


async def _interleaving(seed: int) -> list[Any]:
    inbox = Inbox()

    class Chatty(Actor):
        def __init__(self, label: str) -> None:
            self.label = label

        def receive(self, message: Any) -> Any:
            inbox.record((self.label, message))

    async with ActorSystem(seed=seed, throughput=1) as system:
        refs = [system.spawn(Chatty, label) for label in "abcd"]
        for number in range(5):
            for ref in refs:
                ref.tell(number)
        await inbox.wait_for(20)
    return inbox.messages


async def test_a_seed_replays_the_same_interleaving_and_keeps_per_sender_order() -> None:
    first, again, other = await _interleaving(7), await _interleaving(7), await _interleaving(8)
    assert first == again
    assert first != other  # another seed, another interleaving (for these two seeds)
    for label in "abcd":
        assert [n for (who, n) in first if who == label] == list(range(5))


async def test_children_walk_and_inject_failure() -> None:
    from actors import ActorFailed, Supervisor
    from supervision import child

    class Team(Supervisor):
        children = (child(Fragile, "x", Inbox(), name="x"), child(Fragile, "y", Inbox(), name="y"))

    failures = Inbox()
    async with ActorSystem() as system:
        system.event_stream.subscribe(
            system.spawn(Recorder, failures, name="listener"), ActorFailed
        )
        team = system.spawn(Team, name="team")
        x = system.lookup("team/x")
        assert x is not None
        await x.ask("bump")
        assert [ref.path for ref in system.children()] == ["/user/listener", "/user/team"]
        assert [ref.path for ref in system.children(team)] == ["/user/team/x", "/user/team/y"]
        assert [ref.path for ref in system.walk()] == [
            "/user/listener",
            "/user/team",
            "/user/team/x",
            "/user/team/y",
        ]
        error = RuntimeError("injected")
        assert system.inject_failure(x, error) is True
        (event,) = await failures.wait_for(1)
        assert event == ActorFailed(ref=x, error=error, message=None)
        assert await x.ask("count") == 0  # restarted by the team's default strategy
        await system.stop(team)
        assert system.inject_failure(x, error) is False
        with pytest.raises(TypeError, match=r"^inject_failure\(\) needs an Exception instance"):
            system.inject_failure(x, "boom")  # type: ignore[arg-type]


async def test_is_handling_is_true_only_inside_a_turn() -> None:
    seen: list[tuple[str, bool]] = []
    entered, release = anyio.Event(), anyio.Event()

    class Watcher(Actor):
        def __init__(self) -> None:
            seen.append(("init", self.context.is_handling))

        def on_start(self) -> None:
            seen.append(("start", self.context.is_handling))

        async def receive(self, message: Any) -> Any:
            seen.append(("receive", self.context.is_handling))
            if message == "wait":
                entered.set()
                await release.wait()
                seen.append(("resumed", self.context.is_handling))
            return self.context.is_handling

        def on_stop(self) -> None:
            seen.append(("stop", self.context.is_handling))

    async with ActorSystem() as system:
        ref = system.spawn(Watcher)
        assert await ref.ask("now?") is True
        ref.tell("wait")
        await entered.wait()
        release.set()
        assert await ref.ask("after") is True
        await system.stop(ref)
    assert seen == [
        ("init", False),
        ("start", False),
        ("receive", True),
        ("receive", True),
        ("resumed", True),
        ("receive", True),
        ("stop", False),
    ]
