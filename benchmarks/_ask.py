"""``ask``: the host task asks one actor, and awaits each reply before the next.

The rate is replies per second. It stresses the request/response path: making
a promise, queueing the request, parking the asking task, waking the
dispatcher, handling the request, completing the promise and waking the asker:
two task switches per ask, which dominate. Timed over all the asks.
"""

from __future__ import annotations

import time
from typing import Any

import anyio

from actors import Actor, ActorRef, ActorSystem

from ._baseline import BaselineActor, BaselineRef, BaselineSystem
from ._workload import ANYACTORS, BASELINE, Sample, Target, Workload


class Incrementer(Actor):
    """Replies ``n + 1`` to ``n``."""

    def receive(self, message: Any) -> Any:
        return message + 1


class BaselineIncrementer(BaselineActor):
    """The same on the baseline."""

    def receive(self, message: Any) -> Any:
        return message + 1


async def _ask_all(ref: ActorRef | BaselineRef, n: int) -> Sample:
    await ref.ask(0)  # the actor has started
    right = 0
    started = time.perf_counter()
    for i in range(n):
        if await ref.ask(i) == i + 1:
            right += 1
    elapsed = time.perf_counter() - started
    return Sample(count=right, value=n / elapsed)


async def _anyactors(n: int) -> Sample:
    async with ActorSystem("ask") as system:
        return await _ask_all(system.spawn(Incrementer), n)


async def _baseline(n: int) -> Sample:
    async with BaselineSystem() as system:
        return await _ask_all(system.spawn(BaselineIncrementer), n)


def run_anyactors(n: int, backend: str) -> Sample:
    """Make ``n`` sequential asks of one anyactors actor."""
    return anyio.run(_anyactors, n, backend=backend)


def run_baseline(n: int, backend: str) -> Sample:
    """Make ``n`` sequential asks of one baseline actor."""
    return anyio.run(_baseline, n, backend=backend)


WORKLOAD = Workload(
    name="ask",
    summary="the host task asks one actor n times in sequence; replies/s",
    unit="ask/s",
    size=50_000,
    quick_size=5_000,
    implementations={ANYACTORS: run_anyactors, BASELINE: run_baseline},
    # From the issue: ask >= 0.6x the baseline.
    target=Target(ratio=0.6),
)
