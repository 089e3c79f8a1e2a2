"""``counting``: the host tells one counter ``n`` times, then asks for the total (Savina Counting).

The rate is messages per second, timed from the first ``tell`` until the
answer to the ``ask``. It stresses the mailbox under a burst (``n`` messages
queued before the counter runs) and the dispatcher's batched turns: one actor,
many messages a turn, so per-turn costs vanish and the per-message cost shows.
"""

from __future__ import annotations

import time
from typing import Any

from ._sides import AsyncHost, Logic, SyncHost, anyactors, baseline
from ._systems import peers
from ._workload import ANYACTORS, BASELINE, PYKKA, THESPIAN, Sample, Target, Workload

TOTAL = "total"
INCREMENT = 1


class Counter(Logic):
    """Counts every message; answers :data:`TOTAL` with the count."""

    def setup(self) -> None:
        self.count = 0

    def receive(self, message: Any) -> Any:
        if message is TOTAL:
            return self.count
        self.count += 1


async def drive(host: AsyncHost, n: int) -> Sample:
    """Tell ``n`` increments, then ask the total."""
    counter = host.spawn(Counter)
    await counter.ask(TOTAL)
    tell = counter.tell
    started = time.perf_counter()
    for _ in range(n):
        tell(INCREMENT)
    count = await counter.ask(TOTAL)
    return Sample(count=count, value=n / (time.perf_counter() - started))


def drive_sync(host: SyncHost, n: int) -> Sample:
    """The same on a peer, from the calling thread."""
    counter = host.spawn(Counter)
    host.ask(counter, TOTAL)
    tell = counter.tell
    started = time.perf_counter()
    for _ in range(n):
        tell(INCREMENT)
    count = host.ask(counter, TOTAL)
    return Sample(count=count, value=n / (time.perf_counter() - started))


WORKLOAD = Workload(
    name="counting",
    summary="n tells to one counter, then one ask for the total; messages/s",
    unit="msg/s",
    size=1_000_000,
    quick_size=100_000,
    implementations={ANYACTORS: anyactors(drive), BASELINE: baseline(drive), **peers("counting")},
    peer_size={PYKKA: 100_000, THESPIAN: 100_000},
    target=Target(ratio=0.4, backend_ratio=0.8, peers={"pykka": 10.0, "thespian": 1.0}),
)
