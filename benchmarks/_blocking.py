"""``python -m benchmarks._blocking``: the blocking ``ask`` round trip against Pykka's, in one run.

Usage::

    python -m benchmarks._blocking [--size N] [--repeat R] [--threads T]

A plain thread asks one actor ``n`` times in sequence, each ask waiting for
its reply, on:

* ``pykka``: a ``pykka.ThreadingActor`` (one thread per actor), ``ref.ask``;
* ``blocking``: ``actors.blocking.BlockingActorSystem`` on asyncio and trio;
* ``portal``: the design not taken, ``anyio.from_thread.start_blocking_portal``
  with ``portal.call(ref.ask, ...)`` on the same system;
* ``handoff``: the floor of any design that runs actors on an event loop in
  another thread: two thread hand-offs through the loop entry that the
  blocking system uses (``LoopThread.call_soon``: on asyncio the latch loop,
  see ``actors/blocking/_latch_loop.py``; on trio ``run_sync_soon``), with no
  actor and no task at all; and, for comparison, through a stock asyncio
  loop's ``call_soon_threadsafe`` (self-pipe and ``epoll``);
* ``ping-pong``: the floor of *any* design with the actor in another thread,
  Pykka's included: two plain threads trading a ``threading.Lock`` each way,
  doing nothing else.

Then ``--threads`` threads ask at once (``n`` asks each, spread over four
actors), where a loop picks up many requests per wake-up. Every figure is a
median of ``--repeat`` interleaved samples with [min-max]; a ratio is taken
per round against Pykka's sample of the same round (on a shared machine the
load drifts between rounds more than between neighbouring samples), and
shown as their median [min-max]. CPU time per ask (all threads, kernel time
included) shows the work apart from waiting. Progress goes to stderr, the table
(Markdown) to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import anyio
import anyio.from_thread
import pykka

from actors import Actor, ActorSystem
from actors.blocking import BlockingActorSystem
from actors.blocking._loop import LoopThread  # the floor uses the blocking system's own entry

BACKENDS = ("asyncio", "trio")


class Incrementer(Actor):
    def receive(self, message: Any) -> Any:
        return message + 1


class PykkaIncrementer(pykka.ThreadingActor):
    def on_receive(self, message: Any) -> Any:
        return message + 1


#: CPU seconds (every thread of the process, kernel time included) per ask of
#: the latest sample: what a round trip costs in work, apart from waiting.
_cpu_per_ask = [0.0]


def _timed(asks: Callable[[], int], n: int) -> float:
    started, cpu_started = time.perf_counter(), time.process_time()
    right = asks()
    elapsed = time.perf_counter() - started
    _cpu_per_ask[0] = (time.process_time() - cpu_started) / n
    if right != n:
        raise AssertionError(f"{right} right replies of {n}")
    return n / elapsed


def _sequential(ask: Callable[[int], Any], n: int) -> float:
    ask(0)
    return _timed(lambda: sum(ask(i) == i + 1 for i in range(n)), n)


def _concurrent(asks: list[Callable[[int], Any]], threads: int, n: int) -> float:
    for ask in asks:
        ask(0)
    counts = [0] * threads
    start = threading.Barrier(threads + 1)

    def caller(number: int) -> None:
        start.wait()
        counts[number] = sum(asks[i % len(asks)](i) == i + 1 for i in range(n))

    workers = [threading.Thread(target=caller, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()

    def run() -> int:
        start.wait()
        for worker in workers:
            worker.join()
        return sum(counts)

    return _timed(run, threads * n)


def pykka_rate(n: int, threads: int = 0) -> float:
    refs = [PykkaIncrementer.start() for _ in range(4 if threads else 1)]
    try:
        if threads:
            return _concurrent([ref.ask for ref in refs], threads, n)
        return _sequential(refs[0].ask, n)
    finally:
        for ref in refs:
            ref.stop()


def blocking_rate(backend: str, n: int, threads: int = 0) -> float:
    with BlockingActorSystem("bench", backend=backend) as system:
        refs = [system.spawn(Incrementer) for _ in range(4 if threads else 1)]
        if threads:
            return _concurrent([ref.ask for ref in refs], threads, n)
        return _sequential(refs[0].ask, n)


def portal_rate(backend: str, n: int) -> float:
    with anyio.from_thread.start_blocking_portal(backend) as portal:
        system = ActorSystem("bench")
        with portal.wrap_async_context_manager(system):
            ref = portal.call(system.spawn, Incrementer)
            return _sequential(lambda i: portal.call(ref.ask, i), n)


def handoff_rate(backend: str, n: int) -> float:
    """Two hand-offs a round trip through the blocking system's own loop entry."""
    loop = LoopThread(backend, "handoff floor")
    ready = threading.Event()
    done: list[anyio.Event] = []

    async def main() -> None:
        done.append(anyio.Event())
        ready.set()
        await done[0].wait()

    loop.start(main, ready.set)
    ready.wait()

    def handoff(i: int) -> int:
        lock = threading.Lock()
        lock.acquire()
        loop.call_soon(lock.release)
        lock.acquire()
        return i + 1

    try:
        return _sequential(handoff, n)
    finally:
        loop.call_soon(done[0].set)
        loop.join()


def stock_asyncio_handoff_rate(n: int) -> float:
    """The same through a stock asyncio loop: ``call_soon_threadsafe``, self-pipe, ``epoll``."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()

    def handoff(i: int) -> int:
        lock = threading.Lock()
        lock.acquire()
        loop.call_soon_threadsafe(lock.release)
        lock.acquire()
        return i + 1

    try:
        return _sequential(handoff, n)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def ping_pong_rate(n: int) -> float:
    """Two plain threads trading a lock each way: the floor of any thread-to-thread ask."""
    requests: deque[threading.Lock | None] = deque()
    wake = threading.Lock()
    wake.acquire()

    def server() -> None:
        while True:
            wake.acquire()
            reply = requests.popleft()
            if reply is None:
                return
            reply.release()

    thread = threading.Thread(target=server)
    thread.start()

    def ask(i: int) -> int:
        reply = threading.Lock()
        reply.acquire()
        requests.append(reply)
        wake.release()
        reply.acquire()
        return i + 1

    try:
        return _sequential(ask, n)
    finally:
        requests.append(None)
        wake.release()
        thread.join()


def _row(name: str, rates: list[float], cpu: list[float], paired: list[float] | None) -> str:
    median = statistics.median(rates)
    spread = f"{median / 1000:.1f}k [{min(rates) / 1000:.1f}k-{max(rates) / 1000:.1f}k]"
    ratio = (
        "-"
        if paired is None
        else f"{statistics.median(paired):.2f}x [{min(paired):.2f}-{max(paired):.2f}]"
    )
    return f"| {name:<34} | {spread:<24} | {ratio:<18} | {statistics.median(cpu) * 1e6:>7.1f} |"


def main(argv: Sequence[str] | None = None) -> None:
    """Parse ``argv``, measure every round trip, and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks._blocking", description=__doc__)
    parser.add_argument("--size", type=int, default=5000, help="asks per sample (per thread)")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved samples per system")
    parser.add_argument("--threads", type=int, default=8, help="callers in the concurrent run")
    options = parser.parse_args(argv)
    n, threads = options.size, options.threads
    sequential, concurrent = "pykka ask", f"pykka ask, {threads} threads"
    systems: dict[str, Callable[[], float]] = {sequential: lambda: pykka_rate(n)}
    for backend in BACKENDS:
        systems[f"blocking ask, {backend}"] = lambda b=backend: blocking_rate(b, n)  # type: ignore[misc]
        systems[f"portal.call(ask), {backend}"] = lambda b=backend: portal_rate(b, n)  # type: ignore[misc]
        systems[f"handoff floor, {backend}"] = lambda b=backend: handoff_rate(b, n)  # type: ignore[misc]
    systems["handoff floor, stock asyncio loop"] = lambda: stock_asyncio_handoff_rate(n)
    systems["ping-pong floor, bare lock"] = lambda: ping_pong_rate(n)
    systems[concurrent] = lambda: pykka_rate(n, threads)
    for backend in BACKENDS:
        systems[f"blocking ask, {backend}, {threads} threads"] = (
            lambda b=backend: blocking_rate(b, n, threads)  # type: ignore[misc]
        )
    rates: dict[str, list[float]] = {name: [] for name in systems}
    cpu: dict[str, list[float]] = {name: [] for name in systems}
    for repetition in range(options.repeat):
        for name, measure in systems.items():
            rates[name].append(measure())
            cpu[name].append(_cpu_per_ask[0])
            print(
                f"[{repetition + 1}/{options.repeat}] {name}: {rates[name][-1]:,.0f}/s",
                file=sys.stderr,
            )
    print(f"asks per sample: {n:,} (per thread when threaded); {options.repeat} samples each")
    print(
        "vs Pykka: the median [min-max] of each round's ratio to Pykka's sample of that round;"
        " CPU: microseconds of CPU time per ask, all threads, median\n"
    )
    print(f"| {'round trip':<34} | {'asks/s median [min-max]':<24} | {'vs Pykka':<18} | CPU/ask |")
    print(f"|{'-' * 36}|{'-' * 26}|{'-' * 20}|{'-' * 9}|")
    for name in systems:
        baseline = rates[concurrent if name.endswith(f"{threads} threads") else sequential]
        paired = [rate / base for rate, base in zip(rates[name], baseline, strict=True)]
        print(_row(name, rates[name], cpu[name], None if name.startswith("pykka") else paired))


if __name__ == "__main__":
    main()
