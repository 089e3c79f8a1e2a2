"""``SqliteJournal``: the embedded journal, stdlib ``sqlite3`` in one dedicated thread."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import AsyncGenerator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Literal

from actors.serialization import MessageRegistry, UndecodableValue, ValueCodec

from ._records import (
    EventRecord,
    JournalStatistics,
    SnapshotRecord,
    StateRecord,
    check_id,
    check_number,
    records_of_chunks,
)
from ._sqlite_operations import (
    SCHEMA,
    AppendEvents,
    Heads,
    append_all,
    append_known,
    corrupt,
    delete_events,
    fetch_one,
    highest,
    save_snapshot,
    upsert_state,
)
from ._thread import Request, StoreThread, journal_error, run_one_by_one

#: How long a statement waits for another connection's lock before it fails.
BUSY_TIMEOUT_MS = 10_000

Synchronous = Literal["FULL", "NORMAL", "OFF"]


class _SqliteStore:
    """How the dedicated thread opens the file and runs transactions."""

    def __init__(self, path: str, synchronous: Synchronous) -> None:
        self.path = path
        self.synchronous = synchronous
        self.heads = Heads()

    def connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._set_up(connection, time.monotonic() + BUSY_TIMEOUT_MS / 1000)
            self.heads = Heads()  # knows nothing yet, so it is exact as of now
            self.heads.check(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _set_up(self, connection: sqlite3.Connection, deadline: float) -> None:
        # Processes opening a new file at once race to switch it to WAL and to
        # create the schema, and SQLite answers some of those lock upgrades
        # with SQLITE_BUSY at once, without its busy handler (which could
        # deadlock there); so the set-up is retried until the busy timeout.
        while True:
            try:
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute(f"PRAGMA synchronous = {self.synchronous}")
                connection.executescript(SCHEMA)
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    raise
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                time.sleep(0.01)  # in the journal's own thread, never the event loop's
            else:
                return

    def begin(self, connection: sqlite3.Connection) -> None:
        # The transaction begins in run_writes: a batch of appends that
        # append_known can take needs none of its own.
        pass

    def _begin(self, connection: sqlite3.Connection) -> None:
        connection.execute("BEGIN IMMEDIATE")
        try:
            self.heads.check(connection)
        except BaseException:
            self.rollback(connection)
            raise

    def commit(self, connection: sqlite3.Connection) -> None:
        if connection.in_transaction:
            connection.execute("COMMIT")
            self.heads.committed()

    def rollback(self, connection: sqlite3.Connection) -> None:
        self.heads.forget()
        if connection.in_transaction:
            connection.execute("ROLLBACK")

    def close(self, connection: sqlite3.Connection) -> None:
        connection.close()

    def run_writes(
        self, connection: sqlite3.Connection, writes: list[Request[sqlite3.Connection]]
    ) -> None:
        appends = [r for r in writes if isinstance(r.operation, AppendEvents)]
        if len(appends) == len(writes) and append_known(connection, appends, self.heads):
            return
        try:
            self._begin(connection)
        except Exception as error:  # busy past the timeout, or the file is gone
            for request in writes:
                request.error = journal_error(error)
            return
        if appends:
            append_all(connection, appends, self.heads)
        if len(appends) < len(writes):
            run_one_by_one(connection, [r for r in writes if r not in appends])

    def highest(self, persistence_id: str, connection: sqlite3.Connection) -> int:
        """The id's highest stored number, remembered for the next append if still exact."""
        number = highest(persistence_id, connection)
        self.heads.learn(persistence_id, number, connection)
        return number


class SqliteJournal:
    """The embedded journal: one SQLite file, in WAL mode, written by one dedicated thread.

    ::

        registry = MessageRegistry()
        registry.register(Deposited, Withdrawn, tag=...)
        async with ActorSystem("bank", journal=SqliteJournal("bank.db", registry=registry)):
            ...

    The thread starts on first use and stops when the system using the
    journal exits (:meth:`close`); a later call starts it again. Concurrent
    writes from many actors share one transaction (group commit: one sync per
    batch), and each ``persist`` returns only after its batch has committed.
    The single-writer rule is kept by the store: ``PRIMARY KEY
    (persistence_id, sequence_number)`` and a compare-and-set of each id's
    highest sequence number under the database's write lock, so it holds
    between processes sharing the file too. The thread remembers the numbers
    it wrote, and trusts them only while ``PRAGMA data_version`` shows that
    no other connection has committed (a batch checks it in the same
    statement that inserts); otherwise it reads them again.

    Durability (``synchronous``, SQLite's setting of that name, in WAL mode):

    * ``"FULL"`` (the default): every commit is synced to disk before
      ``persist`` returns; neither a process kill nor a machine crash loses
      an acknowledged event.
    * ``"NORMAL"``: commits reach the operating system, not the disk; a
      process kill loses nothing acknowledged, a machine crash can lose the
      last commits (the file stays consistent).
    * ``"OFF"``: no syncs at all; a process kill loses nothing acknowledged,
      a machine crash can corrupt the file. For tests and scratch data.

    Args:
        path: the database file (created if missing).
        registry: the types that events, snapshots and states may hold.
        synchronous: ``"FULL"``, ``"NORMAL"`` or ``"OFF"`` (see above).
        max_batch: the most requests one transaction takes.
        replay_chunk: how many events one read of a replay fetches.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        registry: MessageRegistry,
        synchronous: Synchronous = "FULL",
        max_batch: int = 1000,
        replay_chunk: int = 10_000,
    ) -> None:
        if not isinstance(path, str | os.PathLike) or not str(path):
            raise TypeError(f"path must be a file path such as 'bank.db' (got {path!r})")
        if not isinstance(registry, MessageRegistry):
            raise TypeError(
                f"registry must be an actors.persistence.MessageRegistry (got {registry!r}); "
                "register the event, snapshot and state classes in one"
            )
        if synchronous not in ("FULL", "NORMAL", "OFF"):
            raise ValueError(f"synchronous must be 'FULL', 'NORMAL' or 'OFF' (got {synchronous!r})")
        for value, what in ((max_batch, "max_batch"), (replay_chunk, "replay_chunk")):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{what} must be a whole number >= 1 (got {value!r})")
        self.path = Path(path)
        self.synchronous: Synchronous = synchronous
        self._codec = ValueCodec(registry)
        self._store = _SqliteStore(str(path), synchronous)
        self._max_batch = max_batch
        self._replay_chunk = replay_chunk
        self._thread: StoreThread[sqlite3.Connection] | None = None

    def __repr__(self) -> str:
        return f"<SqliteJournal {str(self.path)!r} synchronous={self.synchronous}>"

    def _running_thread(self) -> StoreThread[sqlite3.Connection]:
        thread = self._thread
        if thread is None:
            thread = self._thread = StoreThread(
                self._store, name=f"anyactors journal {self.path.name}", max_batch=self._max_batch
            )
        return thread

    async def _call(self, operation: Any, *, write: bool) -> Any:
        return await self._running_thread().call(operation, write=write)

    def statistics(self) -> JournalStatistics:
        """Transactions committed and the writes they held, since the thread last started."""
        thread = self._thread
        if thread is None:
            return JournalStatistics(transactions=0, writes=0)
        return JournalStatistics(transactions=thread.transactions, writes=thread.writes)

    async def close(self) -> None:
        """Finish the queued calls, close the file and end the thread (a later call reopens)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            await thread.stop()

    # -- events -------------------------------------------------------------------

    async def append(
        self, persistence_id: str, events: Sequence[object], *, expected_sequence_number: int
    ) -> None:
        """See :meth:`Journal.append`."""
        check_id(persistence_id)
        check_number(expected_sequence_number, "expected_sequence_number", 0)
        if not events:
            return
        payloads = [self._codec.encode(event) for event in events]
        # StoreThread.call, inlined: this is every persist's path. The request
        # carries the append as data (the store combines a batch of them).
        append: Any = AppendEvents(persistence_id, payloads, expected_sequence_number)
        request = (self._thread or self._running_thread()).submit(append, write=True)
        await request.wait()
        if request.error is not None:
            raise request.error

    def replay(
        self, persistence_id: str, *, from_sequence_number: int = 1
    ) -> AsyncGenerator[EventRecord, None]:
        """See :meth:`Journal.replay`. Reads ``replay_chunk`` events at a time."""
        chunks = self._replay_chunks(persistence_id, from_sequence_number)
        return records_of_chunks(persistence_id, chunks)

    async def _replay_chunks(
        self, persistence_id: str, from_sequence_number: int
    ) -> AsyncGenerator[tuple[list[tuple[int, bytes]], list[object]], None]:
        """Replay by chunks: the rows (number, payload) and their decoded events.

        What ``EventSourcedActor`` recovers from when the journal has it: no
        record object and no generator step per event. The thread reads and
        decodes the next chunk while the caller applies this one.
        """
        check_id(persistence_id)
        check_number(from_sequence_number, "from_sequence_number", 1)
        thread = self._running_thread()
        pending = thread.submit(
            partial(self._read_events, persistence_id, from_sequence_number), write=False
        )
        while True:
            rows, events = await thread.result(pending)
            full = len(rows) == self._replay_chunk
            if full:  # read the next chunk while this one is applied
                start = rows[-1][0] + 1
                pending = thread.submit(
                    partial(self._read_events, persistence_id, start), write=False
                )
            if rows:
                yield rows, events
            if not full:
                return

    def _read_events(
        self, persistence_id: str, start: int, connection: sqlite3.Connection
    ) -> tuple[list[tuple[int, bytes]], list[object]]:
        rows: list[tuple[int, bytes]] = connection.execute(
            "SELECT sequence_number, payload FROM anyactors_events "
            "WHERE persistence_id = ? AND sequence_number >= ? "
            "ORDER BY sequence_number LIMIT ?",
            (persistence_id, start, self._replay_chunk),
        ).fetchall()
        try:
            events = self._codec.decode_all([payload for _, payload in rows])
        except UndecodableValue:
            for number, payload in rows:  # name the row that fails
                try:
                    self._codec.decode(payload)
                except UndecodableValue as error:
                    raise corrupt(self.path, persistence_id, f"event {number}", error) from None
            raise
        return rows, events

    async def highest_sequence_number(self, persistence_id: str) -> int:
        """See :meth:`Journal.highest_sequence_number`."""
        check_id(persistence_id)
        return int(await self._call(partial(self._store.highest, persistence_id), write=False))

    async def delete_events(self, persistence_id: str, *, to_sequence_number: int) -> None:
        """See :meth:`Journal.delete_events`."""
        check_id(persistence_id)
        check_number(to_sequence_number, "to_sequence_number", 0)
        await self._call(partial(delete_events, persistence_id, to_sequence_number), write=True)

    # -- snapshots ----------------------------------------------------------------

    async def save_snapshot(
        self, persistence_id: str, sequence_number: int, snapshot: object, *, keep: int
    ) -> None:
        """See :meth:`Journal.save_snapshot`."""
        check_id(persistence_id)
        check_number(sequence_number, "sequence_number", 0)
        check_number(keep, "keep", 1)
        payload = self._codec.encode(snapshot)
        await self._call(
            partial(save_snapshot, persistence_id, sequence_number, payload, keep), write=True
        )

    async def load_snapshot(
        self, persistence_id: str, *, max_sequence_number: int | None = None
    ) -> SnapshotRecord | None:
        """See :meth:`Journal.load_snapshot`."""
        check_id(persistence_id)
        limit = (1 << 62) if max_sequence_number is None else max_sequence_number
        row = await self._call(
            partial(
                fetch_one,
                "SELECT sequence_number, payload FROM anyactors_snapshots "
                "WHERE persistence_id = ? AND sequence_number <= ? "
                "ORDER BY sequence_number DESC LIMIT 1",
                (persistence_id, limit),
            ),
            write=False,
        )
        if row is None:
            return None
        number, payload = row
        try:
            snapshot = self._codec.decode(payload)
        except UndecodableValue as error:
            raise corrupt(self.path, persistence_id, f"snapshot {number}", error) from None
        return SnapshotRecord(persistence_id, number, snapshot)

    # -- durable state ------------------------------------------------------------

    async def load_state(self, persistence_id: str) -> StateRecord | None:
        """See :meth:`Journal.load_state`."""
        check_id(persistence_id)
        row = await self._call(
            partial(
                fetch_one,
                "SELECT revision, payload FROM anyactors_states WHERE persistence_id = ?",
                (persistence_id,),
            ),
            write=False,
        )
        if row is None:
            return None
        revision, payload = row
        try:
            state = self._codec.decode(payload)
        except UndecodableValue as error:
            raise corrupt(self.path, persistence_id, f"state revision {revision}", error) from None
        return StateRecord(persistence_id, revision, state)

    async def upsert_state(self, persistence_id: str, revision: int, state: object) -> None:
        """See :meth:`Journal.upsert_state`."""
        check_id(persistence_id)
        check_number(revision, "revision", 1)
        payload = self._codec.encode(state)
        await self._call(partial(upsert_state, persistence_id, revision, payload), write=True)
