"""``pingpong``: two actors tell each other a message until a count runs out (Savina PingPong).

Each message carries the sender's ref and the number of messages still to go.
The rate is messages handled per second. It stresses the per-message path and
nothing else: ``tell`` (append to a mailbox and queue the idle receiver), one
scheduler turn per message (the receiver's mailbox holds one message at a
time), the handler call. Timed from the first ``tell`` until the last message
is handled.
"""

from __future__ import annotations

import time
from typing import Any

import anyio

from ._sides import AsyncHost, Logic, SyncHost, anyactors, baseline
from ._systems import peers
from ._workload import ANYACTORS, BASELINE, Sample, Target, Workload

#: Asked of a player after the run: how many messages it handled.
HANDLED = "handled"


class Player(Logic):
    """Answers every ``(sender, remaining)`` by telling ``sender`` one fewer."""

    def setup(self, done: Any) -> None:
        self.done = done
        self.handled = 0

    def receive(self, message: Any) -> Any:
        if message is HANDLED:
            return self.handled
        sender, remaining = message
        self.handled += 1
        if remaining:
            sender.tell((self.me, remaining - 1))
        else:
            self.done.set()


async def drive(host: AsyncHost, n: int) -> Sample:
    """Rally ``n`` messages between two players of an event-loop system."""
    done = anyio.Event()
    ping, pong = host.spawn(Player, done), host.spawn(Player, done)
    await ping.ask(HANDLED)  # both players have started
    await pong.ask(HANDLED)
    started = time.perf_counter()
    ping.tell((pong, n - 1))
    await done.wait()
    elapsed = time.perf_counter() - started
    count = await ping.ask(HANDLED) + await pong.ask(HANDLED)
    return Sample(count=count, value=n / elapsed)


def drive_sync(host: SyncHost, n: int) -> Sample:
    """The same on a peer, from the calling thread."""
    done = host.signal()
    ping, pong = host.spawn(Player, done), host.spawn(Player, done)
    host.ask(ping, HANDLED)
    host.ask(pong, HANDLED)
    started = time.perf_counter()
    ping.tell((pong, n - 1))
    host.wait(done)
    elapsed = time.perf_counter() - started
    count = host.ask(ping, HANDLED) + host.ask(pong, HANDLED)
    return Sample(count=count, value=n / elapsed)


WORKLOAD = Workload(
    name="pingpong",
    summary="two actors tell each other (sender, n) until n runs out; messages/s",
    unit="msg/s",
    size=100_000,
    quick_size=10_000,
    implementations={ANYACTORS: anyactors(drive), BASELINE: baseline(drive), **peers("pingpong")},
    target=Target(ratio=0.4, backend_ratio=0.8, peers={"pykka": 10.0, "thespian": 1.0}),
)
