"""``spawn``: spawn many actors and wait until every one has run ``on_start``.

The rate is actors started per second, timed from the first ``spawn`` call to
the last ``on_start``. Each actor gets one constructor argument (a shared
countdown) and ticks it in ``on_start``: no message is sent, so this measures
spawning (validation, naming, the cell, the ref, registration with the parent)
and starting (a scheduler turn, building the instance, the hook) and nothing
of the mail path. Shutting the actors down afterwards is not timed.
"""

from __future__ import annotations

import time

from actors import Actor, ActorSystem

from ._baseline import BaselineActor, BaselineSystem
from ._sides import Logic, SyncHost
from ._systems import peers, run_async
from ._workload import ANYACTORS, BASELINE, PYKKA, THESPIAN, Countdown, Latch, Sample, Workload


class Starter(Actor):
    """Ticks a countdown when it starts; handles no messages."""

    def __init__(self, countdown: Countdown) -> None:
        self.countdown = countdown

    def on_start(self) -> None:
        self.countdown.tick()


class BaselineStarter(BaselineActor):
    """The same on the baseline."""

    def __init__(self, countdown: Countdown) -> None:
        self.countdown = countdown

    def on_start(self) -> None:
        self.countdown.tick()


async def _anyactors(n: int) -> Sample:
    async with ActorSystem("spawn") as system:
        countdown = Countdown(n)
        started = time.perf_counter()
        for _ in range(n):
            system.spawn(Starter, countdown)
        await countdown.done.wait()
        elapsed = time.perf_counter() - started
    return Sample(count=n - countdown.remaining, value=n / elapsed)


async def _baseline(n: int) -> Sample:
    async with BaselineSystem() as system:
        countdown = Countdown(n)
        started = time.perf_counter()
        for _ in range(n):
            system.spawn(BaselineStarter, countdown)
        await countdown.done.wait()
        elapsed = time.perf_counter() - started
    return Sample(count=n - countdown.remaining, value=n / elapsed)


class PeerStarter(Logic):
    """The same on a peer: ticks once the actor runs (Pykka's ``on_start``, Thespian's setup)."""

    def setup(self, latch: Latch) -> None:
        self.latch = latch

    def on_running(self) -> None:
        self.latch.tick()


def drive_sync(host: SyncHost, n: int) -> Sample:
    """Spawn and start ``n`` actors of a peer, from the calling thread."""
    done = host.signal()
    latch = host.latch(n, done)
    started = time.perf_counter()
    for _ in range(n):
        host.spawn(PeerStarter, latch)
    host.wait(done)
    elapsed = time.perf_counter() - started
    return Sample(count=n - latch.remaining, value=n / elapsed)


def run_anyactors(n: int, backend: str) -> Sample:
    """Spawn and start ``n`` anyactors actors."""
    return run_async(_anyactors, n, backend=backend)


def run_baseline(n: int, backend: str) -> Sample:
    """Spawn and start ``n`` baseline actors."""
    return run_async(_baseline, n, backend=backend)


WORKLOAD = Workload(
    name="spawn",
    summary="spawn n actors, each ticking a countdown in on_start; actors started/s",
    unit="actor/s",
    size=100_000,
    quick_size=10_000,
    implementations={ANYACTORS: run_anyactors, BASELINE: run_baseline, **peers("spawn")},
    peer_size={PYKKA: 1_000, THESPIAN: 10_000},
)
