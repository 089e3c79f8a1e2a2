"""Actors whose handlers suspend: the worker task keeps the actor, and burst tasks go away."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
import pytest

from actors import Actor, ActorSystem
from actors._scheduler import MAX_PARKED_WORKERS

pytestmark = pytest.mark.anyio


class Suspender(Actor):
    """Suspends in every handler (as a persist does), recording the order of its messages."""

    def __init__(self, gate: anyio.Event, seen: list[int], arrived: Any) -> None:
        self.gate = gate
        self.seen = seen
        self.arrived = arrived

    async def receive(self, message: Any) -> Any:
        if message == "ping":
            return "pong"
        self.arrived()
        await self.gate.wait()
        await anyio.lowlevel.checkpoint()  # suspends again, after the gate is open
        self.seen.append(message)


def _dispatchers() -> int:
    return sum(task.name == "anyactors dispatcher" for task in anyio.get_running_tasks())


async def test_suspending_handlers_keep_each_actors_order_and_lose_nothing() -> None:
    gate = anyio.Event()
    gate.set()
    count = 50
    async with ActorSystem("workers") as system:
        seen: list[list[int]] = [[] for _ in range(20)]
        refs = [system.spawn(Suspender, gate, seen[i], lambda: None) for i in range(20)]
        for number in range(count):
            for ref in refs:
                ref.tell(number)
        for ref in refs:
            await ref.ask("ping")
        # Every actor kept its own order; nothing was lost or doubled.
        assert seen == [list(range(count))] * 20
        assert system.statistics().suspended_handlers == 0


async def test_a_burst_of_suspended_handlers_leaves_few_tasks_behind() -> None:
    burst = 4 * MAX_PARKED_WORKERS
    gate = anyio.Event()
    all_in = anyio.Event()
    arrived = 0

    def arrive() -> None:
        nonlocal arrived
        arrived += 1
        if arrived == burst:
            all_in.set()

    async with ActorSystem("workers") as system:
        seen: list[int] = []
        refs = [system.spawn(Suspender, gate, seen, arrive) for _ in range(burst)]
        for number, ref in enumerate(refs):
            ref.tell(number)
        await all_in.wait()
        # One task per suspended handler, plus the dispatcher.
        assert system.statistics().suspended_handlers == burst
        assert _dispatchers() >= burst
        gate.set()
        for ref in refs:
            assert await ref.ask("ping") == "pong"
        assert sorted(seen) == list(range(burst))
        # Once the run queue runs dry, the workers beyond the parked minimum exit.
        for _ in range(100):
            if _dispatchers() <= MAX_PARKED_WORKERS + 1:
                break
            await anyio.lowlevel.checkpoint()
        assert _dispatchers() <= MAX_PARKED_WORKERS + 1
