"""The blocking half of ``PostgresJournal``: psycopg 3's synchronous API over a ``psycopg_pool``.

Every method here blocks and runs in a worker thread (``anyio.to_thread``);
``_postgres.py`` is the async face. Nothing here knows about events or
registries: rows are ``(persistence_id, sequence_number, payload bytes)``.

The single-writer rule lives in the tables: ``PRIMARY KEY (persistence_id,
sequence_number)`` on the events, and a revision compare-and-set on the
durable states. A batch of writes from many actors is one transaction:
``BEGIN``, one statement for all its appends, ``COMMIT``. A write that loses
a number, or whose expected number is not the highest, leaves no row and is
reported as a conflict, while the other writes of the batch commit. A batch
of one append (a lone writer) is one autocommitted statement instead, atomic
by itself: one round trip rather than three.
(psycopg's pipeline mode would save the ``BEGIN`` round trip, but on this
path it cost more CPU than it saved: measured, 0.9 against 0.7 ms a batch
on loopback.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

import psycopg
import psycopg_pool
from psycopg import sql

from ._postgres_known import KnownHeads, append_arrays
from ._postgres_sql import Statements
from ._postgres_writer import closed_by_server
from ._postgres_writes import Append, SnapshotSave, StateSave, Write

logger = logging.getLogger(__name__)

#: Tried again once when PostgreSQL picks a batch as a deadlock victim.
_RETRIED = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)

_ResultT = TypeVar("_ResultT")
_Connection = psycopg.Connection[tuple[object, ...]]


class _NotSent(psycopg.OperationalError):
    """The connection failed before the transaction's COMMIT was sent: safe to retry.

    A driver error, so that if the retry fails the same way the caller sees a
    ``JournalError``.
    """


class PostgresStore:
    """Tables, transactions and a connection pool; every method blocks."""

    def __init__(
        self,
        conninfo: str,
        *,
        table_prefix: str,
        pool_size: int,
        connect_timeout: float,
        synchronous_commit: str | None,
    ) -> None:
        self.sql = Statements(table_prefix)
        #: The highest numbers this store committed or read: the fast path's knowledge.
        self.known = KnownHeads()
        self.synchronous_commit = synchronous_commit
        self.connect_timeout = connect_timeout
        self.pool = psycopg_pool.ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            open=False,
            timeout=connect_timeout,
            configure=self._configure,
            kwargs={"connect_timeout": max(1, round(connect_timeout))},
            name="anyactors-journal",
        )

    def _configure(self, connection: _Connection) -> None:
        # Generic plans for the journal's prepared statements: each is a keyed
        # lookup whose best plan does not depend on the values. A custom plan
        # made from stale statistics (right after a bulk load, before
        # autovacuum analyzes) took a bitmap scan and a sort of every
        # remaining event for each replay chunk: 8x slower on 300,000 events.
        connection.execute("SELECT set_config('plan_cache_mode', 'force_generic_plan', false)")
        if self.synchronous_commit is not None:
            connection.execute(
                "SELECT set_config('synchronous_commit', %s, false)", (self.synchronous_commit,)
            )
        connection.commit()

    # -- life ----------------------------------------------------------------

    def open(self) -> None:
        """Open the pool (waiting for one connection) and create the tables if missing."""
        self.pool.open(wait=True, timeout=self.connect_timeout)
        with self.pool.connection() as connection, connection.transaction():
            # Two processes creating the tables at once would race on the catalogs.
            connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.sql.lock_key,))
            for statement in self.sql.schema:
                connection.execute(statement)

    def close(self) -> None:
        """Close every connection of the pool."""
        self.pool.close()

    def _read(self, read: Callable[[_Connection], _ResultT]) -> _ResultT:
        """``read`` on a pooled connection, once more on a fresh one if the first was dead.

        The pool does not ping a connection it lends (a round trip each
        time); one that died while idle (a server restart) fails at its first
        use, and a read is safe to repeat.
        """
        try:
            with self.pool.connection() as connection:
                return read(connection)
        except psycopg.OperationalError as error:
            if isinstance(error, psycopg_pool.PoolTimeout):
                raise
            logger.info("journal read retried on a fresh connection after %s", error)
            with self.pool.connection() as connection:
                return read(connection)

    # -- the group-commit batch -----------------------------------------------

    def commit_batch(self, writes: Sequence[Write]) -> list[bool]:
        """Run ``writes`` in one transaction; for each, ``True`` if it took effect.

        ``False`` means a conflict: an append whose numbers are taken or whose
        expected number is not the highest, a state save whose revision is
        not exactly one more than the stored one. Conflicting writes leave no
        row. A batch is tried again once if PostgreSQL chose it as a deadlock
        victim, or if its connection was dead before ``COMMIT`` was sent
        (nothing of it can have been stored then).
        """
        try:
            return self._commit_batch(writes)
        except _RETRIED as error:
            logger.info("journal batch retried after %s", type(error).__name__)
        except _NotSent as error:
            logger.info("journal batch retried on a fresh connection after %s", error.__cause__)
        return self._commit_batch(writes)

    def _commit_batch(self, writes: Sequence[Write]) -> list[bool]:
        outcome: list[bool] | None = None
        if len(writes) == 1 and type(writes[0]) is Append:
            outcome = [self._append_alone(writes[0])]
        elif all(type(write) is Append for write in writes):
            appends = cast("Sequence[Append]", writes)
            if self.known.continues(appends):
                # None: another writer took a number; nothing stored, so the general path runs.
                outcome = self._append_known(appends)
        if outcome is None:
            outcome = self._commit_general(writes)
        self.known.remember(writes, outcome)
        return outcome

    def _append_known(self, appends: Sequence[Append]) -> list[bool] | None:
        """Appends that each continue a known number: one autocommitted statement.

        ``None`` (nothing stored) when a number was taken by another writer.
        See ``_postgres_known.py``.
        """
        result = self._autocommitted(self.sql.append_known, append_arrays(appends))
        if result is None:
            return None
        refused = {row[0] for row in result[1]}
        return [write.persistence_id not in refused for write in appends]

    def _commit_general(self, writes: Sequence[Write]) -> list[bool]:
        outcome = [True] * len(writes)
        committing = False
        try:
            with self.pool.connection() as connection, connection.transaction():
                appends = [
                    (i, write) for i, write in enumerate(writes) if isinstance(write, Append)
                ]
                if appends:
                    self._append(connection, appends, outcome)
                with connection.cursor() as cursor:
                    for index, write in enumerate(writes):
                        if isinstance(write, StateSave):
                            outcome[index] = self._save_state(cursor, write)
                        elif isinstance(write, SnapshotSave):
                            self._save_snapshot(cursor, write)
                committing = True
        except psycopg.OperationalError as error:
            if committing or isinstance(error, psycopg_pool.PoolTimeout):
                raise  # a COMMIT whose answer was lost: stored or not, nobody knows
            raise _NotSent(str(error)) from error
        return outcome

    def _append(
        self, connection: _Connection, appends: list[tuple[int, Append]], outcome: list[bool]
    ) -> None:
        # Writes of one key in one batch (two live writers of one id) go in
        # successive rounds, so each round's outcome is unambiguous.
        pending = appends
        while pending:
            claimed: set[tuple[str, int]] = set()
            this_round: list[tuple[int, Append]] = []
            later: list[tuple[int, Append]] = []
            for index, write in pending:
                keys = {(write.persistence_id, sequence) for sequence in _numbers(write)}
                if keys & claimed:
                    later.append((index, write))
                else:
                    claimed |= keys
                    this_round.append((index, write))
            if len(this_round) == 1:
                index, write = this_round[0]
                outcome[index] = self._append_one(connection, write)
            else:
                self._append_round(connection, this_round, outcome)
            pending = later

    def _append_alone(self, write: Append) -> bool:
        """A batch of one append (a lone writer): one autocommitted statement.

        One round trip instead of three (``BEGIN``, the statement,
        ``COMMIT``). The statement is its own transaction, and atomic: the
        checks refuse it as a whole, and a number already taken fails it as a
        whole (no ``ON CONFLICT``), so it stores all of the write or nothing.
        """
        arguments = {
            "id": write.persistence_id,
            "numbers": list(_numbers(write)),
            "payloads": list(write.payloads),
            "expected": write.expected,
        }
        result = self._autocommitted(self.sql.append_alone, arguments)
        # None: a number is taken, so nothing was stored.
        return result is not None and result[0] == len(write.payloads)

    def _autocommitted(
        self, statement: sql.Composed, arguments: Sequence[object] | dict[str, object]
    ) -> tuple[int, list[tuple[object, ...]]] | None:
        """Run one statement as its own transaction: its row count and rows (``None``: key taken).

        ``None`` means the primary key failed the statement: being one
        statement, it stored nothing. Before using an idle connection, one
        poll checks that the server has not closed it (then nothing was sent,
        and ``commit_batch`` retries on a fresh connection).
        """
        with self.pool.connection() as connection:
            if closed_by_server(connection):
                connection.close()
                closed = ConnectionError("the server closed the idle connection")
                raise _NotSent(str(closed)) from closed
            connection.autocommit = True
            try:
                cursor = connection.execute(statement, arguments)
                rows = cursor.fetchall() if cursor.description is not None else []
            except psycopg.errors.UniqueViolation:
                return None
            finally:
                if not connection.broken:
                    connection.autocommit = False
            return cursor.rowcount, rows

    def _append_one(self, connection: _Connection, write: Append) -> bool:
        """A round of one write: ``append_one``, and undo a partial insert."""
        numbers = list(_numbers(write))
        arguments = {
            "id": write.persistence_id,
            "numbers": numbers,
            "payloads": list(write.payloads),
            "expected": write.expected,
        }
        inserted = connection.execute(self.sql.append_one, arguments).fetchall()
        if len(inserted) == len(numbers):
            return True
        if inserted:  # all or nothing: another writer took some of the numbers
            taken = [cast("int", row[0]) for row in inserted]
            connection.execute(self.sql.delete_keys, ([write.persistence_id] * len(taken), taken))
        return False

    def _append_round(
        self, connection: _Connection, appends: list[tuple[int, Append]], outcome: list[bool]
    ) -> None:
        arrays = append_arrays([write for _, write in appends])
        rows = connection.execute(self.sql.append, arrays).fetchall()
        taken: set[tuple[str, int]] = set()
        refused: set[tuple[str, int]] = set()
        for kind, persistence_id, number in rows:
            key = (cast("str", persistence_id), cast("int", number))
            (taken if kind == "i" else refused).add(key)
        undo: list[tuple[str, int]] = []
        for index, write in appends:
            if (write.persistence_id, write.expected) in refused:
                outcome[index] = False
                continue
            keys = [(write.persistence_id, sequence) for sequence in _numbers(write)]
            if not all(key in taken for key in keys):
                outcome[index] = False  # all or nothing: undo the part that went in
                undo.extend(key for key in keys if key in taken)
        if undo:
            connection.execute(
                self.sql.delete_keys, ([key[0] for key in undo], [key[1] for key in undo])
            )

    def _save_state(self, cursor: psycopg.Cursor[tuple[object, ...]], write: StateSave) -> bool:
        if write.revision == 1:
            cursor.execute(self.sql.insert_first_state, (write.persistence_id, write.payload))
        else:
            cursor.execute(
                self.sql.update_state,
                (write.revision, write.payload, write.persistence_id, write.revision - 1),
            )
        return cursor.fetchone() is not None

    def _save_snapshot(
        self, cursor: psycopg.Cursor[tuple[object, ...]], write: SnapshotSave
    ) -> None:
        cursor.execute(
            self.sql.save_snapshot, (write.persistence_id, write.sequence_number, write.payload)
        )
        cursor.execute(
            self.sql.trim_snapshots, (write.persistence_id, write.persistence_id, write.keep)
        )

    # -- reads and deletes ----------------------------------------------------

    def replay_after(self, persistence_id: str, after: int, limit: int) -> list[tuple[int, bytes]]:
        """At most ``limit`` rows of ``persistence_id`` numbered above ``after``, in order."""

        def read(connection: _Connection) -> list[tuple[object, ...]]:
            query = self.sql.replay_after
            arguments = (persistence_id, after, limit)
            return connection.execute(query, arguments, binary=True, prepare=True).fetchall()

        # Binary rows are (int, bytes) already: no conversion per row on a long replay.
        # Prepared at once, so the first chunks get the generic plan too (an
        # index scan from ``after``; see _configure).
        return cast("list[tuple[int, bytes]]", self._read(read))

    def highest_sequence_number(self, persistence_id: str) -> int:
        """The highest sequence number ever written for ``persistence_id`` (0 if none)."""

        def read(connection: _Connection) -> tuple[object, ...] | None:
            return connection.execute(self.sql.highest, (persistence_id, persistence_id)).fetchone()

        row = self._read(read)
        assert row is not None
        highest = _int(row[0])
        self.known.learn(persistence_id, highest)  # its next append may take the fast path
        return highest

    def delete_up_to(self, persistence_id: str, sequence_number: int) -> None:
        """Delete the events ``1 .. sequence_number``; the highest number stays known."""
        with self.pool.connection() as connection, connection.transaction():
            connection.execute(self.sql.delete_events, (persistence_id, sequence_number))
            connection.execute(self.sql.record_deletion, (persistence_id, sequence_number))

    def load_snapshot(self, persistence_id: str, limit: int) -> tuple[int, bytes] | None:
        """The latest snapshot at or below ``limit`` as ``(sequence_number, payload)``."""

        def read(connection: _Connection) -> tuple[object, ...] | None:
            return connection.execute(self.sql.load_snapshot, (persistence_id, limit)).fetchone()

        row = self._read(read)
        return None if row is None else (_int(row[0]), _bytes(row[1]))

    def load_state(self, persistence_id: str) -> tuple[int, bytes] | None:
        """The durable state of ``persistence_id`` as ``(revision, payload)``."""

        def read(connection: _Connection) -> tuple[object, ...] | None:
            return connection.execute(self.sql.load_state, (persistence_id,)).fetchone()

        row = self._read(read)
        return None if row is None else (_int(row[0]), _bytes(row[1]))


def _numbers(write: Append) -> range:
    return range(write.expected + 1, write.expected + 1 + len(write.payloads))


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(f"expected an integer from PostgreSQL (got {value!r})")
    return value


def _bytes(value: object) -> bytes:
    if not isinstance(value, bytes | memoryview):
        raise TypeError(f"expected bytea from PostgreSQL (got {type(value).__name__})")
    return bytes(value)
