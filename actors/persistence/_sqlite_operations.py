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

    def __call__(self, connection: sqlite3.Connection) -> None:
        """Run this append alone."""
        alone = _Alone(self)
        append_all(connection, [alone])
        if alone.error is not None:
            raise alone.error


class _Alone:
    __slots__ = ("error", "operation", "result")

    def __init__(self, operation: AppendEvents) -> None:
        self.operation = operation
        self.error: BaseException | None = None
        self.result: Any = None


def append_all(connection: sqlite3.Connection, requests: Sequence[Any]) -> None:
    """Run the appends of one transaction in three statements, whatever their number.

    Inside the thread's ``BEGIN IMMEDIATE`` (the database's write lock) it
    reads the highest sequence numbers of the ids involved, refuses each
    append whose expected number is not the current one (in order, so of two
    appends to one id in one batch only the first can win), then writes the
    new highest numbers and all the events. The primary key
    ``(persistence_id, sequence_number)`` backs the check: a duplicate fails
    the batch, which the thread then retries one append at a time.
    """
    ids = list({request.operation.persistence_id for request in requests})
    current: dict[str, int] = {}
    for index in range(0, len(ids), 500):  # SQLite's limit on parameters
        chunk = ids[index : index + 500]
        marks = ",".join("?" * len(chunk))
        current.update(
            connection.execute(
                "SELECT persistence_id, highest_sequence_number FROM anyactors_streams "
                f"WHERE persistence_id IN ({marks})",
                chunk,
            ).fetchall()
        )
    streams: dict[str, int] = {}
    rows: list[tuple[str, int, bytes]] = []
    for request in requests:
        append: AppendEvents = request.operation
        persistence_id, expected = append.persistence_id, append.expected
        actual = current.get(persistence_id, 0)
        if actual != expected:
            request.error = PersistenceConflict(persistence_id, expected, actual, "an append")
            continue
        rows.extend(
            (persistence_id, expected + n, payload) for n, payload in enumerate(append.payloads, 1)
        )
        current[persistence_id] = streams[persistence_id] = expected + len(append.payloads)
    if rows:
        # Multi-row VALUES rather than executemany: executemany releases and
        # retakes the GIL for every row, and each retake waits for the busy
        # event-loop thread; one statement waits once.
        insert_rows(
            connection,
            "INSERT INTO anyactors_streams VALUES {} ON CONFLICT (persistence_id) "
            "DO UPDATE SET highest_sequence_number = excluded.highest_sequence_number",
            list(streams.items()),
        )
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
    row = connection.execute(
        "SELECT highest_sequence_number FROM anyactors_streams WHERE persistence_id = ?",
        (persistence_id,),
    ).fetchone()
    return 0 if row is None else int(row[0])


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


def execute(sql: str, parameters: tuple[object, ...], connection: sqlite3.Connection) -> None:
    """Run one statement."""
    connection.execute(sql, parameters)


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
