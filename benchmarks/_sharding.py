"""``python -m benchmarks._sharding``: local sharding against plain refs, in one run.

Two workloads, measured interleaved repetition by repetition in one process
(issue 12's local targets):

- ``tell``: 200,000 ``tell`` to one entity through its ``EntityRef``, against
  the same number to a plain actor of the same class through its ``ActorRef``
  (target >= 0.5x); the clock stops when the last message is handled.
- ``activations``: one message to each of 20,000 new ids, each activating an
  entity, against spawning 20,000 plain actors and telling each one message
  (reported as activations per second and as a ratio).

Usage::

    python -m benchmarks._sharding [--repeat N] [--quick] [--backend asyncio|trio]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

import anyio

from actors import Actor, ActorRef, ActorSystem


class Sink(Actor):
    """Counts messages; sets ``done`` when ``expected`` have arrived."""

    def __init__(self, entity_id: str, done: anyio.Event, expected: list[int]) -> None:
        self.done = done
        self.expected = expected

    def receive(self, message: Any) -> None:
        self.expected[0] -= 1
        if self.expected[0] == 0:
            self.done.set()


async def tells(count: int, *, sharded: bool) -> float:
    """Messages per second to one actor, through an ``EntityRef`` or a plain ``ActorRef``."""
    done, expected = anyio.Event(), [count]
    async with ActorSystem(timing=False) as system:
        ref: ActorRef
        if sharded:
            await system.start_sharding("sink", Sink, done, expected, passivate_after=None)
            ref = system.entity("sink", "one")
        else:
            ref = system.spawn(Sink, "one", done, expected)
        start = time.perf_counter()
        tell = ref.tell
        for number in range(count):
            tell(number)
            if number % 1000 == 0:
                await anyio.lowlevel.checkpoint()
        await done.wait()
        return count / (time.perf_counter() - start)


async def activations(count: int, *, sharded: bool) -> float:
    """New actors per second, each started by (or spawned for) its first message."""
    done, expected = anyio.Event(), [count]
    async with ActorSystem(timing=False) as system:
        if sharded:
            await system.start_sharding("sink", Sink, done, expected, passivate_after=None)
        start = time.perf_counter()
        for number in range(count):
            if sharded:
                system.entity("sink", str(number)).tell(number)
            else:
                system.spawn(Sink, str(number), done, expected).tell(number)
            if number % 1000 == 0:
                await anyio.lowlevel.checkpoint()
        await done.wait()
        return count / (time.perf_counter() - start)


async def measure(repeat: int, tell_count: int, activation_count: int) -> dict[str, list[float]]:
    """Every workload ``repeat`` times, ours and the baseline interleaved."""
    rates: dict[str, list[float]] = {key: [] for key in ("tell", "tell0", "act", "act0")}
    for round_number in range(repeat):
        print(f"round {round_number + 1}/{repeat}", file=sys.stderr)
        rates["tell0"].append(await tells(tell_count, sharded=False))
        rates["tell"].append(await tells(tell_count, sharded=True))
        rates["act0"].append(await activations(activation_count, sharded=False))
        rates["act"].append(await activations(activation_count, sharded=True))
    return rates


def table(rates: dict[str, list[float]], tell_count: int, activation_count: int) -> str:
    """The Markdown table of medians and ratios."""
    median = {key: statistics.median(values) for key, values in rates.items()}
    return "\n".join(
        [
            "| workload | sharded (/s) | plain (/s) | ratio |",
            "| --- | ---: | ---: | ---: |",
            f"| tell x {tell_count:,} to one actor | {median['tell']:,.0f} | "
            f"{median['tell0']:,.0f} | {median['tell'] / median['tell0']:.2f}x |",
            f"| first message to {activation_count:,} new ids (activations) | "
            f"{median['act']:,.0f} | {median['act0']:,.0f} | "
            f"{median['act'] / median['act0']:.2f}x |",
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run the workloads and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks._sharding")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    arguments = parser.parse_args(argv)
    scale = 10 if arguments.quick else 1
    tell_count, activation_count = 200_000 // scale, 20_000 // scale
    rates = anyio.run(
        measure, arguments.repeat, tell_count, activation_count, backend=arguments.backend
    )
    print(f"backend: {arguments.backend}, median of {arguments.repeat}")
    print(table(rates, tell_count, activation_count))


if __name__ == "__main__":
    main()
