"""In a cluster: loading a shard's durable records on the node that comes to own it.

A node holds the reminders and remembered entities of the shards it owns,
and only those. :meth:`ShardLoader.run` checks, every quarter of
``lease_ttl`` and without I/O, which shards this node owns: a shard it has
come to own (by a message's claim, or a failover) is loaded at once: its
reminders get timers, its remembered entities are activated without waiting
for a message; a shard it no longer owns (its lease went stale, or the shard
moved) is dropped from memory, timers cancelled. ``remind`` and the
remembered-entities writer load a shard on demand too (:meth:`ready`).

A shard whose owner died gets no message, perhaps, for a long time. So every
``lease_ttl`` the loader lists the shards that have records, and has the
owner of each resolved, as a message would: its preferred live host claims
it, and loads it there on the next check.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import anyio
from attrs import define, field

from actors import ActorSystemClosed

from ._errors import ShardingError

if TYPE_CHECKING:
    from ._region import ShardRegion
    from ._routing import ClusterRouting

logger = logging.getLogger(__name__)

#: Ownership checks per listing of the shards that have records.
CHECKS_PER_LISTING = 4


@define(eq=False)
class _Load:
    """One loading of one shard's records, for one ownership token."""

    token: int
    finished: anyio.Event = field(factory=anyio.Event)
    loaded: bool = False
    failure: Exception | None = None


class ShardLoader:
    """Keeps this node's in-memory records equal to the shards it owns."""

    def __init__(
        self, region: ShardRegion, routing: ClusterRouting, placement: Any, records: Any
    ) -> None:
        self._region = region
        self._routing = routing
        self._placement = placement
        self._records = records
        self._loads: dict[int, _Load] = {}

    def _owner(self, shard: int) -> Any:
        """This node's ownership of ``shard`` if the routing trusts it now, else ``None``."""
        owner = self._routing._trusted(shard)
        return owner if owner is not None and self._placement.is_me(owner) else None

    def owns(self, shard: int) -> bool:
        """Whether this node owns ``shard`` now (no I/O)."""
        return self._owner(shard) is not None

    def token(self, shard: int) -> int | None:
        """The ownership token of ``shard`` if its records are loaded here, else ``None``."""
        load = self._loads.get(shard)
        return load.token if load is not None and load.loaded else None

    async def ready(self, shard: int) -> bool:
        """Load ``shard`` if needed and wait; ``False`` if this node does not own it.

        Raises:
            ShardingError: its records could not be read (the cause is chained).
        """
        load = self._current(shard)
        if load is None:
            return False
        await load.finished.wait()
        if load.failure is not None:
            raise ShardingError(
                f"the records of shard {shard} of entity type {self._region.type_name!r} "
                f"could not be read ({load.failure!r}); nothing was changed, try again"
            ) from load.failure
        return load.loaded and self._loads.get(shard) is load

    def _current(self, shard: int) -> _Load | None:
        """The loading of ``shard`` for its current ownership: started, or dropped, as needed."""
        load = self._loads.get(shard)
        owner = self._owner(shard)
        if owner is None:
            if load is not None:
                self._unload(shard)
            return None
        token = int(getattr(owner, "revision", 0))
        if load is not None:
            if load.token == token and (load.loaded or not load.finished.is_set()):
                return load
            self._unload(shard)  # a new ownership, or a failed load to try again
        load = self._loads[shard] = _Load(token)
        try:
            self._region.system.start_soon(self._load, shard, load, name="anyactors shard load")
        except ActorSystemClosed:
            del self._loads[shard]
            return None
        return load

    def _unload(self, shard: int) -> None:
        del self._loads[shard]
        self._region.reminders.unload_shard(shard)
        remembered = self._region._remembered
        if remembered is not None:
            remembered.unload_shard(shard)

    async def _load(self, shard: int, load: _Load) -> None:
        region = self._region
        remembered = region._remembered
        try:
            reminders = await region.reminders.read_shard(shard)
            ids = [] if remembered is None else await remembered.read_shard(shard, region.shards)
        except Exception as error:
            logger.error(  # noqa: TRY400 - one line; the cause is in the message
                "sharding: loading the records of shard %d of entity type %r failed (%r); "
                "tried again on the next check",
                shard,
                region.type_name,
                error,
            )
            load.failure = error
            load.finished.set()
            return
        if self._loads.get(shard) is not load or region.closed:
            load.finished.set()  # dropped meanwhile
            return
        region.reminders.install(shard, reminders, schedule=True)
        if remembered is not None:
            remembered.install(shard, ids)
        load.loaded = True
        load.finished.set()
        for entity_id in ids:
            if region.activation_of(entity_id) is None:
                region._activate(entity_id)

    async def run(self) -> None:
        """Check ownership every quarter of ``lease_ttl``; until the system's tasks end."""
        region = self._region
        interval = self._placement.lease_ttl / CHECKS_PER_LISTING
        checks = 0
        while True:
            if not region.closed:
                for shard in range(region.shards):
                    self._current(shard)
                if checks % CHECKS_PER_LISTING == 0:
                    await self._claim_orphans()
            checks += 1
            await anyio.sleep(interval)

    async def _claim_orphans(self) -> None:
        try:
            shards = await self._records.shards()
        except Exception as error:
            logger.debug("sharding: listing the shards with records failed: %r", error)
            return
        routing = self._routing
        for shard in sorted(shards):
            # Unless trusted or being resolved: resolve it (its preferred host claims it).
            if (
                0 <= shard < self._region.shards
                and routing._trusted(shard) is None
                and shard not in routing._resolved
            ):
                routing._start_resolving(shard, forwarded=False)
