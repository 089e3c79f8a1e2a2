"""The SQL of ``SqliteJournal``: its schema, and what its dedicated thread runs."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._errors import JournalError, PersistenceConflict

SCHEMA = """
CREATE TABLE IF NOT EXISTS anyactors_streams (
    persistence_id TEXT PRIMARY KEY,
    highest_sequence_number INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS anyactors_events (
    persistence_id TEXT NOT NULL,
    sequence_number INTEGER NOT NULL,
    payload BLOB NOT NULL,
    PRIMARY KEY (persistence_id, sequence_number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS anyactors_snapshots (
    persistence_id TEXT NOT NULL,
    sequence_number INTEGER NOT NULL,
    payload BLOB NOT NULL,
    PRIMARY KEY (persistence_id, sequence_number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS anyactors_states (
    persistence_id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    payload BLOB NOT NULL
) WITHOUT ROWID;
"""


class AppendEvents:
    """One append, as a write request carries it (the thread combines a batch of them)."""

    __slots__ = ("expected", "payloads", "persistence_id")

    def __init__(self, persistence_id: str, payloads: list[bytes], expected: int) -> None:
        self.persistence_id = persistence_id
        self.payloads = payloads
        self.expected = expected


class Heads:
    """Each id's highest sequence number as this connection knows it, kept between batches.

    ``known`` is exact while no other connection has committed to the file:
    :meth:`check` (run first in each write transaction, under the write lock)
    compares ``PRAGMA data_version``, which changes exactly when another
    connection commits, and forgets everything if it moved. ``pending`` holds
    the numbers of the transaction under way; :meth:`committed` keeps them,
    :meth:`forget` drops everything (after a rollback or a failed commit).
    Reading the numbers once per id rather than once per batch is what keeps
    the writer thread off the GIL: each row SQLite steps releases and retakes
    it, and each retake waits for the busy event loop.
    """

    __slots__ = ("known", "pending", "version")

    #: Ids remembered at most; past it the memory starts over (a miss reads the file).
    LIMIT = 100_000

    def __init__(self) -> None:
        self.known: dict[str, int] = {}
        self.pending: dict[str, int] = {}
        self.version: int | None = None

    def check(self, connection: sqlite3.Connection) -> None:
        """Forget every number if another connection has committed since the last check."""
        version = connection.execute("PRAGMA data_version").fetchone()[0]
        if version != self.version or len(self.known) > self.LIMIT:
            self.known.clear()
            self.version = version
        self.pending.clear()

    def committed(self) -> None:
        """The transaction committed: its numbers are now the stored ones."""
        self.known.update(self.pending)
        self.pending.clear()

    def forget(self) -> None:
        """Know nothing (after a rollback or a failed commit): the next batch reads the file."""
        self.known.clear()
        self.pending.clear()
        self.version = None

    def learn(self, persistence_id: str, number: int, connection: sqlite3.Connection) -> None:
        """Remember a number read outside a write transaction, if no commit came between."""
        if self.version is not None and len(self.known) < self.LIMIT:
            version = connection.execute("PRAGMA data_version").fetchone()[0]
            if version == self.version:
                self.known[persistence_id] = number


#: The highest number of each id in a VALUES list: the highest event, or the number
#: recorded before events were deleted, whichever is higher.
_HEADS = (
    "WITH ids(id) AS (VALUES {}) SELECT id, max("
    "coalesce((SELECT max(sequence_number) FROM anyactors_events WHERE persistence_id = id), 0), "
    "coalesce((SELECT highest_sequence_number FROM anyactors_streams "
    "WHERE persistence_id = id), 0)) FROM ids"
)


def read_heads(connection: sqlite3.Connection, ids: Sequence[str]) -> dict[str, int]:
    """The highest sequence numbers of ``ids`` as stored (0 for an id never written)."""
    found: dict[str, int] = {}
    for index in range(0, len(ids), 500):  # SQLite's limit on parameters
        chunk = ids[index : index + 500]
        found.update(
            connection.execute(_HEADS.format(",".join(["(?)"] * len(chunk))), chunk).fetchall()
        )
    return found


#: The most payload bytes :func:`append_known` writes as SQL text (more: the general path).
KNOWN_LIMIT = 4_000_000


def append_known(connection: sqlite3.Connection, requests: Sequence[Any], heads: Heads) -> bool:
    """Run a batch of appends as one statement in one call, if ``heads`` knows every id.

    The common case of many actors each appending after its own last event:
    every id's number is in ``heads.known``, and each append expects it. Then
    the batch is one autocommitted ``INSERT`` guarded by the file's
    ``data_version`` (it inserts nothing if another connection has committed
    since ``heads`` was exact), run by ``executescript``: the writer thread
    gives up the GIL once for the whole batch, not once per statement or
    row, and each retake waits for the busy event loop. Its values are
    literals (each id quoted with its quotes doubled, each payload as hex),
    because ``executescript`` takes no parameters.

    Returns ``True`` when every event was inserted and committed; ``False``
    (having written nothing) when the general path must run instead: an
    unknown id, an expected number that differs (a possible conflict is
    checked under the write lock), an id SQL text cannot carry, a large
    batch, another writer, or any error.
    """
    known = heads.known
    version = heads.version
    if version is None:
        return False
    if len(requests) == 1:
        return _append_lone(connection, requests[0].operation, known, version)
    seen: set[str] = set()
    size = 0
    values: list[str] = []
    for request in requests:
        append: AppendEvents = request.operation
        persistence_id = append.persistence_id
        if persistence_id in seen or known.get(persistence_id) != append.expected:
            return False
        seen.add(persistence_id)
        if "\x00" in persistence_id:
            return False
        quoted = "'" + persistence_id.replace("'", "''") + "'"
        number = append.expected
        for payload in append.payloads:
            number += 1
            size += len(payload)
            values.append(f"({quoted},{number},X'{payload.hex()}')")
    if size > KNOWN_LIMIT:
        return False
    before = connection.total_changes
    try:
        connection.executescript(
            f"INSERT INTO anyactors_events SELECT * FROM (VALUES {','.join(values)}) "
            f"WHERE (SELECT data_version FROM pragma_data_version) = {int(version)}"
        )
    except (sqlite3.Error, ValueError, UnicodeError):
        return False
    if connection.total_changes - before != len(values):
        return False
    for request in requests:
        append = request.operation
        known[append.persistence_id] = append.expected + len(append.payloads)
    return True


#: A lone append of one event: the same guarded INSERT, with parameters, so that
#: the connection's statement cache keeps it prepared (no parsing per write).
_LONE = (
    "INSERT INTO anyactors_events SELECT ?, ?, ? "
    "WHERE (SELECT data_version FROM pragma_data_version) = ?"
)
#: ...and of several events, their rows in one VALUES list.
_LONE_MANY = (
    "INSERT INTO anyactors_events SELECT * FROM (VALUES {}) "
    "WHERE (SELECT data_version FROM pragma_data_version) = ?"
)


def _append_lone(
    connection: sqlite3.Connection, append: AppendEvents, known: dict[str, int], version: int
) -> bool:
    """:func:`append_known` for a batch of one append (a lone writer): one prepared statement.

    The common case of one actor persisting alone, where each write is its own
    batch: the guarded ``INSERT`` of :func:`append_known`, autocommitted (one
    statement, so atomic by itself: all its rows or none), but bound to
    parameters rather than written out as SQL text, so SQLite reuses the
    statement prepared for the previous write instead of parsing a new one,
    and the payloads are not turned into hex.
    """
    persistence_id, expected, payloads = append.persistence_id, append.expected, append.payloads
    if known.get(persistence_id) != expected or len(payloads) > ROWS_PER_STATEMENT:
        return False
    try:
        if len(payloads) == 1:
            cursor = connection.execute(_LONE, (persistence_id, expected + 1, payloads[0], version))
        else:
            parameters: list[object] = []
            for number, payload in enumerate(payloads, expected + 1):
                parameters += (persistence_id, number, payload)
            cursor = connection.execute(
                _LONE_MANY.format(",".join(["(?,?,?)"] * len(payloads))), [*parameters, version]
            )
    except (sqlite3.Error, ValueError, UnicodeError):
        return False
    if cursor.rowcount != len(payloads):
        return False
    known[persistence_id] = expected + len(payloads)
    return True


def append_all(connection: sqlite3.Connection, requests: Sequence[Any], heads: Heads) -> None:
    """Run the appends of one transaction in one statement (per 8,000 events).

    Inside the thread's ``BEGIN IMMEDIATE`` (the database's write lock, after
    :meth:`Heads.check`) it takes each id's highest number from ``heads``
    (reading the file only for ids it does not know), refuses each append
    whose expected number is not the current one (in order, so of two appends
    to one id in one batch only the first can win), then inserts all the
    events. The primary key ``(persistence_id, sequence_number)`` backs the
    check: a duplicate fails the batch, which the thread rolls back (and
    ``heads`` forgets) and retries one append at a time.
    """
    known, pending = heads.known, heads.pending
    missing = list(
        {
            request.operation.persistence_id
            for request in requests
            if request.operation.persistence_id not in known
        }
    )
    if missing:
        pending.update(read_heads(connection, missing))
    rows: list[tuple[str, int, bytes]] = []
    for request in requests:
        append: AppendEvents = request.operation
        persistence_id, expected = append.persistence_id, append.expected
        actual = pending[persistence_id] if persistence_id in pending else known[persistence_id]
        if actual != expected:
            request.error = PersistenceConflict(persistence_id, expected, actual, "an append")
            continue
        rows.extend(
            (persistence_id, expected + n, payload) for n, payload in enumerate(append.payloads, 1)
        )
        pending[persistence_id] = expected + len(append.payloads)
    if rows:
        # Multi-row VALUES rather than executemany: executemany releases and
        # retakes the GIL for every row, and each retake waits for the busy
        # event-loop thread; one statement waits once.
        insert_rows(connection, "INSERT INTO anyactors_events VALUES {}", rows)


#: Rows one multi-row INSERT takes (SQLite allows 32,766 parameters a statement).
ROWS_PER_STATEMENT = 8000


def insert_rows(
    connection: sqlite3.Connection, sql: str, rows: Sequence[tuple[object, ...]]
) -> None:
    """Run ``sql`` (with ``{}`` for its VALUES list) over ``rows``, many rows a statement."""
    width = len(rows[0])
    row_marks = "(" + ",".join("?" * width) + ")"
    for index in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[index : index + ROWS_PER_STATEMENT]
        parameters = [value for row in chunk for value in row]
        connection.execute(sql.format(",".join([row_marks] * len(chunk))), parameters)


def highest(persistence_id: str, connection: sqlite3.Connection) -> int:
    """The id's highest sequence number ever stored (0 if none)."""
    return read_heads(connection, [persistence_id])[persistence_id]


def delete_events(persistence_id: str, to_number: int, connection: sqlite3.Connection) -> None:
    """Delete the id's events up to ``to_number``, first recording its highest number.

    ``anyactors_streams`` holds an id's highest number only once events were
    deleted (appends need not write it): the highest is the larger of it and
    the highest stored event, so deleting never lowers it.
    """
    connection.execute(
        "INSERT INTO anyactors_streams SELECT persistence_id, max(sequence_number) "
        "FROM anyactors_events WHERE persistence_id = ? AND sequence_number <= ? "
        "GROUP BY persistence_id ON CONFLICT (persistence_id) DO UPDATE SET "
        "highest_sequence_number = max(highest_sequence_number, excluded.highest_sequence_number)",
        (persistence_id, to_number),
    )
    connection.execute(
        "DELETE FROM anyactors_events WHERE persistence_id = ? AND sequence_number <= ?",
        (persistence_id, to_number),
    )


def save_snapshot(
    persistence_id: str, number: int, payload: bytes, keep: int, connection: sqlite3.Connection
) -> None:
    """Store a snapshot, then drop all but the latest ``keep``."""
    connection.execute(
        "INSERT OR REPLACE INTO anyactors_snapshots VALUES (?, ?, ?)",
        (persistence_id, number, payload),
    )
    connection.execute(
        "DELETE FROM anyactors_snapshots WHERE persistence_id = ? AND sequence_number NOT IN "
        "(SELECT sequence_number FROM anyactors_snapshots WHERE persistence_id = ? "
        "ORDER BY sequence_number DESC LIMIT ?)",
        (persistence_id, persistence_id, keep),
    )


def upsert_state(
    persistence_id: str, revision: int, payload: bytes, connection: sqlite3.Connection
) -> None:
    """Store the state as ``revision`` if the stored one is ``revision - 1``; or a conflict."""
    if revision == 1:
        cursor = connection.execute(
            "INSERT OR IGNORE INTO anyactors_states VALUES (?, 1, ?)", (persistence_id, payload)
        )
    else:
        cursor = connection.execute(
            "UPDATE anyactors_states SET revision = ?, payload = ? "
            "WHERE persistence_id = ? AND revision = ?",
            (revision, payload, persistence_id, revision - 1),
        )
    if cursor.rowcount != 1:
        row = connection.execute(
            "SELECT revision FROM anyactors_states WHERE persistence_id = ?", (persistence_id,)
        ).fetchone()
        actual = 0 if row is None else int(row[0])
        raise PersistenceConflict(persistence_id, revision - 1, actual, "a state save")


def fetch_one(
    sql: str, parameters: tuple[object, ...], connection: sqlite3.Connection
) -> tuple[Any, ...] | None:
    """The first row of a query, or ``None``."""
    row: tuple[Any, ...] | None = connection.execute(sql, parameters).fetchone()
    return row


def corrupt(path: Path, persistence_id: str, what: str, error: Exception) -> JournalError:
    """The error for a stored row that cannot be decoded, naming the row and the file."""
    return JournalError(
        f"the stored {what} of {persistence_id!r} in {str(path)!r} cannot be decoded ({error}); "
        "restore the file from a backup, or register the type and upcaster it was written with"
    )
