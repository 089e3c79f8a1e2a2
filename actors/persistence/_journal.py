"""The ``Journal`` protocol: the few calls a store implements (Akka's journal plugin API)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Protocol, runtime_checkable

from ._records import EventRecord, SnapshotRecord, StateRecord


@runtime_checkable
class Journal(Protocol):
    """A store of events, snapshots and durable states, keyed by persistence id.

    The single-writer rule is the store's: an append names the sequence number
    it expects to follow, a durable-state upsert the revision it replaces, and
    exactly one of two writers racing on one id wins; the other gets
    :class:`PersistenceConflict` and nothing of its write is stored. A journal
    never holds a gap or a duplicate sequence number.

    Every implementation passes the conformance suite in
    ``tests/persistence/test_journal_conformance.py``. Calls may be made from many
    actors at once. A call cancelled while it waits may or may not take
    effect; what the journal holds is what recovery reads.
    """

    async def append(
        self, persistence_id: str, events: Sequence[object], *, expected_sequence_number: int
    ) -> None:
        """Store ``events`` atomically (all or none) as numbers ``expected + 1`` onwards.

        Returns once they are durable, at the journal's durability setting.

        Raises:
            PersistenceConflict: the highest stored number is not ``expected_sequence_number``.
            UnregisteredType: an event is not of a registered type (nothing is stored).
            JournalError: the store failed.
        """
        ...

    def replay(
        self, persistence_id: str, *, from_sequence_number: int = 1
    ) -> AsyncGenerator[EventRecord, None]:
        """The stored events from ``from_sequence_number`` on, in order.

        Raises (while iterating):
            JournalError: the store failed, or a stored row cannot be decoded
                (the error names the persistence id and sequence number).
        """
        ...

    async def highest_sequence_number(self, persistence_id: str) -> int:
        """The highest number ever stored for the id (0 if none); deletion never lowers it."""
        ...

    async def delete_events(self, persistence_id: str, *, to_sequence_number: int) -> None:
        """Delete the events numbered up to ``to_sequence_number`` (inclusive)."""
        ...

    async def save_snapshot(
        self, persistence_id: str, sequence_number: int, snapshot: object, *, keep: int
    ) -> None:
        """Store a snapshot covering events up to ``sequence_number``; keep the latest ``keep``."""
        ...

    async def load_snapshot(
        self, persistence_id: str, *, max_sequence_number: int | None = None
    ) -> SnapshotRecord | None:
        """The latest snapshot (at or below ``max_sequence_number`` if given), or ``None``."""
        ...

    async def load_state(self, persistence_id: str) -> StateRecord | None:
        """The stored durable state, or ``None``."""
        ...

    async def upsert_state(self, persistence_id: str, revision: int, state: object) -> None:
        """Store ``state`` as ``revision``, which must be exactly one more than the stored one.

        Raises:
            PersistenceConflict: the stored revision is not ``revision - 1``.
            UnregisteredType: the state holds an unregistered type.
            JournalError: the store failed.
        """
        ...

    async def close(self) -> None:
        """Release the store's resources; a later call may open them again."""
        ...
