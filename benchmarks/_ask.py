"""``ask``: the host task asks one actor, and awaits each reply before the next.

The rate is replies per second. It stresses the request/response path: making
a promise, queueing the request, parking the asking task, waking the
dispatcher, handling the request, completing the promise and waking the asker:
two task switches per ask, which dominate. Timed over all the asks.
"""

from __future__ import annotations

import time
from typing import Any

from ._sides import AsyncHost, Logic, SyncHost, anyactors, baseline
from ._systems import peers
from ._workload import ANYACTORS, BASELINE, PYKKA, THESPIAN, Sample, Target, Workload


class Incrementer(Logic):
    """Replies ``n + 1`` to ``n``."""

    def receive(self, message: Any) -> Any:
        return message + 1


async def drive(host: AsyncHost, n: int) -> Sample:
    """Ask one actor ``n`` times in sequence."""
    ref = host.spawn(Incrementer)
    await ref.ask(0)  # the actor has started
    right = 0
    started = time.perf_counter()
    for i in range(n):
        if await ref.ask(i) == i + 1:
            right += 1
    elapsed = time.perf_counter() - started
    return Sample(count=right, value=n / elapsed)


def drive_sync(host: SyncHost, n: int) -> Sample:
    """The same on a peer, from the calling thread."""
    ref = host.spawn(Incrementer)
    host.ask(ref, 0)
    right = 0
    started = time.perf_counter()
    for i in range(n):
        if host.ask(ref, i) == i + 1:
            right += 1
    elapsed = time.perf_counter() - started
    return Sample(count=right, value=n / elapsed)


WORKLOAD = Workload(
    name="ask",
    summary="the host asks one actor n times in sequence; replies/s",
    unit="ask/s",
    size=50_000,
    quick_size=5_000,
    implementations={ANYACTORS: anyactors(drive), BASELINE: baseline(drive), **peers("ask")},
    peer_size={PYKKA: 10_000, THESPIAN: 20_000},
    target=Target(ratio=0.6),
)
