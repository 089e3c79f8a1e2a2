"""``pingpong``: two actors tell each other a message until a count runs out.

Each message carries the sender's ref and the number of messages still to go,
as Savina's PingPong does. The rate is messages handled per second. It stresses
the per-message path and nothing else: ``tell`` (append to a mailbox and
queue the idle receiver), one scheduler turn per message (the receiver's
mailbox holds one message at a time), the handler call, and reading one's own
ref. Timed from the first ``tell`` until the last message is handled.
"""

from __future__ import annotations

import time
from typing import Any

import anyio

from actors import Actor, ActorRef, ActorSystem

from ._baseline import BaselineActor, BaselineRef, BaselineSystem
from ._workload import ANYACTORS, BASELINE, Sample, Target, Workload

#: Asked of a player after the run: how many messages it handled.
HANDLED = "handled"


class Player(Actor):
    """Answers every ``(sender, remaining)`` by telling ``sender`` one fewer."""

    def __init__(self, done: anyio.Event) -> None:
        self.done = done
        self.handled = 0

    def receive(self, message: Any) -> Any:
        if message is HANDLED:
            return self.handled
        sender, remaining = message
        self.handled += 1
        if remaining:
            sender.tell((self.context.self_ref, remaining - 1))
        else:
            self.done.set()


class BaselinePlayer(BaselineActor):
    """The same player on the baseline."""

    def __init__(self, done: anyio.Event) -> None:
        self.done = done
        self.handled = 0

    def receive(self, message: Any) -> Any:
        if message is HANDLED:
            return self.handled
        sender, remaining = message
        self.handled += 1
        if remaining:
            sender.tell((self.self_ref, remaining - 1))
        else:
            self.done.set()


async def _rally(
    ping: ActorRef | BaselineRef, pong: ActorRef | BaselineRef, done: anyio.Event, n: int
) -> Sample:
    await ping.ask(HANDLED)  # both players have started
    await pong.ask(HANDLED)
    started = time.perf_counter()
    ping.tell((pong, n - 1))
    await done.wait()
    elapsed = time.perf_counter() - started
    count = await ping.ask(HANDLED) + await pong.ask(HANDLED)
    return Sample(count=count, value=n / elapsed)


async def _anyactors(n: int) -> Sample:
    async with ActorSystem("pingpong") as system:
        done = anyio.Event()
        return await _rally(system.spawn(Player, done), system.spawn(Player, done), done, n)


async def _baseline(n: int) -> Sample:
    async with BaselineSystem() as system:
        done = anyio.Event()
        return await _rally(
            system.spawn(BaselinePlayer, done), system.spawn(BaselinePlayer, done), done, n
        )


def run_anyactors(n: int, backend: str) -> Sample:
    """Play ``n`` messages between two anyactors actors."""
    return anyio.run(_anyactors, n, backend=backend)


def run_baseline(n: int, backend: str) -> Sample:
    """Play ``n`` messages between two baseline actors."""
    return anyio.run(_baseline, n, backend=backend)


WORKLOAD = Workload(
    name="pingpong",
    summary="two actors tell each other (sender, n) until n runs out; messages/s",
    unit="msg/s",
    size=100_000,
    quick_size=10_000,
    implementations={ANYACTORS: run_anyactors, BASELINE: run_baseline},
    # From the issue: ping-pong >= 0.4x the baseline.
    target=Target(ratio=0.4),
)
