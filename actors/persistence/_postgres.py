"""``PostgresJournal``: the journal on PostgreSQL, through psycopg 3 in worker threads.

Why the blocking driver: psycopg's async API and asyncpg run only on asyncio,
and anyactors runs on asyncio and trio alike. psycopg's synchronous API with
``psycopg_pool`` is mature and complete; its calls run in threads, so actor
code awaits them on either backend and never blocks the event loop. Writes go
to one dedicated writer thread, as ``SqliteJournal``'s do (``_thread.py``,
``_postgres_writer.py``): it commits whatever is queued in one transaction
(group commit) and wakes the batch's writers with one call per event loop,
far cheaper per persist than a hop through ``anyio.to_thread``. Reads take the
pool's other connections in worker threads.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import anyio

from actors.serialization import MessageRegistry, UndecodableValue, ValueCodec

from ._errors import JournalError, PersistenceConflict
from ._postgres_writer import BatchWriter, journal_error
from ._postgres_writes import Append, SnapshotSave, StateSave, Write
from ._records import (
    EventRecord,
    JournalStatistics,
    SnapshotRecord,
    StateRecord,
    check_id,
    check_number,
    records_of_chunks,
)
from ._thread import StoreThread

if TYPE_CHECKING:
    from ._postgres_store import PostgresStore

#: PostgreSQL's ``synchronous_commit`` settings (docs/persistence.md: what each can lose).
SynchronousCommit = Literal["on", "remote_apply", "remote_write", "local", "off"]

_ResultT = TypeVar("_ResultT")


class PostgresJournal:
    """A journal on PostgreSQL: events, snapshots and durable states in four tables.

    ::

        journal = PostgresJournal("postgresql://bank@db.internal/bank", registry=registry)
        async with ActorSystem("bank", journal=journal) as system: ...

    The single-writer rule is PostgreSQL's: ``PRIMARY KEY (persistence_id,
    sequence_number)`` on the events, a compare-and-set on the revision of a
    durable state. Appends and saves from many actors at once are batched
    (group commit): one transaction commits a whole batch, and each call
    returns only after the transaction holding its write has committed. A
    write that conflicts is undone inside the batch; the others commit.

    The connection pool opens, and the tables are created if missing, on
    first use; :meth:`close` closes the pool, and a later call opens a new
    one. If PostgreSQL is unreachable a call raises :class:`JournalError`
    after at most ``connect_timeout`` seconds; the actor that called it
    fails and its supervisor decides (a ``Backoff`` strategy rides out an
    outage).

    Args:
        conninfo: a libpq connection string or URI, such as
            ``"postgresql://bank@db.internal/bank"`` or ``"host=... dbname=..."``.
        registry: the stored types (a ``MessageRegistry``).
        pool_size: the most connections open at once: appends use one at a
            time (group commit), recoveries and loads the others.
        max_batch: the most writes committed in one transaction.
        connect_timeout: seconds to wait for a connection (at start, or when
            all are busy or the server is down) before :class:`JournalError`.
        synchronous_commit: PostgreSQL's ``synchronous_commit`` for the
            journal's sessions; ``None`` keeps the server's (``on`` by
            default). docs/persistence.md says what each setting can lose.
        table_prefix: the prefix of the four table names (``anyactors_events``
            and so on); letters, digits and underscores.
        replay_chunk: how many events one read of a replay fetches.

    Raises:
        ImportError: psycopg is missing; install ``anyactors[postgres]``.
        ValueError: a setting is out of range; the message names it.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        registry: MessageRegistry,
        pool_size: int = 4,
        max_batch: int = 1000,
        connect_timeout: float = 10.0,
        synchronous_commit: SynchronousCommit | None = None,
        table_prefix: str = "anyactors_",
        replay_chunk: int = 10_000,
    ) -> None:
        try:
            import psycopg  # noqa: F401, PLC0415 - the optional driver
            import psycopg_pool  # noqa: F401, PLC0415
        except ImportError as error:
            raise ImportError(
                "PostgresJournal needs psycopg and psycopg-pool (the postgres extra): "
                "pip install 'anyactors[postgres]'"
            ) from error
        if not isinstance(conninfo, str):
            raise TypeError(
                "conninfo must be a libpq connection string such as "
                f"'postgresql://app@db.internal/app' (got {conninfo!r})"
            )
        if not isinstance(registry, MessageRegistry):
            raise TypeError(
                f"registry must be an actors.persistence.MessageRegistry (got {registry!r}); "
                "register the event, snapshot and state classes in one"
            )
        for value, what in (
            (pool_size, "pool_size"),
            (max_batch, "max_batch"),
            (replay_chunk, "replay_chunk"),
        ):
            check_number(value, what, 1)
        if (
            isinstance(connect_timeout, bool)
            or not isinstance(connect_timeout, int | float)
            or not connect_timeout > 0
        ):
            raise ValueError(
                f"connect_timeout must be a number of seconds > 0 (got {connect_timeout!r})"
            )
        if synchronous_commit not in (None, "on", "remote_apply", "remote_write", "local", "off"):
            raise ValueError(
                "synchronous_commit must be None, 'on', 'remote_apply', 'remote_write', 'local' "
                f"or 'off' (got {synchronous_commit!r})"
            )
        if (
            not isinstance(table_prefix, str)
            or not table_prefix.isascii()
            or not table_prefix.replace("_", "a").isalnum()
            or table_prefix[0].isdigit()
        ):
            raise ValueError(
                "table_prefix must be letters, digits and underscores, not starting with a "
                f"digit (got {table_prefix!r})"
            )
        self._conninfo = conninfo
        self._pool_size = pool_size
        self._max_batch = max_batch
        self._connect_timeout = float(connect_timeout)
        self._synchronous_commit = synchronous_commit
        self._table_prefix = table_prefix
        self._replay_chunk = replay_chunk
        self._codec = ValueCodec(registry)
        self._store: PostgresStore | None = None
        #: Reads the next chunk of a replay while the current one is decoded.
        self._reader: ThreadPoolExecutor | None = None
        #: The writer thread, and what counts its transactions.
        self._writer: StoreThread[PostgresStore] | None = None
        self._batches: BatchWriter | None = None
        self._open_lock: anyio.Lock | None = None

    def __repr__(self) -> str:
        state = "open" if self._store is not None else "not open"
        return f"<PostgresJournal {self._table_prefix}* ({state})>"

    # -- life -----------------------------------------------------------------

    async def _ready(self) -> PostgresStore:
        """The open store, opening it (and starting the writer thread) on first use."""
        if self._store is None:
            if self._open_lock is None:
                self._open_lock = anyio.Lock()
            async with self._open_lock:
                if self._store is None:
                    await self._open()
        assert self._store is not None
        return self._store

    async def _write(self, write: Write) -> bool:
        """Commit ``write`` with whatever else is queued; ``False`` on a conflict.

        Returns once the transaction holding it has committed. Cancelled while
        waiting, the write still commits (or has): only its outcome is lost.
        """
        writer = self._writer
        if writer is None:
            await self._ready()
            writer = self._writer
            assert writer is not None
        # The thread hands the request to BatchWriter.run_writes, which
        # commits the batch's writes together; it never calls the operation.
        operation = cast("Any", write)
        return bool(await writer.call(operation, write=True))

    async def _open(self) -> None:
        from ._postgres_store import PostgresStore  # noqa: PLC0415

        store = PostgresStore(
            self._conninfo,
            table_prefix=self._table_prefix,
            pool_size=self._pool_size,
            connect_timeout=self._connect_timeout,
            synchronous_commit=self._synchronous_commit,
        )
        try:
            await self._call(store.open)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(store.close)
            raise
        self._batches = BatchWriter(store)
        self._writer = StoreThread(
            self._batches, name="anyactors-postgres-writer", max_batch=self._max_batch
        )
        self._reader = ThreadPoolExecutor(self._pool_size, thread_name_prefix="anyactors-replay")
        self._store = store

    async def _call(self, function: Callable[..., _ResultT], *args: object) -> _ResultT:
        try:
            return await anyio.to_thread.run_sync(function, *args)
        except Exception as error:
            raise journal_error(error) from error

    def statistics(self) -> JournalStatistics:
        """Transactions committed and the writes they held, since the pool last opened."""
        batches = self._batches
        if batches is None:
            return JournalStatistics(transactions=0, writes=0)
        return JournalStatistics(transactions=batches.transactions, writes=batches.writes)

    async def close(self) -> None:
        """Close the connection pool; a later call opens a new one. Idempotent; shielded."""
        store, self._store, self._batches = self._store, None, None
        writer, self._writer = self._writer, None
        reader, self._reader = self._reader, None
        self._open_lock = None  # the next open may be on another event loop
        with anyio.CancelScope(shield=True):
            if writer is not None:
                await writer.stop()  # commits every write queued so far
            if reader is not None:
                await anyio.to_thread.run_sync(reader.shutdown)  # waits for a prefetch
            if store is not None:
                await anyio.to_thread.run_sync(store.close)

    # -- events ---------------------------------------------------------------

    async def append(
        self, persistence_id: str, events: Sequence[object], *, expected_sequence_number: int
    ) -> None:
        """See :meth:`Journal.append`: atomic, and committed when it returns (group commit)."""

        check_id(persistence_id)
        check_number(expected_sequence_number, "expected_sequence_number", 0)
        if not events:
            return
        payloads = tuple(self._codec.encode(event) for event in events)
        if await self._write(Append(persistence_id, expected_sequence_number, payloads)):
            return
        store = await self._ready()
        actual = await self._call(store.highest_sequence_number, persistence_id)
        raise PersistenceConflict(persistence_id, expected_sequence_number, actual, "an append")

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

        What ``EventSourcedActor`` recovers from when the journal has it (as
        ``SqliteJournal``'s): no record object and no generator step per event.
        A reader thread reads and decodes the next chunk while the caller
        applies this one, so a long recovery waits on the server only once.
        """
        check_id(persistence_id)
        check_number(from_sequence_number, "from_sequence_number", 1)
        store = await self._ready()
        reader = self._reader
        assert reader is not None
        chunk = self._replay_chunk

        def read(after: int) -> tuple[list[tuple[int, bytes]], list[object]]:
            rows = store.replay_after(persistence_id, after, chunk)
            return rows, self._decode_rows(persistence_id, rows)

        pending: Future[tuple[list[tuple[int, bytes]], list[object]]] | None = reader.submit(
            read, from_sequence_number - 1
        )
        while pending is not None:
            try:
                rows, events = await anyio.to_thread.run_sync(pending.result)
            except Exception as error:
                translated = journal_error(error)
                if translated is error:
                    raise
                raise translated from error
            pending = None
            if len(rows) == chunk:  # read the next chunk while this one is applied
                pending = reader.submit(read, rows[-1][0])
            if rows:
                yield rows, events

    def _decode_rows(self, persistence_id: str, rows: list[tuple[int, bytes]]) -> list[object]:
        """The events of ``rows``; a row that cannot be decoded is named in the error."""
        try:
            return self._codec.decode_all([payload for _, payload in rows])
        except UndecodableValue:
            for number, payload in rows:
                self._decode(payload, persistence_id, f"event {number}")
            raise

    async def highest_sequence_number(self, persistence_id: str) -> int:
        """See :meth:`Journal.highest_sequence_number`."""
        check_id(persistence_id)
        store = await self._ready()
        return await self._call(store.highest_sequence_number, persistence_id)

    async def delete_events(self, persistence_id: str, *, to_sequence_number: int) -> None:
        """See :meth:`Journal.delete_events`; the highest number stays known."""
        check_id(persistence_id)
        check_number(to_sequence_number, "to_sequence_number", 0)
        store = await self._ready()
        await self._call(store.delete_up_to, persistence_id, to_sequence_number)

    def _decode(self, payload: bytes, persistence_id: str, what: str) -> object:
        try:
            return self._codec.decode(payload)
        except UndecodableValue as error:
            raise self._corrupt(persistence_id, what, error) from None

    def _corrupt(self, persistence_id: str, what: str, error: Exception) -> JournalError:
        return JournalError(
            f"the stored {what} of {persistence_id!r} in PostgreSQL "
            f"({self._table_prefix}* tables) cannot be decoded ({error}); restore it from "
            "a backup, or register the type and upcaster it was written with"
        )

    # -- snapshots ------------------------------------------------------------

    async def save_snapshot(
        self, persistence_id: str, sequence_number: int, snapshot: object, *, keep: int
    ) -> None:
        """See :meth:`Journal.save_snapshot`; committed with the current batch."""

        check_id(persistence_id)
        check_number(sequence_number, "sequence_number", 0)
        check_number(keep, "keep", 1)
        payload = self._codec.encode(snapshot)
        await self._write(SnapshotSave(persistence_id, sequence_number, payload, keep))

    async def load_snapshot(
        self, persistence_id: str, *, max_sequence_number: int | None = None
    ) -> SnapshotRecord | None:
        """See :meth:`Journal.load_snapshot`."""
        check_id(persistence_id)
        limit = (1 << 62) if max_sequence_number is None else max_sequence_number
        store = await self._ready()
        found = await self._call(store.load_snapshot, persistence_id, limit)
        if found is None:
            return None
        sequence_number, payload = found
        snapshot = self._decode(payload, persistence_id, f"snapshot {sequence_number}")
        return SnapshotRecord(persistence_id, sequence_number, snapshot)

    # -- durable state ----------------------------------------------------------

    async def load_state(self, persistence_id: str) -> StateRecord | None:
        """See :meth:`Journal.load_state`."""
        check_id(persistence_id)
        store = await self._ready()
        found = await self._call(store.load_state, persistence_id)
        if found is None:
            return None
        revision, payload = found
        state = self._decode(payload, persistence_id, f"state revision {revision}")
        return StateRecord(persistence_id, revision, state)

    async def upsert_state(self, persistence_id: str, revision: int, state: object) -> None:
        """See :meth:`Journal.upsert_state`; committed with the current batch."""

        check_id(persistence_id)
        check_number(revision, "revision", 1)
        payload = self._codec.encode(state)
        if not await self._write(StateSave(persistence_id, revision, payload)):
            store = await self._ready()
            found = await self._call(store.load_state, persistence_id)
            actual = 0 if found is None else found[0]
            raise PersistenceConflict(persistence_id, revision - 1, actual, "a state save")
