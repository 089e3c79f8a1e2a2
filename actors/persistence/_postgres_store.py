"""The blocking half of ``PostgresJournal``: psycopg 3's synchronous API over a ``psycopg_pool``.

Every method here blocks and runs in a worker thread (``anyio.to_thread``);
``_postgres.py`` is the async face. Nothing here knows about events or
registries: rows are ``(persistence_id, sequence_number, payload bytes)``.

The single-writer rule lives in the tables: ``PRIMARY KEY (persistence_id,
sequence_number)`` on the events, and a revision compare-and-set on the
durable states. A batch of appends from many writers is one transaction; a
write that loses its key (or whose predecessor is missing: a gap) is undone
inside that transaction and reported as a conflict, while the other writes
of the batch commit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import cast

import psycopg
import psycopg_pool
from attrs import frozen
from psycopg import sql

logger = logging.getLogger(__name__)

#: Tried again once when PostgreSQL picks a batch as a deadlock victim.
_RETRIED = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)


@frozen
class Append:
    """One atomic write: ``payloads`` become ``expected + 1 ..`` of ``persistence_id``."""

    persistence_id: str
    expected: int
    payloads: tuple[bytes, ...]


@frozen
class StateSave:
    """Save ``payload`` as ``revision`` of ``persistence_id`` if ``revision - 1`` is stored."""

    persistence_id: str
    revision: int
    payload: bytes


@frozen
class SnapshotSave:
    """Store a snapshot at ``sequence_number``; keep the latest ``keep`` of the id."""

    persistence_id: str
    sequence_number: int
    payload: bytes
    keep: int


Write = Append | StateSave | SnapshotSave


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
        self.events = sql.Identifier(f"{table_prefix}events")
        self.deletions = sql.Identifier(f"{table_prefix}event_deletions")
        self.snapshots = sql.Identifier(f"{table_prefix}snapshots")
        self.states = sql.Identifier(f"{table_prefix}states")
        self.lock_key = f"{table_prefix}schema"
        self.synchronous_commit = synchronous_commit
        self.connect_timeout = connect_timeout
        self.pool = psycopg_pool.ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            open=False,
            timeout=connect_timeout,
            configure=self._configure,
            # A ping on checkout: after a server restart the first write then
            # gets a fresh connection instead of failing on a dead one.
            check=psycopg_pool.ConnectionPool.check_connection,
            kwargs={"connect_timeout": max(1, round(connect_timeout))},
            name="anyactors-journal",
        )

    def _configure(self, connection: psycopg.Connection[tuple[object, ...]]) -> None:
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
            connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.lock_key,))
            for statement in self._schema():
                connection.execute(statement)

    def _schema(self) -> list[sql.Composed]:
        return [
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " persistence_id text NOT NULL,"
                " sequence_number bigint NOT NULL CHECK (sequence_number > 0),"
                " payload bytea NOT NULL,"
                " PRIMARY KEY (persistence_id, sequence_number))"
            ).format(self.events),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " persistence_id text PRIMARY KEY,"
                " deleted_to bigint NOT NULL)"
            ).format(self.deletions),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " persistence_id text NOT NULL,"
                " sequence_number bigint NOT NULL,"
                " payload bytea NOT NULL,"
                " PRIMARY KEY (persistence_id, sequence_number))"
            ).format(self.snapshots),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " persistence_id text PRIMARY KEY,"
                " revision bigint NOT NULL CHECK (revision > 0),"
                " payload bytea NOT NULL)"
            ).format(self.states),
        ]

    def close(self) -> None:
        """Close every connection of the pool."""
        self.pool.close()

    # -- the group-commit batch -----------------------------------------------

    def commit_batch(self, writes: Sequence[Write]) -> list[bool]:
        """Run ``writes`` in one transaction; for each, ``True`` if it took effect.

        ``False`` means a conflict: an append whose sequence numbers are taken
        or whose predecessor is missing, a state save whose revision is not
        exactly one more than the stored one. Conflicting writes leave no row.
        """
        try:
            return self._commit_batch(writes)
        except _RETRIED as error:
            logger.info("journal batch retried after %s", type(error).__name__)
            return self._commit_batch(writes)

    def _commit_batch(self, writes: Sequence[Write]) -> list[bool]:
        outcome = [True] * len(writes)
        with self.pool.connection() as connection, connection.transaction():
            appends = [
                (index, write) for index, write in enumerate(writes) if isinstance(write, Append)
            ]
            if appends:
                self._append(connection, appends, outcome)
            with connection.cursor() as cursor:
                for index, write in enumerate(writes):
                    if isinstance(write, StateSave):
                        outcome[index] = self._save_state(cursor, write)
                    elif isinstance(write, SnapshotSave):
                        self._save_snapshot(cursor, write)
        return outcome

    def _append(
        self,
        connection: psycopg.Connection[tuple[object, ...]],
        appends: list[tuple[int, Append]],
        outcome: list[bool],
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
            self._insert_round(connection, this_round, outcome)
            pending = later
        # The primary key refuses a number taken; this refuses the rest of
        # "expected is not the highest": a predecessor missing (a gap) or
        # numbers past ``expected`` stored once and deleted since.
        followers = [(index, write) for index, write in appends if outcome[index]]
        if not followers:
            return
        missing = connection.execute(
            sql.SQL(
                "SELECT w.persistence_id, w.expected"
                " FROM unnest(%b::text[], %b::bigint[]) AS w (persistence_id, expected)"
                " LEFT JOIN {1} d ON d.persistence_id = w.persistence_id"
                " WHERE d.deleted_to > w.expected OR (w.expected > 0"
                " AND coalesce(d.deleted_to, 0) < w.expected AND NOT EXISTS (SELECT 1 FROM {0} e"
                " WHERE e.persistence_id = w.persistence_id AND e.sequence_number = w.expected))"
            ).format(self.events, self.deletions),
            (
                [write.persistence_id for _, write in followers],
                [write.expected for _, write in followers],
            ),
        ).fetchall()
        gaps = {(str(pid), _int(expected)) for pid, expected in missing}
        undo: list[tuple[str, int]] = []
        for index, write in followers:
            if (write.persistence_id, write.expected) in gaps:
                outcome[index] = False
                undo.extend((write.persistence_id, sequence) for sequence in _numbers(write))
        self._delete_keys(connection, undo)

    def _insert_round(
        self,
        connection: psycopg.Connection[tuple[object, ...]],
        appends: list[tuple[int, Append]],
        outcome: list[bool],
    ) -> None:
        rows = sorted(
            (write.persistence_id, sequence, payload)
            for _, write in appends
            for sequence, payload in zip(_numbers(write), write.payloads, strict=True)
        )
        # Rows go in key order, so that two batches never wait on each other in a cycle.
        inserted = connection.execute(
            sql.SQL(
                "INSERT INTO {} (persistence_id, sequence_number, payload)"
                " SELECT * FROM unnest(%b::text[], %b::bigint[], %b::bytea[])"
                " AS row (persistence_id, sequence_number, payload)"
                " ORDER BY persistence_id, sequence_number"
                " ON CONFLICT DO NOTHING RETURNING persistence_id, sequence_number"
            ).format(self.events),
            ([row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows]),
        ).fetchall()
        taken = {(str(pid), _int(sequence)) for pid, sequence in inserted}
        undo: list[tuple[str, int]] = []
        for index, write in appends:
            keys = [(write.persistence_id, sequence) for sequence in _numbers(write)]
            if not all(key in taken for key in keys):
                outcome[index] = False  # all or nothing: undo the part that went in
                undo.extend(key for key in keys if key in taken)
        self._delete_keys(connection, undo)

    def _delete_keys(
        self, connection: psycopg.Connection[tuple[object, ...]], keys: list[tuple[str, int]]
    ) -> None:
        if keys:
            connection.execute(
                sql.SQL(
                    "DELETE FROM {} WHERE (persistence_id, sequence_number) IN"
                    " (SELECT * FROM unnest(%b::text[], %b::bigint[]))"
                ).format(self.events),
                ([key[0] for key in keys], [key[1] for key in keys]),
            )

    def _save_state(self, cursor: psycopg.Cursor[tuple[object, ...]], write: StateSave) -> bool:
        if write.revision == 1:
            cursor.execute(
                sql.SQL(
                    "INSERT INTO {} (persistence_id, revision, payload) VALUES (%s, 1, %s)"
                    " ON CONFLICT DO NOTHING"
                ).format(self.states),
                (write.persistence_id, write.payload),
            )
        else:
            cursor.execute(
                sql.SQL(
                    "UPDATE {} SET revision = %s, payload = %s"
                    " WHERE persistence_id = %s AND revision = %s"
                ).format(self.states),
                (write.revision, write.payload, write.persistence_id, write.revision - 1),
            )
        return cursor.rowcount == 1

    def _save_snapshot(
        self, cursor: psycopg.Cursor[tuple[object, ...]], write: SnapshotSave
    ) -> None:
        cursor.execute(
            sql.SQL(
                "INSERT INTO {} (persistence_id, sequence_number, payload) VALUES (%s, %s, %s)"
                " ON CONFLICT (persistence_id, sequence_number)"
                " DO UPDATE SET payload = excluded.payload"
            ).format(self.snapshots),
            (write.persistence_id, write.sequence_number, write.payload),
        )
        cursor.execute(
            sql.SQL(
                "DELETE FROM {0} WHERE persistence_id = %s AND sequence_number < ("
                " SELECT min(sequence_number) FROM (SELECT sequence_number FROM {0}"
                " WHERE persistence_id = %s ORDER BY sequence_number DESC LIMIT %s) AS kept)"
            ).format(self.snapshots),
            (write.persistence_id, write.persistence_id, write.keep),
        )

    # -- reads and deletes ----------------------------------------------------

    def replay_after(self, persistence_id: str, after: int, limit: int) -> list[tuple[int, bytes]]:
        """At most ``limit`` rows of ``persistence_id`` numbered above ``after``, in order."""
        with self.pool.connection() as connection:
            rows = connection.execute(
                sql.SQL(
                    "SELECT sequence_number, payload FROM {} WHERE persistence_id = %s"
                    " AND sequence_number > %s ORDER BY sequence_number LIMIT %s"
                ).format(self.events),
                (persistence_id, after, limit),
                binary=True,
            ).fetchall()
        # Binary rows are (int, bytes) already: no conversion per row on a long replay.
        return cast("list[tuple[int, bytes]]", rows)

    def highest_sequence_number(self, persistence_id: str) -> int:
        """The highest sequence number ever written for ``persistence_id`` (0 if none)."""
        with self.pool.connection() as connection:
            row = connection.execute(
                sql.SQL(
                    "SELECT greatest("
                    " (SELECT max(sequence_number) FROM {} WHERE persistence_id = %s),"
                    " (SELECT deleted_to FROM {} WHERE persistence_id = %s), 0)"
                ).format(self.events, self.deletions),
                (persistence_id, persistence_id),
            ).fetchone()
        assert row is not None
        return _int(row[0])

    def delete_up_to(self, persistence_id: str, sequence_number: int) -> None:
        """Delete the events ``1 .. sequence_number``; the highest number stays known."""
        with self.pool.connection() as connection, connection.transaction():
            connection.execute(
                sql.SQL(
                    "DELETE FROM {} WHERE persistence_id = %s AND sequence_number <= %s"
                ).format(self.events),
                (persistence_id, sequence_number),
            )
            connection.execute(
                sql.SQL(
                    "INSERT INTO {} (persistence_id, deleted_to) VALUES (%s, %s)"
                    " ON CONFLICT (persistence_id) DO UPDATE"
                    " SET deleted_to = greatest(excluded.deleted_to, {}.deleted_to)"
                ).format(self.deletions, self.deletions),
                (persistence_id, sequence_number),
            )

    def load_snapshot(self, persistence_id: str, limit: int) -> tuple[int, bytes] | None:
        """The latest snapshot at or below ``limit`` as ``(sequence_number, payload)``."""
        with self.pool.connection() as connection:
            row = connection.execute(
                sql.SQL(
                    "SELECT sequence_number, payload FROM {} WHERE persistence_id = %s"
                    " AND sequence_number <= %s ORDER BY sequence_number DESC LIMIT 1"
                ).format(self.snapshots),
                (persistence_id, limit),
            ).fetchone()
        return None if row is None else (_int(row[0]), _bytes(row[1]))

    def load_state(self, persistence_id: str) -> tuple[int, bytes] | None:
        """The durable state of ``persistence_id`` as ``(revision, payload)``."""
        with self.pool.connection() as connection:
            row = connection.execute(
                sql.SQL("SELECT revision, payload FROM {} WHERE persistence_id = %s").format(
                    self.states
                ),
                (persistence_id,),
            ).fetchone()
        return None if row is None else (_int(row[0]), _bytes(row[1]))


def _numbers(write: Append) -> range:
    return range(write.expected + 1, write.expected + 1 + len(write.payloads))


def _int(value: object) -> int:
    assert isinstance(value, int), value
    return value


def _bytes(value: object) -> bytes:
    assert isinstance(value, bytes | memoryview), type(value)
    return bytes(value)
