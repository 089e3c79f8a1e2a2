"""``idle-memory``: resident memory per idle actor.

Spawns ``n`` actors that take no arguments and keep no state, waits until all
have started, and reports the growth of the process's resident set size
divided by ``n``, with a full garbage collection before each reading. An idle
actor is one that has started and has nothing in its mailbox, so this is the
standing cost of an actor: cell, ref, context, instance, mailbox (if it keeps
one) and the parent's registry entry. The runner measures every sample in a
fresh interpreter so neither system inherits the other's heap.

Completion is a countdown in a class attribute rather than a constructor
argument, so that nothing per actor is measured that the actor does not need.
"""

from __future__ import annotations

import gc
import os
import resource
import sys
from typing import ClassVar

from actors import Actor, ActorSystem

from ._baseline import BaselineActor, BaselineSystem
from ._sides import Logic, SyncHost
from ._systems import peers, run_async
from ._workload import (
    ANYACTORS,
    BASELINE,
    PYKKA,
    THESPIAN,
    Countdown,
    Latch,
    Sample,
    Target,
    Workload,
)


def resident_bytes() -> int:
    """The resident set size of this process now (Linux), or its peak elsewhere."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def _settled_resident_bytes() -> int:
    gc.collect()
    return resident_bytes()


class Idle(Actor):
    """An actor with no state that only counts its own start."""

    countdown: ClassVar[Countdown]

    def on_start(self) -> None:
        Idle.countdown.tick()


class BaselineIdle(BaselineActor):
    """The same on the baseline."""

    countdown: ClassVar[Countdown]

    def on_start(self) -> None:
        BaselineIdle.countdown.tick()


async def _anyactors(n: int) -> Sample:
    async with ActorSystem("idle-memory") as system:
        Idle.countdown = Countdown(1)
        system.spawn(Idle)  # warm the paths that allocate once
        await Idle.countdown.done.wait()
        Idle.countdown = countdown = Countdown(n)
        before = _settled_resident_bytes()
        for _ in range(n):
            system.spawn(Idle)
        await countdown.done.wait()
        after = _settled_resident_bytes()
    return Sample(count=n - countdown.remaining, value=(after - before) / n)


async def _baseline(n: int) -> Sample:
    async with BaselineSystem() as system:
        BaselineIdle.countdown = Countdown(1)
        system.spawn(BaselineIdle)
        await BaselineIdle.countdown.done.wait()
        BaselineIdle.countdown = countdown = Countdown(n)
        before = _settled_resident_bytes()
        for _ in range(n):
            system.spawn(BaselineIdle)
        await countdown.done.wait()
        after = _settled_resident_bytes()
    return Sample(count=n - countdown.remaining, value=(after - before) / n)


class PeerIdle(Logic):
    """The same on a peer; counts its start on a class attribute."""

    latch: ClassVar[Latch]

    def on_running(self) -> None:
        PeerIdle.latch.tick()


def drive_sync(host: SyncHost, n: int) -> Sample:
    """Resident memory per idle actor of a peer, over ``n`` actors."""
    done = host.signal()
    PeerIdle.latch = host.latch(1, done)
    host.spawn(PeerIdle)
    host.wait(done)
    done = host.signal()
    PeerIdle.latch = latch = host.latch(n, done)
    before = _settled_resident_bytes()
    for _ in range(n):
        host.spawn(PeerIdle)
    host.wait(done)
    after = _settled_resident_bytes()
    return Sample(count=n - latch.remaining, value=(after - before) / n)


def run_anyactors(n: int, backend: str) -> Sample:
    """Bytes of resident memory per idle anyactors actor, over ``n`` actors."""
    return run_async(_anyactors, n, backend=backend)


def run_baseline(n: int, backend: str) -> Sample:
    """Bytes of resident memory per idle baseline actor, over ``n`` actors."""
    return run_async(_baseline, n, backend=backend)


WORKLOAD = Workload(
    name="idle-memory",
    summary="RSS growth per started, idle actor over n actors, in a fresh process; bytes/actor",
    unit="B/actor",
    size=100_000,
    quick_size=10_000,
    implementations={ANYACTORS: run_anyactors, BASELINE: run_baseline, **peers("idle_memory")},
    peer_size={PYKKA: 3_000, THESPIAN: 30_000},
    # From the issue: <= 1 KiB per idle actor, and 1,000,000 idle actors in one process.
    target=Target(value=1024.0),
    higher_is_better=False,
    isolated=True,
)
