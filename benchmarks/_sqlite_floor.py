"""``python -m benchmarks._sqlite_floor``: one SQLite writer, and the floor of a thread hop.

Issue 11's second workload compares one actor persisting one event at a time
with a raw ``INSERT`` and ``COMMIT`` per event on the calling thread. A
journal cannot run that commit on the event loop's thread (its fsync would
stop every other actor), so each ``persist`` crosses to a thread and back:
two thread wake-ups that the raw loop never pays. This measures, interleaved
chunk by chunk in one process, each side going first in turn (the fsync rate
of a shared virtual disk moves by 3x within minutes, so only interleaved
figures compare):

- ``raw``: ``BEGIN IMMEDIATE``, ``INSERT``, ``COMMIT`` per event, on the loop's
  thread (the issue's baseline; its rate is the disk's commit rate);
- ``raw + hop``: the same three statements per event, run by a bare thread
  (a ``queue.SimpleQueue`` to it, the event loop's thread-safe call back: the
  cheapest way into an event loop the journal does not own) while the caller
  awaits: the floor of any journal that keeps commits off the event loop;
- ``SqliteJournal``: one ``EventSourcedActor`` persisting one event at a time
  (WAL, at the same ``synchronous`` setting as the raw sides: ``FULL`` unless
  ``--synchronous OFF``).

Usage::

    python -m benchmarks._sqlite_floor [--repeat N] [--chunks N] [--backend asyncio|trio]
                                       [--synchronous FULL|OFF]
"""

from __future__ import annotations

import argparse
import asyncio
import queue
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Literal

import anyio
import anyio.lowlevel

from actors import ActorSystem
from actors.persistence import SqliteJournal
from actors.serialization import ValueCodec

from ._persistence import Deposited, Writer, registry

Synchronous = Literal["FULL", "OFF"]

#: Events a chunk holds; the three sides take turns chunk by chunk.
CHUNK = 200


def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute(f"PRAGMA synchronous = {synchronous}")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS raw_events (persistence_id TEXT, sequence_number "
        "INTEGER, payload BLOB, PRIMARY KEY (persistence_id, sequence_number)) WITHOUT ROWID"
    )
    return connection


def _insert(connection: sqlite3.Connection, row: tuple[str, int, bytes]) -> None:
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO raw_events VALUES (?, ?, ?)", row)
    connection.execute("COMMIT")


class BareThread:
    """One thread running calls for awaiting callers: a queue in, the loop's own wake-up out."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            call, wake = item
            call()
            wake()

    async def run(self, call: Callable[[], None]) -> None:
        """Run ``call`` in the thread; return when it has."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # trio: its token's run_sync_soon, as the journal's thread uses
            event = anyio.Event()
            native: Any = anyio.lowlevel.current_token().native_token
            self._queue.put((call, lambda: native.run_sync_soon(event.set)))
            await event.wait()
        else:
            future: asyncio.Future[None] = loop.create_future()
            self._queue.put((call, lambda: loop.call_soon_threadsafe(future.set_result, None)))
            await future

    def stop(self) -> None:
        """End the thread."""
        self._queue.put(None)
        self._thread.join()


async def measure(
    directory: Path, chunks: int, synchronous: Synchronous = "FULL"
) -> tuple[float, float, float]:
    """Seconds per event: (raw, raw + hop, SqliteJournal), over ``chunks`` turns each."""
    codec = ValueCodec(registry())
    raw = _connect(directory / "raw.db", synchronous)
    hopped = _connect(directory / "hop.db", synchronous)
    bare = BareThread()
    journal = SqliteJournal(directory / "journal.db", registry=registry(), synchronous=synchronous)
    totals = [0.0, 0.0, 0.0]
    try:
        async with ActorSystem("floor", journal=journal) as system:
            ref = system.spawn(Writer, 0, lambda: None, name="solo")
            await ref.ask("total")

            async def direct(rows: list[tuple[str, int, bytes]]) -> None:
                for row in rows:
                    _insert(raw, row)

            async def hop(rows: list[tuple[str, int, bytes]]) -> None:
                for row in rows:
                    await bare.run(partial(_insert, hopped, row))

            async def journaled(rows: list[tuple[str, int, bytes]]) -> None:
                await ref.ask(("run", len(rows)), timeout=600)

            sides = [direct, hop, journaled]
            for chunk in range(chunks):
                rows = [
                    ("/user/solo", n + 1, codec.encode(Deposited("solo", n)))
                    for n in range(chunk * CHUNK, (chunk + 1) * CHUNK)
                ]
                # Each side goes first in turn, so none always follows the same one.
                for index in [(chunk + k) % len(sides) for k in range(len(sides))]:
                    start = time.perf_counter()
                    await sides[index](rows)
                    totals[index] += time.perf_counter() - start
    finally:
        bare.stop()
        raw.close()
        hopped.close()
    events = chunks * CHUNK
    return totals[0] / events, totals[1] / events, totals[2] / events


def _spread(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.2f}x [{min(values):.2f}-{max(values):.2f}]"


async def run(repeat: int, chunks: int, synchronous: Synchronous) -> str:
    """``repeat`` measurements, each in a fresh directory; the ratios, one a line."""
    results = []
    for repetition in range(repeat):
        with tempfile.TemporaryDirectory() as directory:
            raw, hop, ours = await measure(Path(directory), chunks, synchronous)
        results.append((raw, hop, ours))
        print(
            f"#{repetition + 1}: raw {raw * 1e6:.0f} us, raw + hop {hop * 1e6:.0f} us, "
            f"SqliteJournal {ours * 1e6:.0f} us an event",
            flush=True,
        )
    raw_rates = [1 / raw for raw, _, _ in results]
    lines = [
        f"synchronous={synchronous}; raw commits/s"
        f"{' (the disk fsync rate)' if synchronous == 'FULL' else ''}: "
        f"median {statistics.median(raw_rates):,.0f} "
        f"[{min(raw_rates):,.0f}-{max(raw_rates):,.0f}]",
        f"raw + hop / raw (the floor):     {_spread([raw / hop for raw, hop, _ in results])}",
        f"SqliteJournal / raw (the target): {_spread([raw / ours for raw, _, ours in results])}",
        f"SqliteJournal / raw + hop:        {_spread([hop / ours for _, hop, ours in results])}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options, run, print the ratios."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks._sqlite_floor",
        description="One SQLite writer against raw sqlite3, with and without a thread hop.",
    )
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (3)")
    parser.add_argument("--chunks", type=int, default=10, help=f"turns of {CHUNK} events (10)")
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument(
        "--synchronous",
        choices=["FULL", "OFF"],
        default="FULL",
        help="FULL (the issue's durability), or OFF: no fsync, so only CPU and wake-ups remain",
    )
    options = parser.parse_args(argv)
    print(
        anyio.run(run, options.repeat, options.chunks, options.synchronous, backend=options.backend)
    )


if __name__ == "__main__":
    main()
