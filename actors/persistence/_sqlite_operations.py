"""The SQL of ``SqliteJournal``: its schema, and what its dedicated thread runs."""

from __future__ import annotations

import sqlite3
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


def append_events(
    persistence_id: str, payloads: list[bytes], expected: int, connection: sqlite3.Connection
) -> None:
    """Compare-and-set the id's highest number, then insert the events; or a conflict."""
    new_highest = expected + len(payloads)
    if expected == 0:
        cursor = connection.execute(
            "INSERT OR IGNORE INTO anyactors_streams VALUES (?, ?)", (persistence_id, new_highest)
        )
    else:
        cursor = connection.execute(
            "UPDATE anyactors_streams SET highest_sequence_number = ? "
            "WHERE persistence_id = ? AND highest_sequence_number = ?",
            (new_highest, persistence_id, expected),
        )
    if cursor.rowcount != 1:
        raise PersistenceConflict(
            persistence_id, expected, highest(persistence_id, connection), "an append"
        )
    connection.executemany(
        "INSERT INTO anyactors_events VALUES (?, ?, ?)",
        [(persistence_id, expected + n, payload) for n, payload in enumerate(payloads, 1)],
    )


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
