"""``big``: 200 actors each ping random neighbours, one at a time, and wait for pongs (Savina Big).

Each actor sends a ping to a neighbour chosen at random (a fixed sequence per
actor, drawn before timing), waits for the pong, and sends the next, until it
has its quota; then it ticks a latch. ``n`` is the number of pings in all; the
rate is messages (pings and pongs) per second, timed from the start signal
until the last actor is done. It stresses many-to-many delivery: up to 200
messages in flight over 200 mailboxes, short turns, a busy run queue.
"""

from __future__ import annotations

import random
import time
from typing import Any

import anyio

from ._sides import AsyncHost, Logic, SyncHost, anyactors, baseline
from ._systems import peers
from ._workload import ANYACTORS, BASELINE, PYKKA, THESPIAN, Latch, Sample, Target, Workload

ACTORS = 200
START = "start"
PONG = "pong"
PONGS = "pongs"


class Neighbours:
    """Tells an actor who its neighbours are (every actor, itself included)."""

    __slots__ = ("refs",)

    def __init__(self, refs: list[Any]) -> None:
        self.refs = refs


class Pinger(Logic):
    """Pings ``quota`` random neighbours in turn; answers every ping with :data:`PONG`."""

    def setup(self, index: int, quota: int, latch: Latch) -> None:
        self.latch = latch
        self.pongs = 0
        rng = random.Random(index)
        self.targets = [rng.randrange(ACTORS) for _ in range(quota)]
        self.neighbours: list[Any] = []

    def receive(self, message: Any) -> Any:
        if message is PONG:
            self.pongs += 1
            self._ping()
        elif type(message) is tuple:
            message[1].tell(PONG)
        elif message is START:
            self._ping()
        elif message is PONGS:
            return self.pongs
        else:
            self.neighbours = message.refs

    def _ping(self) -> None:
        if self.pongs < len(self.targets):
            self.neighbours[self.targets[self.pongs]].tell(("ping", self.me))
        else:
            self.latch.tick()


def _quotas(n: int) -> list[int]:
    return [n // ACTORS + (i < n % ACTORS) for i in range(ACTORS)]


def _spawn_all(spawn: Any, n: int, latch: Latch) -> list[Any]:
    actors = [spawn(Pinger, i, quota, latch) for i, quota in enumerate(_quotas(n))]
    neighbours = Neighbours(actors)
    for actor in actors:
        actor.tell(neighbours)
    return actors


async def drive(host: AsyncHost, n: int) -> Sample:
    """Run ``n`` ping/pong exchanges among the actors."""
    done = anyio.Event()
    latch = Latch(ACTORS, done)
    actors = _spawn_all(host.spawn, n, latch)
    for actor in actors:
        await actor.ask(PONGS)
    started = time.perf_counter()
    for actor in actors:
        actor.tell(START)
    await done.wait()
    elapsed = time.perf_counter() - started
    count = 0
    for actor in actors:
        count += await actor.ask(PONGS)
    return Sample(count=count, value=2 * n / elapsed)


def drive_sync(host: SyncHost, n: int) -> Sample:
    """The same on a peer, from the calling thread."""
    done = host.signal()
    latch = host.latch(ACTORS, done)
    actors = _spawn_all(host.spawn, n, latch)
    for actor in actors:
        host.ask(actor, PONGS)
    started = time.perf_counter()
    for actor in actors:
        actor.tell(START)
    host.wait(done)
    elapsed = time.perf_counter() - started
    count = sum(host.ask(actor, PONGS) for actor in actors)
    return Sample(count=count, value=2 * n / elapsed)


WORKLOAD = Workload(
    name="big",
    summary=f"{ACTORS} actors ping random neighbours and wait for pongs; n pings; msg/s",
    unit="msg/s",
    size=200_000,
    quick_size=20_000,
    implementations={ANYACTORS: anyactors(drive), BASELINE: baseline(drive), **peers("big")},
    peer_size={PYKKA: 20_000, THESPIAN: 40_000},
    target=Target(ratio=0.4, backend_ratio=0.8, peers={"pykka": 10.0, "thespian": 1.0}),
)
