"""``python -m benchmarks._cluster_sharding``: an entity ``tell`` from a non-owning node.

One run starts a nats-server (as ``benchmarks._remote`` does) and, in one
process and one event loop, two systems in cluster mode: ``owner`` hosts the
entity type ``tally`` and a named actor; ``sender`` hosts nothing. Measured,
interleaved repetition by repetition, each until the receiver has handled the
last message:

- entity tell: ``sender`` tells ``n`` messages to one entity through
  ``system.entity`` (its refs go to the owner's region, which hands them to
  the activation);
- remote tell: ``sender`` tells ``n`` messages to the named actor on
  ``owner`` through a remote ref.

The ratio (issue 12's target: at least 0.8x) is the entity tell's median rate
over the remote tell's. Beside it, the median CPU time per message of this
process (both nodes, not the nats-server) and its ratio (the remote tell's
over the entity tell's): the machine is shared, and other processes move the
rates far more than the CPU time. Progress goes to stderr; the table goes to
stdout.

Usage::

    python -m benchmarks._cluster_sharding [--repeat N] [--messages N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio

from actors import Actor, ActorRef, ActorSystem
from actors.remote import MessageRegistry, NatsCluster

from ._remote import BATCH, Ping, nats_server

#: Issue 12's target for the entity tell against the remote tell.
TARGET = 0.8


class Tally(Actor):
    """Counts messages; sets its event in ``board`` when it has seen the expected number."""

    def __init__(self, key: str, board: dict[str, tuple[int, anyio.Event]]) -> None:
        self.expected, self.done = board[key]
        self.seen = 0

    def receive(self, message: Any) -> Any:
        self.seen += 1
        if self.seen == self.expected:
            self.done.set()
        return message


@asynccontextmanager
async def _cluster(url: str, board: dict[str, tuple[int, anyio.Event]]) -> AsyncIterator[Any]:
    registry = MessageRegistry()
    registry.register(Ping)
    async with AsyncExitStack() as stack:
        owner = await stack.enter_async_context(
            ActorSystem("bench", cluster=NatsCluster(url, node="owner", registry=registry))
        )
        await owner.start_sharding("tally", Tally, board, shards=16, passivate_after=None)
        sender = await stack.enter_async_context(
            ActorSystem("bench", cluster=NatsCluster(url, node="sender", registry=registry))
        )
        yield owner, sender


async def _tell(ref: ActorRef, done: anyio.Event, n: int) -> tuple[float, float]:
    """Messages per second, and this process's CPU microseconds per message (both nodes)."""
    await ref.ask(Ping(-1))  # activated, routed, warm
    started = time.perf_counter()
    cpu = time.process_time()
    for number in range(n):
        ref.tell(Ping(number))
        if number % BATCH == BATCH - 1:
            await anyio.lowlevel.checkpoint()
    await done.wait()
    return n / (time.perf_counter() - started), (time.process_time() - cpu) / n * 1e6


async def measure(url: str, repeat: int, n: int) -> dict[str, list[float]]:
    """Messages per second of both workloads, ``repeat`` times each, interleaved.

    Also each run's CPU time per message (``entity-cpu``, ``remote-cpu``: this
    process's, in microseconds): on a shared machine it varies far less than
    the rates, which other processes' load moves.
    """
    board: dict[str, tuple[int, anyio.Event]] = {}
    rates: dict[str, list[float]] = {"entity": [], "remote": [], "entity-cpu": [], "remote-cpu": []}

    async def run(workload: str, ref: ActorRef, key: str) -> None:
        rate, cpu = await _tell(ref, board[key][1], n)
        rates[workload].append(rate)
        rates[f"{workload}-cpu"].append(cpu)

    async with _cluster(url, board) as (owner, sender):
        for index in range(repeat):
            key = f"entity-{index}"
            board[key] = (n + 1, anyio.Event())
            await run("entity", sender.entity("tally", key), key)
            key = f"named-{index}"
            board[key] = (n + 1, anyio.Event())
            owner.spawn(Tally, key, board, name=key)
            await run("remote", await sender.find(key, timeout=10), key)
            print(f"repetition {index + 1}/{repeat} done", file=sys.stderr)
    return rates


def table(rates: dict[str, list[float]], n: int) -> str:
    """The Markdown table of medians and the ratios (of rates, and of CPU time per message)."""
    entity = statistics.median(rates["entity"])
    remote = statistics.median(rates["remote"])
    entity_cpu = statistics.median(rates["entity-cpu"])
    remote_cpu = statistics.median(rates["remote-cpu"])
    return "\n".join(
        [
            f"| workload ({n:,} tells, median of {len(rates['entity'])}) | msg/s | CPU us/msg |",
            "| --- | ---: | ---: |",
            f"| remote tell to a named actor | {remote:,.0f} | {remote_cpu:.1f} |",
            f"| entity tell from a non-owning node | {entity:,.0f} "
            f"({entity / remote:.2f}x; target >= {TARGET}x) | {entity_cpu:.1f} "
            f"({remote_cpu / entity_cpu:.2f}x) |",
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--messages", type=int, default=50_000)
    arguments = parser.parse_args(argv)
    with nats_server() as url:
        rates = anyio.run(measure, url, arguments.repeat, arguments.messages, backend="asyncio")
    print(table(rates, arguments.messages))


if __name__ == "__main__":
    main()
