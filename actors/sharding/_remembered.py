"""Remembered entities: the ids to activate when their shard starts, kept per shard.

In one process the records are in the journal; in a cluster, in JetStream
key-value storage, and a node holds those of the shards it owns (see
``_shard_loading``).
"""

from __future__ import annotations

import logging

from actors import ActorSystem, ActorSystemClosed

from ._hash import shard_of
from ._store import RecordStore

logger = logging.getLogger(__name__)


class RememberedEntities:
    """Which entities to activate again when their shard next starts.

    An id is remembered while its entity is active, as in Akka: from its
    activation until it is passivated or stops itself. The activations a
    node stops because it no longer owns their shard (fenced, or the shard
    moved) stay remembered: the shard's next owner activates them again.

    Changes are written behind, by one task at a time, a shard record per
    write: an activation does not wait for its record, so an id may be
    missing after a crash right after its activation, and an id that stopped
    itself just before a crash may come back once.
    """

    def __init__(self, system: ActorSystem, store: RecordStore, type_name: str) -> None:
        self._system = system
        self._store = store
        self._type_name = type_name
        self._ids: dict[int, set[str]] = {}
        self._dirty: set[int] = set()
        self._flushing = False

    async def load(self, shards: int) -> list[str]:
        """Every remembered id, read from the journal (in one process)."""
        found: list[str] = []
        for shard in range(shards):
            ids = await self.read_shard(shard, shards)
            self.install(shard, ids)
            found.extend(ids)
        return found

    async def read_shard(self, shard: int, shards: int) -> list[str]:
        """The ids stored for ``shard``; anything that is not one of its ids is skipped."""
        stored = await self._store.read(self._store.record_id("entities", shard))
        if stored is not None and not isinstance(stored, list):
            logger.warning(
                "sharding: skipped the malformed remembered entities of %r shard %d: %r",
                self._type_name,
                shard,
                stored,
            )
            return []
        return sorted(
            {
                entity_id
                for entity_id in stored or ()
                if isinstance(entity_id, str) and entity_id and shard_of(entity_id, shards) == shard
            }
        )

    def install(self, shard: int, ids: list[str]) -> None:
        """Hold the stored ``ids`` of ``shard``, with those activated here before they were read."""
        activated = self._ids.get(shard, set())
        self._ids[shard] = activated | set(ids)
        if not activated <= set(ids):
            self._mark(shard)

    def unload_shard(self, shard: int) -> None:
        """Forget ``shard``'s ids here (another node owns it now); nothing is written."""
        self._ids.pop(shard, None)
        self._dirty.discard(shard)

    def change(self, entity_id: str, shard: int, *, present: bool) -> None:
        """Record that ``entity_id`` became active (``present``), or was passivated or stopped.

        One stopped because this node no longer owns its shard is left
        remembered, for the shard's next owner.
        """
        if not self._store.owns(shard):
            return
        ids = self._ids.setdefault(shard, set())
        if (entity_id in ids) == present:
            return
        if present:
            ids.add(entity_id)
        else:
            ids.discard(entity_id)
        self._mark(shard)

    def _mark(self, shard: int) -> None:
        self._dirty.add(shard)
        if not self._flushing:
            self._flushing = True
            try:
                self._system.start_soon(self._flush, name="anyactors remembered entities")
            except ActorSystemClosed:
                self._flushing = False

    async def _flush(self) -> None:
        store = self._store
        try:
            while self._dirty:
                shard = self._dirty.pop()
                try:
                    if not await store.ready(shard):
                        continue  # not owned here any more: the owner has the record
                    record_id = store.record_id("entities", shard)
                    async with store.lock(record_id):
                        await store.write(record_id, sorted(self._ids.get(shard, ())))
                except Exception as error:
                    logger.warning(
                        "sharding: storing the remembered entities of %r shard %d failed: %r",
                        self._type_name,
                        shard,
                        error,
                    )
        finally:
            self._flushing = False
