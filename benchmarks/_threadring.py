"""``threadring``: a token hops around a ring of actors until its count ends (Savina ThreadRing).

1,000 actors, each linked to the next; the token is the number of hops still
to go. The rate is hops per second, timed from the first ``tell`` of the token
until the last hop. Like ping-pong it is one message in flight, so one
scheduler turn per message, but over many actors: it stresses the run queue and
the cache footprint of each actor's state.
"""

from __future__ import annotations

import time
from typing import Any

import anyio

from ._sides import AsyncHost, Logic, SyncHost, anyactors, baseline
from ._systems import peers
from ._workload import ANYACTORS, BASELINE, PYKKA, THESPIAN, Sample, Target, Workload

HANDLED = "handled"
RING = 1_000


class Link:
    """Tells a ring member who comes next."""

    __slots__ = ("next",)

    def __init__(self, next_ref: Any) -> None:
        self.next = next_ref


class Member(Logic):
    """Passes the token on to the next member with one hop fewer, or sets ``done`` at zero."""

    def setup(self, done: Any) -> None:
        self.done = done
        self.handled = 0
        self.next: Any = None

    def receive(self, message: Any) -> Any:
        if type(message) is int:
            self.handled += 1
            if message:
                self.next.tell(message - 1)
            else:
                self.done.set()
        elif message is HANDLED:
            return self.handled
        else:
            self.next = message.next


def _ring(spawn: Any, done: Any, size: int) -> list[Any]:
    members = [spawn(Member, done) for _ in range(size)]
    for member, successor in zip(members, members[1:] + members[:1], strict=True):
        member.tell(Link(successor))
    return members


async def drive(host: AsyncHost, n: int) -> Sample:
    """Pass a token ``n`` hops around the ring."""
    done = anyio.Event()
    members = _ring(host.spawn, done, min(RING, n))
    for member in members:
        await member.ask(HANDLED)  # started and linked
    started = time.perf_counter()
    members[0].tell(n - 1)
    await done.wait()
    elapsed = time.perf_counter() - started
    count = 0
    for member in members:
        count += await member.ask(HANDLED)
    return Sample(count=count, value=n / elapsed)


def drive_sync(host: SyncHost, n: int) -> Sample:
    """The same on a peer, from the calling thread."""
    done = host.signal()
    members = _ring(host.spawn, done, min(RING, n))
    for member in members:
        host.ask(member, HANDLED)
    started = time.perf_counter()
    members[0].tell(n - 1)
    host.wait(done)
    elapsed = time.perf_counter() - started
    count = sum(host.ask(member, HANDLED) for member in members)
    return Sample(count=count, value=n / elapsed)


WORKLOAD = Workload(
    name="threadring",
    summary=f"a token hops n times around a ring of {RING:,} actors; hops/s",
    unit="msg/s",
    size=100_000,
    quick_size=10_000,
    implementations={ANYACTORS: anyactors(drive), BASELINE: baseline(drive), **peers("threadring")},
    peer_size={PYKKA: 20_000, THESPIAN: 50_000},
    target=Target(ratio=0.4, backend_ratio=0.8, peers={"pykka": 10.0, "thespian": 1.0}),
)
