"""Savina's two Fork-Join workloads: actor creation, and throughput over a fixed set of actors.

``fj-create``: the host spawns ``n`` actors and tells each one message as it
goes; each actor does Savina's small computation and ticks a shared latch. The
rate is actors per second, timed from the first ``spawn`` until the last
message is handled. It stresses spawning and starting an actor and its first
delivery.

``fj-throughput``: 60 actors; the host tells ``n`` messages round-robin, and
each actor does the same small computation per message. The rate is messages
per second, timed from the first ``tell`` until every actor has handled its
share. It stresses delivery into many busy mailboxes and batched turns.
"""

from __future__ import annotations

import math
import time
from typing import Any

import anyio

from ._sides import AsyncHost, Logic, SyncHost, anyactors, baseline
from ._systems import peers
from ._workload import ANYACTORS, BASELINE, PYKKA, THESPIAN, Latch, Sample, Target, Workload

HANDLED = "handled"
ACTORS = 60


def _compute(value: int) -> float:
    """Savina's per-message work in Fork-Join: a few floating-point operations."""
    return math.sin(value * 0.001) + math.cos(value * 0.002)


class Forked(Logic):
    """Handles one message, then ticks the latch."""

    def setup(self, latch: Latch) -> None:
        self.latch = latch

    def receive(self, message: Any) -> Any:
        _compute(message)
        self.latch.tick()


class Worker(Logic):
    """Handles its quota of messages, then ticks the latch; answers :data:`HANDLED`."""

    def setup(self, latch: Latch, quota: int) -> None:
        self.latch = latch
        self.quota = quota
        self.handled = 0

    def receive(self, message: Any) -> Any:
        if message is HANDLED:
            return self.handled
        _compute(message)
        self.handled += 1
        if self.handled == self.quota:
            self.latch.tick()


def _quotas(n: int) -> list[int]:
    return [n // ACTORS + (i < n % ACTORS) for i in range(ACTORS)]


async def drive_create(host: AsyncHost, n: int) -> Sample:
    """Spawn ``n`` actors, one message each."""
    done = anyio.Event()
    latch = Latch(n, done)
    spawn = host.spawn
    started = time.perf_counter()
    for i in range(n):
        spawn(Forked, latch).tell(i)
    await done.wait()
    elapsed = time.perf_counter() - started
    return Sample(count=n - latch.remaining, value=n / elapsed)


def drive_create_sync(host: SyncHost, n: int) -> Sample:
    """The same on a peer, from the calling thread."""
    done = host.signal()
    latch = host.latch(n, done)
    spawn = host.spawn
    started = time.perf_counter()
    for i in range(n):
        spawn(Forked, latch).tell(i)
    host.wait(done)
    elapsed = time.perf_counter() - started
    return Sample(count=n - latch.remaining, value=n / elapsed)


async def drive_throughput(host: AsyncHost, n: int) -> Sample:
    """Tell ``n`` messages round-robin to the workers."""
    quotas = [quota for quota in _quotas(n) if quota]
    done = anyio.Event()
    latch = Latch(len(quotas), done)
    workers = [host.spawn(Worker, latch, quota) for quota in quotas]
    for worker in workers:
        await worker.ask(HANDLED)
    tells = [worker.tell for worker in workers]
    count = len(tells)
    started = time.perf_counter()
    for i in range(n):
        tells[i % count](i)
    await done.wait()
    elapsed = time.perf_counter() - started
    handled = 0
    for worker in workers:
        handled += await worker.ask(HANDLED)
    return Sample(count=handled, value=n / elapsed)


def drive_throughput_sync(host: SyncHost, n: int) -> Sample:
    """The same on a peer, from the calling thread."""
    quotas = [quota for quota in _quotas(n) if quota]
    done = host.signal()
    latch = host.latch(len(quotas), done)
    workers = [host.spawn(Worker, latch, quota) for quota in quotas]
    for worker in workers:
        host.ask(worker, HANDLED)
    tells = [worker.tell for worker in workers]
    count = len(tells)
    started = time.perf_counter()
    for i in range(n):
        tells[i % count](i)
    host.wait(done)
    elapsed = time.perf_counter() - started
    handled = sum(host.ask(worker, HANDLED) for worker in workers)
    return Sample(count=handled, value=n / elapsed)


_TELL_TARGET = Target(ratio=0.4, backend_ratio=0.8, peers={"pykka": 10.0, "thespian": 1.0})

CREATE = Workload(
    name="fj-create",
    summary="spawn n actors and tell each one message; actors/s",
    unit="actor/s",
    size=100_000,
    quick_size=10_000,
    implementations={
        ANYACTORS: anyactors(drive_create),
        BASELINE: baseline(drive_create),
        **peers("fj_create"),
    },
    peer_size={PYKKA: 1_000, THESPIAN: 10_000},
    target=Target(ratio=0.4, peers={"pykka": 10.0, "thespian": 1.0}),
)

THROUGHPUT = Workload(
    name="fj-throughput",
    summary=f"n messages round-robin over {ACTORS} actors; messages/s",
    unit="msg/s",
    size=2_400_000,
    quick_size=240_000,
    implementations={
        ANYACTORS: anyactors(drive_throughput),
        BASELINE: baseline(drive_throughput),
        **peers("fj_throughput"),
    },
    peer_size={PYKKA: 120_000, THESPIAN: 120_000},
    target=_TELL_TARGET,
)
