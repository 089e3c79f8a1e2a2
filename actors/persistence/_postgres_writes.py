"""The writes ``PostgresJournal``'s writer thread commits, one batch a transaction."""

from __future__ import annotations

from attrs import frozen


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
