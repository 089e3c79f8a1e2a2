"""DurableStateActor: the whole state, loaded before the first message, saved under a revision."""

from __future__ import annotations

from typing import Any

import pytest

from actors import ActorSystem, Terminated
from actors.persistence import DurableStateActor, PersistenceConflict, PersistenceError
from tests.actors.probe import Inbox, Recorder
from tests.persistence.conftest import JournalFactory
from tests.persistence.events import Total, registry

pytestmark = pytest.mark.anyio


class Counter(DurableStateActor):
    persistence_id = "counter"

    def __init__(self) -> None:
        self.state = Total(0)

    async def receive(self, message: Any) -> Any:
        match message:
            case "increment":
                await self.save(Total(self.state.total + 1, self.revision + 1))
            case "crash":
                raise RuntimeError("crash")
            case "save as is":
                await self.save()
        return (self.state, self.revision)


async def test_the_state_is_saved_and_loaded_before_the_first_message(
    journal_factory: JournalFactory,
) -> None:
    async with ActorSystem("app", journal=journal_factory(registry())) as system:
        counter = system.spawn(Counter)
        assert await counter.ask("get") == (Total(0), 0)
        assert await counter.ask("increment") == (Total(1, 1), 1)
        assert await counter.ask("increment") == (Total(2, 2), 2)
        with pytest.raises(RuntimeError):
            await counter.ask("crash")
        assert await counter.ask("get") == (Total(2, 2), 2)
    async with ActorSystem("app", journal=journal_factory(registry())) as system:
        counter = system.spawn(Counter)
        assert await counter.ask("save as is") == (Total(2, 2), 3)
        record = await system.journal.load_state("counter")
        assert (record.revision, record.state) == (3, Total(2, 2))


async def test_a_stale_writer_gets_a_conflict_keeps_its_state_and_stops(
    journal_factory: JournalFactory,
) -> None:
    async with ActorSystem("app", journal=journal_factory(registry())) as system:
        first = system.spawn(Counter, restart="permanent")
        second = system.spawn(Counter, restart="permanent")
        await first.ask("get")
        await second.ask("get")
        inbox = Inbox()
        system.spawn(_Watch, second, system.spawn(Recorder, inbox))
        await first.ask("increment")
        with pytest.raises(
            PersistenceConflict,
            match=r"^a state save of 'counter' expected 0 but the journal holds 1: another live writer",
        ):
            await second.ask("increment")
        assert await inbox.wait_for(1) == [Terminated(second)]
        assert await first.ask("increment") == (Total(2, 2), 2)


class _Watch(Counter):
    persistence_id = "watcher"

    def __init__(self, target: Any, sink: Any) -> None:
        super().__init__()
        self.sink = sink
        self.context.watch(target)

    async def receive(self, message: Any) -> Any:
        self.sink.tell(message)


async def test_spawning_without_a_journal_names_journal() -> None:
    async with ActorSystem("app") as system:
        with pytest.raises(
            PersistenceError,
            match=r"^Counter is a durable-state actor, and actor system 'app' has no journal; create it with ActorSystem\('app', journal=",
        ):
            system.spawn(Counter)
