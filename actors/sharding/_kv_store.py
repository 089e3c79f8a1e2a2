"""The region's records in a cluster: JetStream key-value storage, fenced by shard ownership.

The same interface as the journal-backed :class:`RecordStore`, over the
cluster's records (``actors.remote`` provides them, duck-typed, as
``placement.records(type_name)``: ``key``, ``get``, ``put``, ``shards``).
A node reads and writes only the records of the shards it owns, loaded by
the :class:`ShardLoader` when it comes to own them.

Each write carries the writer's ownership token (the revision of its shard
ownership record, which only grows) and is a compare-and-set on the
record's revision. When the compare fails, the record is read again: if a
newer owner wrote it, this node is stale and the write is refused with
``ShardingError``; if an older owner did (a stalled node that did not yet
know it lost the shard), the current owner's state replaces it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ._errors import ShardingError
from ._store import RecordStore

if TYPE_CHECKING:
    from ._region import ShardRegion
    from ._shard_loading import ShardLoader

logger = logging.getLogger(__name__)

#: Compare-and-set rounds a write makes against older owners' writes before it gives up.
WRITE_ROUNDS = 3


class ClusterRecordStore(RecordStore):
    """Reads and writes a region's records in the cluster's key-value bucket."""

    def __init__(self, records: Any, region: ShardRegion, loader: ShardLoader) -> None:
        super().__init__(None, region.type_name)
        self.records = records
        self._region = region
        self._loader = loader
        self._shards: dict[str, int] = {}

    def record_id(self, kind: str, shard: int) -> str:
        """The key of the ``kind`` record (``reminders``, ``entities``) of ``shard``."""
        key: str = self.records.key(kind, shard)
        self._shards[key] = shard
        return key

    def owns(self, shard: int) -> bool:
        """Whether this node owns ``shard`` now (no I/O)."""
        return self._loader.owns(shard)

    async def ready(self, shard: int) -> bool:
        """Wait until ``shard``'s records are loaded here; ``False`` if it is not owned here."""
        return await self._loader.ready(shard)

    async def read(self, record_id: str) -> Any:
        """The items of the record, or ``None``; damaged items are reported and skipped.

        Each item that cannot be decoded (or the whole record) is logged at
        error level and published as a :class:`DeadLetter` holding its raw
        bytes, whose reason names the key; the node carries on without it.
        """
        stored = await self.records.get(record_id)
        if stored is None:
            self._revisions[record_id] = 0
            return None
        self._revisions[record_id] = stored.revision
        for damaged in stored.damaged:
            self._report(damaged.key, damaged.reason, damaged.raw)
        return stored.items

    def _report(self, key: str, reason: str, raw: bytes) -> None:
        message = (
            f"sharding record {key!r} of entity type {self._region.type_name!r} cannot be "
            f"decoded ({reason}); it is skipped, the shard's next write replaces it, and "
            "its bytes are in this dead letter"
        )
        logger.error("sharding: %s", message)
        self._region.system.record_dead_letter(raw, self._region.region_ref, message)

    async def write(self, record_id: str, value: object) -> None:
        """Store ``value`` (a list) as the record's next revision (hold its :meth:`lock`).

        Raises:
            ShardingError: this node no longer owns the shard, a newer owner
                wrote the record, or the record is too large.
            UnregisteredType: ``value`` holds a type the registry cannot encode.
        """
        shard = self._shards[record_id]
        token = self._loader.token(shard)
        if token is None:
            raise ShardingError(
                f"shard {shard} of entity type {self._region.type_name!r} is not owned by "
                "this node now (it moved, or this node's lease is stale), so its records are "
                "not written here; the owner keeps them"
            )
        items = list(value)  # type: ignore[call-overload]
        for _ in range(WRITE_ROUNDS):
            last = self._revisions.get(record_id, 0)
            revision = await self.records.put(record_id, token, items, last=last)
            if revision is not None:
                self._revisions[record_id] = revision
                return
            stored = await self.records.get(record_id)  # another writer: which one?
            if stored is None:
                self._revisions[record_id] = 0
                continue
            if stored.token > token:
                raise ShardingError(
                    f"sharding record {record_id!r} was written by a newer owner of shard "
                    f"{shard} (token {stored.token} > {token}), so this node no longer owns "
                    "it and writes nothing"
                )
            logger.warning(
                "sharding: record %r was written by an older owner of shard %d; replaced",
                record_id,
                shard,
            )
            self._revisions[record_id] = stored.revision
        raise ShardingError(
            f"sharding record {record_id!r} kept changing during {WRITE_ROUNDS} writes; "
            "it is written again on the shard's next change"
        )
