"""``idle-memory`` and ``idle-memory-used``: resident memory per idle actor.

``idle-memory`` spawns ``n`` actors that take no arguments and keep no state,
waits until all have started, and reports the growth of the process's resident
set size divided by ``n``, with a full garbage collection before each reading.
An idle actor is one that has started and has nothing in its mailbox, so this
is the standing cost of an actor: cell, ref, context, instance, mailbox (if it
keeps one) and the parent's registry entry.

``idle-memory-used`` is the same after real use: once all have started, the
host tells each actor one message (all ``n`` tells before it yields, so every
actor has a message waiting at once), waits until all are handled, and only
then takes the second reading. Whatever a runtime creates on first delivery
and keeps (a mailbox queue, statistics, a bound method), and whatever memory
the peak of ``n`` waiting messages leaves the process holding, shows here.

The runner measures every sample in a fresh interpreter so neither system
inherits the other's heap.

Completion is a countdown in a class attribute rather than a constructor
argument, so that nothing per actor is measured that the actor does not need.
"""

from __future__ import annotations

import gc
import os
import resource
import sys
from functools import partial
from typing import Any, ClassVar

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
    """An actor with no state that counts its own start and each message."""

    countdown: ClassVar[Countdown]

    def on_start(self) -> None:
        Idle.countdown.tick()

    def receive(self, message: object) -> None:
        Idle.countdown.tick()


class BaselineIdle(BaselineActor):
    """The same on the baseline."""

    countdown: ClassVar[Countdown]

    def on_start(self) -> None:
        BaselineIdle.countdown.tick()

    def receive(self, message: object) -> None:
        BaselineIdle.countdown.tick()


async def _measure(system: Any, idle: Any, n: int, *, used: bool) -> Sample:
    # Warm the paths that allocate once: a spawn, and a message if used.
    idle.countdown = Countdown(2 if used else 1)
    ref = system.spawn(idle)
    if used:
        ref.tell(None)
    await idle.countdown.done.wait()
    idle.countdown = countdown = Countdown(n)
    before = _settled_resident_bytes()
    # Kept only while telling: the actors themselves are kept by the system.
    refs: list[Any] | None = [] if used else None
    for _ in range(n):
        ref = system.spawn(idle)
        if refs is not None:
            refs.append(ref)
    await countdown.done.wait()
    handled = n
    if refs is not None:
        idle.countdown = countdown = Countdown(n)
        for ref in refs:
            ref.tell(None)
        refs = None
        await countdown.done.wait()
        handled = n - countdown.remaining
    after = _settled_resident_bytes()
    return Sample(count=handled, value=(after - before) / n)


async def _anyactors(n: int, *, used: bool = False) -> Sample:
    async with ActorSystem("idle-memory") as system:
        return await _measure(system, Idle, n, used=used)


async def _baseline(n: int, *, used: bool = False) -> Sample:
    async with BaselineSystem() as system:
        return await _measure(system, BaselineIdle, n, used=used)


class PeerIdle(Logic):
    """The same on a peer; counts its start on a class attribute."""

    latch: ClassVar[Latch]

    def on_running(self) -> None:
        PeerIdle.latch.tick()

    def receive(self, message: Any) -> Any:
        PeerIdle.latch.tick()


def _drive_sync(host: SyncHost, n: int, *, used: bool) -> Sample:
    done = host.signal()
    PeerIdle.latch = host.latch(2 if used else 1, done)
    ref = host.spawn(PeerIdle)
    if used:
        ref.tell(None)
    host.wait(done)
    done = host.signal()
    PeerIdle.latch = latch = host.latch(n, done)
    before = _settled_resident_bytes()
    refs: list[Any] | None = [] if used else None
    for _ in range(n):
        ref = host.spawn(PeerIdle)
        if refs is not None:
            refs.append(ref)
    host.wait(done)
    if refs is not None:
        done = host.signal()
        PeerIdle.latch = latch = host.latch(n, done)
        for ref in refs:
            ref.tell(None)
        refs = None
        host.wait(done)
    after = _settled_resident_bytes()
    return Sample(count=n - latch.remaining, value=(after - before) / n)


def drive_sync(host: SyncHost, n: int) -> Sample:
    """Resident memory per idle actor of a peer, over ``n`` actors."""
    return _drive_sync(host, n, used=False)


def drive_used_sync(host: SyncHost, n: int) -> Sample:
    """Resident memory per idle actor of a peer after one message each, over ``n`` actors."""
    return _drive_sync(host, n, used=True)


def run_anyactors(n: int, backend: str) -> Sample:
    """Bytes of resident memory per idle anyactors actor, over ``n`` actors."""
    return run_async(_anyactors, n, backend=backend)


def run_baseline(n: int, backend: str) -> Sample:
    """Bytes of resident memory per idle baseline actor, over ``n`` actors."""
    return run_async(_baseline, n, backend=backend)


def run_anyactors_used(n: int, backend: str) -> Sample:
    """As :func:`run_anyactors`, after each actor handled one message."""
    return run_async(partial(_anyactors, used=True), n, backend=backend)


def run_baseline_used(n: int, backend: str) -> Sample:
    """As :func:`run_baseline`, after each actor handled one message."""
    return run_async(partial(_baseline, used=True), n, backend=backend)


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

USED = Workload(
    name="idle-memory-used",
    summary=(
        "RSS growth per idle actor over n actors after each was told one message "
        "and handled it, in a fresh process; bytes/actor"
    ),
    unit="B/actor",
    size=200_000,
    quick_size=20_000,
    implementations={
        ANYACTORS: run_anyactors_used,
        BASELINE: run_baseline_used,
        **peers("idle_memory_used"),
    },
    peer_size={PYKKA: 3_000, THESPIAN: 30_000},
    # From issue 16: <= 512 bytes per actor after real use (one message each).
    target=Target(value=512.0),
    higher_is_better=False,
    isolated=True,
)
