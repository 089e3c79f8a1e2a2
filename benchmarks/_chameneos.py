"""``chameneos``: a broker (the mall) pairs creatures for ``n`` meetings (Savina Chameneos).

40 creatures each ask the mall for a meeting. The mall keeps one creature
waiting; when a second asks, it tells the first who its partner is; the first
computes both creatures' new colour and tells the partner, and both ask the
mall again. After ``n`` meetings the mall stops every creature that asks. The
rate is meetings per second (four messages each), timed from the first
creature's start until the last is stopped. It stresses one hot mailbox fed by
many senders: fairness and contention on a broker.
"""

from __future__ import annotations

import time
from typing import Any

import anyio

from ._sides import AsyncHost, Logic, SyncHost, anyactors, baseline
from ._systems import peers
from ._workload import ANYACTORS, BASELINE, PYKKA, THESPIAN, Sample, Workload

CREATURES = 40
START = "start"
STOP = "stop"
MEETINGS = "meetings"
CHANGE = "change"


def complement(mine: int, other: int) -> int:
    """The colour two creatures of colours ``mine`` and ``other`` both take (0, 1 or 2)."""
    return mine if mine == other else 3 - mine - other


class Mall(Logic):
    """Pairs creatures until ``meetings`` have happened, then stops each creature that asks."""

    def setup(self, meetings: int, creatures: int, done: Any) -> None:
        self.remaining = meetings
        self.running = creatures
        self.done = done
        self.waiting: tuple[Any, int] | None = None

    def receive(self, message: Any) -> Any:
        creature, colour = message
        if not self.remaining:
            creature.tell(STOP)
            self.running -= 1
            if not self.running:
                self.done.set()
        elif self.waiting is None:
            self.waiting = message
        else:
            self.remaining -= 1
            first, _ = self.waiting
            self.waiting = None
            first.tell((creature, colour))


class Creature(Logic):
    """Asks the mall for meetings; counts the meetings it takes part in."""

    def setup(self, mall: Any, colour: int) -> None:
        self.mall = mall
        self.colour = colour
        self.meetings = 0

    def receive(self, message: Any) -> Any:
        if type(message) is tuple:
            partner, colour = message
            if partner is CHANGE:  # the first creature of the pair chose our new colour
                self.colour = colour
            else:
                self.colour = complement(self.colour, colour)
                partner.tell((CHANGE, self.colour))
            self.meetings += 1
            self.mall.tell((self.me, self.colour))
        elif message is START:
            self.mall.tell((self.me, self.colour))
        elif message is MEETINGS:
            return self.meetings
        # STOP: nothing more to do; the creature stays idle.


async def drive(host: AsyncHost, n: int) -> Sample:
    """Hold ``n`` meetings among the creatures."""
    done = anyio.Event()
    mall = host.spawn(Mall, n, CREATURES, done)
    creatures = [host.spawn(Creature, mall, i % 3) for i in range(CREATURES)]
    for creature in creatures:
        await creature.ask(MEETINGS)
    started = time.perf_counter()
    for creature in creatures:
        creature.tell(START)
    await done.wait()
    elapsed = time.perf_counter() - started
    meetings = 0
    for creature in creatures:
        meetings += await creature.ask(MEETINGS)
    return Sample(count=meetings // 2, value=n / elapsed)


def drive_sync(host: SyncHost, n: int) -> Sample:
    """The same on a peer, from the calling thread."""
    done = host.signal()
    mall = host.spawn(Mall, n, CREATURES, done)
    creatures = [host.spawn(Creature, mall, i % 3) for i in range(CREATURES)]
    for creature in creatures:
        host.ask(creature, MEETINGS)
    started = time.perf_counter()
    for creature in creatures:
        creature.tell(START)
    host.wait(done)
    elapsed = time.perf_counter() - started
    meetings = sum(host.ask(creature, MEETINGS) for creature in creatures)
    return Sample(count=meetings // 2, value=n / elapsed)


WORKLOAD = Workload(
    name="chameneos",
    summary=f"a mall pairs {CREATURES} creatures for n meetings; meetings/s",
    unit="meet/s",
    size=100_000,
    quick_size=10_000,
    implementations={ANYACTORS: anyactors(drive), BASELINE: baseline(drive), **peers("chameneos")},
    peer_size={PYKKA: 10_000, THESPIAN: 20_000},
)
