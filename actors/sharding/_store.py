"""What a region keeps in the journal: durable-state records under a revision check.

Reminders and remembered entities are stored per shard as durable states
(``journal.upsert_state``) under ids ``"$sharding/<type>/reminders/<shard>"``
and ``"$sharding/<type>/entities/<shard>"``. The revision check makes the
region the single writer of its records: a second writer gets
``PersistenceConflict`` instead of overwriting.

In a cluster the records live in JetStream key-value storage instead
(``_kv_store.ClusterRecordStore``, through this same interface), and a node
holds only the records of the shards it owns: :meth:`RecordStore.owns` and
:meth:`RecordStore.ready` say which (in one process, every shard).
"""

from __future__ import annotations

from typing import Any

import anyio


class RecordStore:
    """Reads and writes a region's records, one writer at a time per record."""

    def __init__(self, journal: Any, type_name: str) -> None:
        self.journal = journal
        self._prefix = f"$sharding/{type_name}"
        self._revisions: dict[str, int] = {}
        self._locks: dict[str, anyio.Lock] = {}

    def record_id(self, kind: str, shard: int) -> str:
        """The persistence id of the ``kind`` record (``reminders``, ``entities``) of ``shard``."""
        return f"{self._prefix}/{kind}/{shard}"

    def lock(self, record_id: str) -> anyio.Lock:
        """The lock that serialises the writes of one record."""
        lock = self._locks.get(record_id)
        if lock is None:
            lock = self._locks[record_id] = anyio.Lock()
        return lock

    def owns(self, shard: int) -> bool:
        """Whether this region owns ``shard`` now (in one process: always)."""
        return True

    async def ready(self, shard: int) -> bool:
        """Wait until ``shard``'s records are loaded here; ``False`` if it is not owned here."""
        return True

    async def read(self, record_id: str) -> Any:
        """The stored value of the record, or ``None``; remembers its revision for writes."""
        record = await self.journal.load_state(record_id)
        if record is None:
            return None
        self._revisions[record_id] = record.revision
        return record.state

    async def write(self, record_id: str, value: object) -> None:
        """Store ``value`` as the next revision of the record (hold its :meth:`lock`).

        Raises:
            PersistenceConflict: another writer stored the record meanwhile.
            UnregisteredType: ``value`` holds a type the journal cannot encode.
            JournalError: the journal failed.
        """
        revision = self._revisions.get(record_id, 0) + 1
        await self.journal.upsert_state(record_id, revision, value)
        self._revisions[record_id] = revision
