"""Durable reminders: they fire after passivation and across restarts, at least once, in virtual time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest

from actors import Actor, ActorSystem
from actors.persistence import InMemoryJournal, Journal, SqliteJournal
from actors.sharding import ShardingError
from tests.actors.probe import Inbox
from tests.sharding.entities import Cancel, Counter, Remind, registry
from tests.sharding.virtual_time import BACKENDS, run_in_virtual_time

LONG = 100_000.0  # a wait's limit, beyond every scenario's timers (virtual time jumps to it)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_reminder_fires_after_passivation_activating_the_entity(backend: str) -> None:
    inbox = Inbox()

    async def scenario() -> None:
        journal = InMemoryJournal(registry=registry())
        async with ActorSystem(journal=journal) as system:
            region = await system.start_sharding("counter", Counter, inbox, passivate_after=10.0)
            ada = system.entity("counter", "ada")
            assert await ada.ask(Remind("wake", "wake up", after=60.0)) == "set"
            await anyio.sleep(30.0)
            assert region.active_entities == frozenset()  # passivated meanwhile
            assert await inbox.wait_for(1, timeout=LONG) == [("ada", "wake up")]
            assert region.activations == 2
            await anyio.sleep(1.0)  # let the firing be recorded
            assert len(region.reminders) == 0
        record = await journal.load_state(f"$sharding/counter/reminders/{region.shard_of('ada')}")
        assert record is not None
        assert record.state == []

    run_in_virtual_time(backend, scenario)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_reminder_at_a_wall_clock_time_fires(backend: str) -> None:
    inbox = Inbox()

    async def scenario() -> None:
        async with ActorSystem(journal=InMemoryJournal(registry=registry())) as system:
            await system.start_sharding("counter", Counter, inbox)
            at = datetime.now(UTC) + timedelta(hours=1)
            await system.entity("counter", "ada").ask(Remind("alarm", "ring", after=None, at=at))
            assert await inbox.wait_for(1, timeout=LONG) == [("ada", "ring")]

    run_in_virtual_time(backend, scenario)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_repeating_reminder_fires_until_cancelled(backend: str) -> None:
    inbox = Inbox()

    async def scenario() -> None:
        async with ActorSystem(journal=InMemoryJournal(registry=registry())) as system:
            await system.start_sharding("counter", Counter, inbox, passivate_after=5.0)
            ada = system.entity("counter", "ada")
            await ada.ask(Remind("tick", "tick", after=10.0, every=10.0))
            await inbox.wait_for(3, timeout=LONG)
            assert await ada.ask(Cancel("tick")) is True
            count = len([m for m in inbox.messages if m == ("ada", "tick")])
            await anyio.sleep(100.0)
            assert len([m for m in inbox.messages if m == ("ada", "tick")]) == count
            assert await ada.ask(Cancel("tick")) is False

    run_in_virtual_time(backend, scenario)


class Sleepy(Counter):
    """Handles the first "nap" forever: the process is still handling it when it stops."""

    async def receive(self, message: Any) -> Any:
        result = await super().receive(message)
        if message == "nap" and len(self.inbox.messages) == 1:
            await anyio.sleep_forever()
        return result


async def fire_interrupted_then_again(open_journal: Callable[[], Journal], after: float) -> None:
    """At least once: the first run stops while the entity handles the reminder; the next fires it again."""
    inbox = Inbox()
    async with ActorSystem(journal=open_journal(), shutdown_timeout=0.2) as system:
        await system.start_sharding("counter", Sleepy, inbox)
        await system.entity("counter", "ada").ask(Remind("nap", "nap", after=after))
        await inbox.wait_for(1, timeout=LONG)
    async with ActorSystem(journal=open_journal()) as system:
        region = await system.start_sharding("counter", Sleepy, inbox)
        assert await inbox.wait_for(2, timeout=LONG) == [("ada", "nap")] * 2
        while len(region.reminders):  # noqa: ASYNC110 - no event tells when the firing is stored
            await anyio.sleep(0.01)
    async with ActorSystem(journal=open_journal()) as system:
        region = await system.start_sharding("counter", Sleepy, inbox)
        assert len(region.reminders) == 0  # fired and recorded: not again


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_reminder_survives_a_restart_in_virtual_time(backend: str) -> None:
    journal = InMemoryJournal(registry=registry())
    run_in_virtual_time(backend, lambda: fire_interrupted_then_again(lambda: journal, 3600.0))


@pytest.mark.anyio
async def test_a_reminder_survives_a_restart_in_a_sqlite_file(tmp_path: Path) -> None:
    await fire_interrupted_then_again(
        lambda: SqliteJournal(tmp_path / "j.db", registry=registry()), 0.05
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_remembered_entities_come_back_when_the_region_restarts(backend: str) -> None:
    inbox = Inbox()
    journal = InMemoryJournal(registry=registry())

    async def scenario() -> None:
        async with ActorSystem(journal=journal) as system:
            await system.start_sharding(
                "counter", Counter, inbox, passivate_after=10.0, remember_entities=True
            )
            for entity_id in ["a", "b", "c"]:
                await system.entity("counter", entity_id).ask("hi")
            await anyio.sleep(30.0)  # passivated: forgotten
            await system.entity("counter", "c").ask("stop yourself")  # stopped itself: forgotten
            for entity_id in ["d", "e"]:
                await system.entity("counter", entity_id).ask("hi")
            await anyio.sleep(1.0)
        async with ActorSystem(journal=journal) as system:
            region = await system.start_sharding(
                "counter", Counter, inbox, passivate_after=10.0, remember_entities=True
            )
            assert region.active_entities == {"d", "e"}

    run_in_virtual_time(backend, scenario)


@pytest.mark.anyio
async def test_reminder_mistakes_are_refused_where_they_are_made() -> None:
    async with ActorSystem(journal=InMemoryJournal(registry=registry())) as system:
        await system.start_sharding("counter", Counter, Inbox())
        ada = system.entity("counter", "ada")
        with pytest.raises(ValueError, match=r"^after must be >= 0 seconds \(got -1\)"):
            await ada.ask(Remind("x", "m", after=-1))
        with pytest.raises(ValueError, match=r"^every must be > 0 seconds \(got 0\)"):
            await ada.ask(Remind("x", "m", after=1, every=0))
        with pytest.raises(ValueError, match=r"^a reminder name must be a non-empty string"):
            await ada.ask(Remind("", "m", after=1))
        with pytest.raises(ValueError, match=r"^remind\(\) needs exactly one of after="):
            await ada.ask(Remind("x", "m", after=1, at=datetime.now(UTC)))
        with pytest.raises(ValueError, match=r"^remind\(\) needs exactly one of after="):
            await ada.ask(Remind("x", "m", after=None))
        with pytest.raises(ValueError, match=r"^at= must be a timezone-aware datetime"):
            await ada.ask(Remind("x", "m", after=None, at=datetime(2030, 1, 1)))

        class Plain(Actor):
            async def receive(self, message: Any) -> Any:
                await self.context.remind("x", "m", after=1.0)

        with pytest.raises(TypeError, match=r"^reminders are for sharded entities, and /user/"):
            await system.spawn(Plain).ask("go")
    async with ActorSystem() as system:
        await system.start_sharding("counter", Counter, Inbox())
        with pytest.raises(ShardingError, match=r"^reminders are durable, and actor system"):
            await system.entity("counter", "ada").ask(Remind("x", "m", after=1))
