"""Remembered entities: the ids of live activations, kept in the journal per shard."""

from __future__ import annotations

import logging

from actors import ActorSystem, ActorSystemClosed

from ._store import RecordStore

logger = logging.getLogger(__name__)


class RememberedEntities:
    """Which entities to activate again when the region next starts.

    Changes are written behind, by one task at a time, a shard record per
    write: an activation does not wait for its record, so an id may be
    missing after a crash right after its activation, and an id passivated
    just before a crash may come back once (then be passivated when idle).
    """

    def __init__(self, system: ActorSystem, store: RecordStore, type_name: str) -> None:
        self._system = system
        self._store = store
        self._type_name = type_name
        self._ids: dict[int, set[str]] = {}
        self._dirty: set[int] = set()
        self._flushing = False

    async def load(self, shards: int) -> list[str]:
        """Every remembered id, read from the journal."""
        found: list[str] = []
        for shard in range(shards):
            ids = await self._store.read(self._store.record_id("entities", shard))
            if ids:
                known = {entity_id for entity_id in ids if isinstance(entity_id, str) and entity_id}
                self._ids[shard] = known
                found.extend(sorted(known))
        return found

    def change(self, entity_id: str, shard: int, *, present: bool) -> None:
        """Record that ``entity_id`` became active (``present``) or was passivated."""
        ids = self._ids.setdefault(shard, set())
        if (entity_id in ids) == present:
            return
        if present:
            ids.add(entity_id)
        else:
            ids.discard(entity_id)
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
                record_id = store.record_id("entities", shard)
                async with store.lock(record_id):
                    await store.write(record_id, sorted(self._ids.get(shard, ())))
        except Exception as error:
            logger.warning(
                "sharding: storing the remembered entities of %r failed: %r", self._type_name, error
            )
        finally:
            self._flushing = False
