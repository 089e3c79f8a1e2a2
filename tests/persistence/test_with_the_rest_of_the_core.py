"""Persistent actors are actors: in pools, with timers and the stash, across system restarts."""

from __future__ import annotations

from typing import Any

import pytest

from actors import ActorSystem
from actors.persistence import EventSourcedActor, InMemoryJournal
from actors.routing import RoundRobin, spawn_pool
from tests.persistence.events import Added, registry

pytestmark = pytest.mark.anyio


class Worker(EventSourcedActor):
    def __init__(self) -> None:
        self.total = 0

    def apply(self, event: Any) -> None:
        self.total += event.amount

    async def receive(self, message: Any) -> Any:
        await self.persist(Added(message))
        return (self.context.self_ref.name, self.total)


async def test_pool_workers_keep_their_state_across_a_new_system() -> None:
    journal = InMemoryJournal(registry=registry())
    async with ActorSystem("app", journal=journal) as system:
        pool = spawn_pool(system, Worker, size=2, routing=RoundRobin(), name="pool")
        assert [await pool.ask(n) for n in (1, 2, 3, 4)] == [
            ("w0", 1),
            ("w1", 2),
            ("w0", 4),
            ("w1", 6),
        ]
    async with ActorSystem("app", journal=journal) as system:
        pool = spawn_pool(system, Worker, size=2, routing=RoundRobin(), name="pool")
        assert [await pool.ask(0) for _ in range(2)] == [("w0", 4), ("w1", 6)]


class Batcher(EventSourcedActor):
    """Stashes amounts until its timer fires, then persists them all in one go."""

    def __init__(self) -> None:
        self.total = 0
        self.open = False

    def apply(self, event: Any) -> None:
        self.total += event.amount

    def on_recovered(self) -> None:
        self.context.schedule_once(0.01, "open")

    async def receive(self, message: Any) -> Any:
        if message == "open":
            self.open = True
            self.context.unstash_all()
        elif message == "total":
            if not self.open:
                self.context.stash()
                return None
            return self.total
        elif not self.open:
            self.context.stash()
        else:
            await self.persist(Added(message))
        return None


async def test_timers_and_the_stash_work_in_a_persistent_actor() -> None:
    journal = InMemoryJournal(registry=registry())
    async with ActorSystem("app", journal=journal) as system:
        batcher = system.spawn(Batcher, name="batcher")
        for amount in (1, 2, 3):
            batcher.tell(amount)
        assert await batcher.ask("total") == 6
    async with ActorSystem("app", journal=journal) as system:
        assert await system.spawn(Batcher, name="batcher").ask("total") == 6
