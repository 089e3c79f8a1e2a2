"""What features cost, each as a ratio against the plain runtime in the same run.

``python -m benchmarks._overheads [--repeat N] [--size N] [--backend asyncio|trio|all]``

- ``timing``: ping-pong with handling-time statistics on (the default) against
  the same ping-pong with ``ActorSystem(timing=False)``; the issue's budget is
  5 % (a ratio >= 0.95).
- ``pool``: tells through a round-robin pool of 8 workers against tells to one
  actor (routing happens on the sender's side).
- ``reliable``: at-least-once delivery (envelopes, acks, dedup) against plain
  tells to one actor.

Systems are interleaved A/B within each repetition; the table shows medians
with min-max and the paired ratio per repetition.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from attrs import define, field

from actors import Actor, ActorRef, ActorSystem
from actors.reliable import (
    DedupWindow,
    Delivery,
    IdempotentReceiver,
    RetryPolicy,
    WaitUntilDelivered,
    spawn_reliable_sender,
)
from actors.routing import RoundRobin, spawn_pool
from supervision import Backoff

Scenario = Callable[[int], Awaitable[float]]


@define(eq=False)
class Countdown:
    """Counts handled messages; ``done`` is set at the target."""

    target: int
    seen: int = 0
    done: anyio.Event = field(factory=anyio.Event)

    def tick(self) -> None:
        self.seen += 1
        if self.seen == self.target:
            self.done.set()


class Sink(Actor):
    def __init__(self, countdown: Countdown) -> None:
        self.countdown = countdown

    def receive(self, message: Any) -> Any:
        self.countdown.tick()


class Player(Actor):
    """Ping-pong: returns ``(sender, remaining - 1)`` until it reaches 0."""

    def __init__(self, countdown: Countdown) -> None:
        self.countdown = countdown

    def receive(self, message: Any) -> Any:
        sender, remaining = message
        self.countdown.tick()
        if remaining:
            sender.tell((self.context.self_ref, remaining - 1))


class Receiver(IdempotentReceiver):
    def __init__(self, window: DedupWindow, countdown: Countdown) -> None:
        super().__init__(window)
        self.countdown = countdown

    def handle(self, payload: Any, delivery: Delivery) -> Any:
        self.countdown.tick()


def _pingpong(*, timing: bool) -> Scenario:
    async def run(size: int) -> float:
        async with ActorSystem(timing=timing) as system:
            countdown = Countdown(size)
            ping: ActorRef = system.spawn(Player, countdown)
            pong = system.spawn(Player, countdown)
            started = time.perf_counter()
            ping.tell((pong, size - 1))
            await countdown.done.wait()
            return size / (time.perf_counter() - started)

    return run


async def _plain_tells(size: int) -> float:
    async with ActorSystem() as system:
        countdown = Countdown(size)
        ref = system.spawn(Sink, countdown)
        started = time.perf_counter()
        for number in range(size):
            ref.tell(number)
        await countdown.done.wait()
        return size / (time.perf_counter() - started)


async def _pool_tells(size: int) -> float:
    async with ActorSystem() as system:
        countdown = Countdown(size + 1)
        pool = spawn_pool(system, Sink, countdown, size=8, routing=RoundRobin())
        await pool.ask("started?")  # from here on, routing is on the sender's side
        started = time.perf_counter()
        for number in range(size):
            pool.tell(number)
        await countdown.done.wait()
        return size / (time.perf_counter() - started)


async def _reliable_tells(size: int) -> float:
    async with ActorSystem() as system:
        countdown = Countdown(size)
        receiver = system.spawn(Receiver, DedupWindow(), countdown)
        policy = RetryPolicy(backoff=Backoff(min=5.0, max=10.0), window=1000)
        sender = spawn_reliable_sender(system, receiver, policy=policy)
        started = time.perf_counter()
        for number in range(size):
            sender.tell(number)
        await countdown.done.wait()
        await sender.ask(WaitUntilDelivered())  # every acknowledgement is back too
        return size / (time.perf_counter() - started)


#: name -> (what is measured, its baseline, the scenario, the baseline scenario)
COMPARISONS: dict[str, tuple[str, str, Scenario, Scenario]] = {
    "timing": (
        "ping-pong, timing on",
        "timing off",
        _pingpong(timing=True),
        _pingpong(timing=False),
    ),
    "pool": ("round-robin pool of 8", "plain tell", _pool_tells, _plain_tells),
    "reliable": ("reliable delivery", "plain tell", _reliable_tells, _plain_tells),
}


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} [{min(values):,.0f}-{max(values):,.0f}]"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._overheads", description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--backend", choices=["asyncio", "trio", "all"], default="all")
    parser.add_argument("--only", action="append", choices=sorted(COMPARISONS))
    options = parser.parse_args(argv)
    backends = ["asyncio", "trio"] if options.backend == "all" else [options.backend]
    names = options.only or list(COMPARISONS)
    print(
        f"median [min-max] of {options.repeat} interleaved repetitions, {options.size:,} messages"
    )
    print()
    print("| comparison | backend | feature msg/s | baseline msg/s | ratio |")
    print("|---|---|---|---|---|")
    for name in names:
        label, baseline_label, feature, baseline = COMPARISONS[name]
        for backend in backends:
            anyio.run(feature, options.size // 10, backend=backend)  # warm-up
            anyio.run(baseline, options.size // 10, backend=backend)
            rates: list[float] = []
            bases: list[float] = []
            for repetition in range(options.repeat):
                # Alternate which goes first, so an order effect cancels out.
                if repetition % 2:
                    bases.append(anyio.run(baseline, options.size, backend=backend))
                    rates.append(anyio.run(feature, options.size, backend=backend))
                else:
                    rates.append(anyio.run(feature, options.size, backend=backend))
                    bases.append(anyio.run(baseline, options.size, backend=backend))
                print(f"{name} {backend}: {rates[-1]:,.0f} vs {bases[-1]:,.0f}", file=sys.stderr)
            ratios = [rate / base for rate, base in zip(rates, bases, strict=True)]
            print(
                f"| {label} vs {baseline_label} | {backend} | {_spread(rates)} | {_spread(bases)} "
                f"| {statistics.median(ratios):.3f}x [{min(ratios):.3f}-{max(ratios):.3f}] |"
            )


if __name__ == "__main__":
    main()
