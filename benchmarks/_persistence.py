"""``python -m benchmarks._persistence``: journals against their raw drivers, in one run.

Three workloads per store (and one floor), each a ratio against the raw driver doing the same
rows at the same durability, measured interleaved repetition by repetition in
one process (issue 11's targets):

- ``1,000 actors x 100``: 1,000 event-sourced actors each persist 100 events,
  one ``persist`` at a time, all concurrently (group commit); against raw
  ``executemany`` of the same rows in transactions of the size our group
  commit made (target >= 0.5x).
- ``floor``: the same 1,000 actors on ``InMemoryJournal`` (no I/O at all),
  against the same raw side in transactions of 1,000 rows: what any journal
  can reach at best with one suspending ``persist`` per event; no target.
- ``1 actor, one at a time``: one actor persists events one after another;
  against a raw insert and commit per event (target >= 0.7x).
- ``recover 1,000,000``: an actor recovers from 1,000,000 stored events;
  against a raw ``SELECT`` of the same rows decoded with msgspec into the
  same classes (target >= 0.5x).

A store is a :class:`Store` in :data:`STORES` (SQLite, and PostgreSQL on a
real server started for the run); adding one runs every workload against it.
Progress goes to stderr; the table (Markdown) goes to stdout.

Usage::

    python -m benchmarks._persistence [--repeat N] [--quick] [--backend asyncio|trio]
                                      [--store NAME ...]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import anyio
import msgspec
from attrs import frozen

from actors import ActorSystem
from actors.persistence import (
    EventSourcedActor,
    InMemoryJournal,
    Journal,
    MessageRegistry,
    SqliteJournal,
)
from actors.serialization import ValueCodec


@frozen
class Deposited:
    """The benchmark's event."""

    account: str
    amount: int


def registry() -> MessageRegistry:
    """The types the benchmark stores."""
    registry = MessageRegistry()
    registry.register(Deposited, tag="bench.Deposited")
    return registry


class Writer(EventSourcedActor):
    """Persists one event per message; tells ``done`` after ``expected`` of them."""

    def __init__(self, expected: int, done: Callable[[], None]) -> None:
        self.expected = expected
        self.done = done
        self.total = 0

    def apply(self, event: Any) -> None:
        self.total += event.amount

    async def receive(self, message: Any) -> Any:
        if message == "total":
            return self.total
        if isinstance(message, tuple):  # ("run", n): persist n events in a loop
            for amount in range(message[1]):
                await self.persist(Deposited("solo", amount))
            return self.total
        await self.persist(Deposited(self.context.self_ref.name, message))
        if self.sequence_number == self.expected:
            self.done()
        return None


class Store(Protocol):
    """A journal and its raw driver, at one durability setting."""

    name: str

    def journal(self) -> Journal:
        """A journal on a fresh store."""
        ...

    def fresh(self) -> None:
        """Drop everything stored (the next workload starts empty)."""
        ...

    def raw_batches(self, rows: list[tuple[str, int, bytes]], batch: int) -> float:
        """Seconds to insert ``rows`` in transactions of ``batch`` rows, with ``executemany``."""
        ...

    def raw_each(self, rows: list[tuple[str, int, bytes]]) -> float:
        """Seconds to insert and commit ``rows`` one at a time."""
        ...

    def raw_recover(self, persistence_id: str, decode: Callable[[bytes], object]) -> float:
        """Seconds to select the rows of ``persistence_id`` in order and decode each."""
        ...

    def populate(self, rows: list[tuple[str, int, bytes]]) -> None:
        """Store ``rows`` (events) quickly, as the journal would have."""
        ...


class SqliteStore:
    """SQLite at the journal's default durability (WAL, ``synchronous=FULL``)."""

    name = "SQLite"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.generation = 0
        self.path = directory / "bench-0.db"

    def fresh(self) -> None:
        self.generation += 1
        self.path = self.directory / f"bench-{self.generation}.db"

    def journal(self) -> Journal:
        return SqliteJournal(self.path, registry=registry(), synchronous="FULL")

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS raw_events (persistence_id TEXT, sequence_number "
            "INTEGER, payload BLOB, PRIMARY KEY (persistence_id, sequence_number)) WITHOUT ROWID"
        )
        return connection

    def raw_batches(self, rows: list[tuple[str, int, bytes]], batch: int) -> float:
        connection = self._connect()
        try:
            start = time.perf_counter()
            for index in range(0, len(rows), batch):
                connection.execute("BEGIN IMMEDIATE")
                connection.executemany(
                    "INSERT INTO raw_events VALUES (?, ?, ?)", rows[index : index + batch]
                )
                connection.execute("COMMIT")
            return time.perf_counter() - start
        finally:
            connection.close()

    def raw_each(self, rows: list[tuple[str, int, bytes]]) -> float:
        connection = self._connect()
        try:
            start = time.perf_counter()
            for row in rows:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("INSERT INTO raw_events VALUES (?, ?, ?)", row)
                connection.execute("COMMIT")
            return time.perf_counter() - start
        finally:
            connection.close()

    def raw_recover(self, persistence_id: str, decode: Callable[[bytes], object]) -> float:
        connection = self._connect()
        try:
            start = time.perf_counter()
            cursor = connection.execute(
                "SELECT sequence_number, payload FROM anyactors_events "
                "WHERE persistence_id = ? ORDER BY sequence_number",
                (persistence_id,),
            )
            total = 0
            for _, payload in cursor:
                event = decode(payload)
                total += event.amount  # type: ignore[attr-defined]
            return time.perf_counter() - start
        finally:
            connection.close()

    def populate(self, rows: list[tuple[str, int, bytes]]) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            from actors.persistence._sqlite_operations import SCHEMA  # noqa: PLC0415

            connection.executescript(SCHEMA)
            connection.execute("BEGIN")
            connection.executemany("INSERT INTO anyactors_events VALUES (?, ?, ?)", rows)
            highest: dict[str, int] = {}
            for persistence_id, number, _ in rows:
                highest[persistence_id] = max(highest.get(persistence_id, 0), number)
            connection.executemany(
                "INSERT OR REPLACE INTO anyactors_streams VALUES (?, ?)", list(highest.items())
            )
            connection.execute("COMMIT")
        finally:
            connection.close()


#: The stores the benchmark runs against, by the name ``--store`` takes.
def _postgres(directory: Path) -> Store:
    """PostgreSQL on a real server started for the run (``_persistence_postgres.py``)."""
    from ._persistence_postgres import PostgresBench  # noqa: PLC0415 - starts a server

    return PostgresBench(directory, registry)


STORES: dict[str, Callable[[Path], Store]] = {"postgres": _postgres, "sqlite": SqliteStore}


# -- the workloads: each returns (ours, raw) in events per second ------------------------


async def _persist_concurrently(journal: Journal, actors: int, events: int) -> tuple[float, int]:
    """``actors`` actors on ``journal`` persist ``events`` events each, all at once.

    Returns the seconds it took and the writes its transactions held on
    average (1 for a journal without ``statistics()``), read before the
    system closes the journal (its statistics count from the thread's start).
    """
    statistics = getattr(journal, "statistics", None)
    remaining = actors
    finished = anyio.Event()

    def done() -> None:
        nonlocal remaining
        remaining -= 1
        if remaining == 0:
            finished.set()

    async with ActorSystem("bench", journal=journal) as system:
        refs = [system.spawn(Writer, events, done, name=f"w{i}") for i in range(actors)]
        for ref in refs:
            await ref.ask("total")  # recovered (empty), so only persisting is timed
        before = statistics() if statistics is not None else None
        start = time.perf_counter()
        for ref in refs:
            for amount in range(events):
                ref.tell(amount)
        await finished.wait()
        seconds = time.perf_counter() - start
        after = statistics() if statistics is not None else None
    if before is None or after is None:
        return seconds, 1
    transactions = max(1, after.transactions - before.transactions)
    return seconds, max(1, round((after.writes - before.writes) / transactions))


def _rows_of(actors: int, events: int) -> list[tuple[str, int, bytes]]:
    """The rows those actors store, for the raw side."""
    codec = ValueCodec(registry())
    return [
        (f"/user/w{i}", n + 1, codec.encode(Deposited(f"w{i}", n)))
        for i in range(actors)
        for n in range(events)
    ]


async def many_actors(store: Store, actors: int, events: int) -> tuple[float, float]:
    """``actors`` actors each persist ``events`` events concurrently; raw in batches."""
    store.fresh()
    ours, batch = await _persist_concurrently(store.journal(), actors, events)
    rows = _rows_of(actors, events)
    store.fresh()
    raw = store.raw_batches(rows, batch)
    print(f"  group commit: {batch} writes a transaction", file=sys.stderr)
    return actors * events / ours, actors * events / raw


async def many_actors_floor(store: Store, actors: int, events: int) -> tuple[float, float]:
    """The same as :func:`many_actors` on :class:`InMemoryJournal` (no I/O): the design's floor.

    Each ``persist`` still suspends its handler until the journal answers (the
    in-memory journal answers at the next scheduling point), so this measures
    everything but the store: the message, the turn, ``persist``, encoding,
    the suspension and the wake-up. The raw side is the store's own, in
    transactions of ``actors`` rows: with one ``persist`` in flight per
    actor, no group commit can be larger.
    """
    ours, _ = await _persist_concurrently(InMemoryJournal(registry=registry()), actors, events)
    rows = _rows_of(actors, events)
    store.fresh()
    raw = store.raw_batches(rows, actors)
    return actors * events / ours, actors * events / raw


async def one_actor(store: Store, events: int) -> tuple[float, float]:
    """One actor persists ``events`` events one after another; raw: insert and commit each."""
    store.fresh()
    async with ActorSystem("bench", journal=store.journal()) as system:
        ref = system.spawn(Writer, 0, lambda: None, name="solo")
        await ref.ask("total")
        start = time.perf_counter()
        await ref.ask(("run", events), timeout=600)
        ours = time.perf_counter() - start
    codec = ValueCodec(registry())
    rows = [("/user/solo", n + 1, codec.encode(Deposited("solo", n))) for n in range(events)]
    store.fresh()
    raw = store.raw_each(rows)
    return events / ours, events / raw


async def recovery(store: Store, events: int) -> tuple[float, float]:
    """An actor recovers from ``events`` stored events; raw: select and decode them."""
    store.fresh()
    codec = ValueCodec(registry())
    store.populate(
        [("/user/reader", n + 1, codec.encode(Deposited("reader", n))) for n in range(events)]
    )
    async with ActorSystem("bench", journal=store.journal()) as system:
        start = time.perf_counter()
        total = await system.spawn(Writer, 0, lambda: None, name="reader").ask("total", timeout=600)
        ours = time.perf_counter() - start
    assert total == sum(range(events)), total
    # The same bytes, decoded by msgspec straight into the class: the extension's
    # body is [tag, fields], so a typed decoder builds the Deposited directly.
    inner = msgspec.msgpack.Decoder(tuple[str, Deposited])

    def ext_hook(code: int, data: memoryview) -> object:
        return inner.decode(data)[1]

    outer = msgspec.msgpack.Decoder(ext_hook=ext_hook)
    raw = store.raw_recover("/user/reader", outer.decode)
    return events / ours, events / raw


@frozen
class Workload:
    """One row of the table."""

    name: str
    #: ``None`` for a row that measures a floor, not a target.
    target: float | None
    run: Callable[[Store, bool], Any]


WORKLOADS = [
    Workload(
        "1,000 actors x 100 events",
        0.5,
        lambda store, quick: many_actors(store, 100 if quick else 1000, 100),
    ),
    Workload(
        "floor: the same on InMemoryJournal (no I/O)",
        None,
        lambda store, quick: many_actors_floor(store, 100 if quick else 1000, 100),
    ),
    Workload(
        "1 actor, one event at a time",
        0.7,
        lambda store, quick: one_actor(store, 200 if quick else 2000),
    ),
    Workload(
        "recover 1,000,000 events",
        0.5,
        lambda store, quick: recovery(store, 100_000 if quick else 1_000_000),
    ),
]


def _quantity(value: float) -> str:
    return f"{value / 1000:,.1f}k" if value >= 10_000 else f"{value:,.0f}"


def _spread(values: Sequence[float]) -> str:
    low, high = _quantity(min(values)), _quantity(max(values))
    return f"{_quantity(statistics.median(values))} [{low}-{high}]"


def table(rows: Sequence[tuple[str, Workload, list[float], list[float]]]) -> str:
    """The results as an aligned Markdown table (events per second)."""
    header = (
        "store",
        "workload",
        "anyactors ev/s: median [min-max]",
        "raw driver ev/s",
        "x raw [min-max]",
        "target",
    )
    body = []
    for store, workload, ours, raw in rows:
        ratios = [mine / theirs for mine, theirs in zip(ours, raw, strict=True)]
        median = statistics.median(ratios)
        if workload.target is None:
            verdict = "(a floor, no target)"
        else:
            verdict = "met" if median >= workload.target else "MISSED"
            verdict = f">= {workload.target:g}x: {verdict}"
        body.append(
            (
                store,
                workload.name,
                _spread(ours),
                _spread(raw),
                f"{median:.2f}x [{min(ratios):.2f}-{max(ratios):.2f}]",
                verdict,
            )
        )
    widths = [max(len(row[col]) for row in (header, *body)) for col in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in body)])


async def run(stores: Sequence[Store], repeat: int, quick: bool) -> str:
    """Every workload on every store, ``repeat`` times each, interleaved with the raw side."""
    rows = []
    for store in stores:
        for workload in WORKLOADS:
            ours: list[float] = []
            raw: list[float] = []
            for repetition in range(repeat):
                mine, theirs = await workload.run(store, quick)
                ours.append(mine)
                raw.append(theirs)
                print(
                    f"{store.name} {workload.name} #{repetition + 1}: anyactors {mine:,.0f}, "
                    f"raw {theirs:,.0f} ev/s ({mine / theirs:.2f}x)",
                    file=sys.stderr,
                )
            rows.append((store.name, workload, ours, raw))
    return table(rows)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options, run, print the table."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks._persistence",
        description="Journals against their raw drivers (issue 11's ratios), in one run.",
    )
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (3)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--store", nargs="+", choices=sorted(STORES), default=sorted(STORES))
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        stores = [STORES[name](Path(directory)) for name in options.store]
        try:
            print(anyio.run(run, stores, options.repeat, options.quick, backend=options.backend))
        finally:
            for store in stores:
                close = getattr(store, "close", None)  # a store with a server stops it
                if close is not None:
                    close()


if __name__ == "__main__":
    main()
