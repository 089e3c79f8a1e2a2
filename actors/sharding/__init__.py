"""Sharding: virtual actors addressed by type and id, activated on demand, passivated when idle.

Start a type on a system, then reach any entity of it by id::

    region = await system.start_sharding("account", Account, shards=64, passivate_after=120.0)
    await system.entity("account", "ada").ask(Deposit(10))

The entity class is an ``Actor`` (or an ``EventSourcedActor``/``DurableStateActor``)
whose constructor takes the entity id first. An :class:`EntityRef` stays valid
across passivation and restarts; entities set durable reminders with
``await self.context.remind(...)``. Without a cluster every entity of a type
lives in the one process; in a cluster (``ActorSystem(cluster=NatsCluster(...))``)
each shard is owned by one hosting node, recorded by compare-and-set in
JetStream key-value storage, and moves to a survivor when that node's lease
ends, to a survivor when it leaves gracefully, and to a node that joins
(rebalancing, a bounded number of moves at a time). See ``docs/sharding.md``.
"""

from ._entity_ref import EntityRef as EntityRef
from ._errors import ShardingError as ShardingError
from ._events import EntityActivated as EntityActivated
from ._events import EntityPassivated as EntityPassivated
from ._events import ShardClaimed as ShardClaimed
from ._events import ShardHandedOff as ShardHandedOff
from ._hash import shard_of as shard_of
from ._limits import MoveLimits as MoveLimits
from ._region import ShardRegion as ShardRegion

__all__ = [
    "EntityActivated",
    "EntityPassivated",
    "EntityRef",
    "MoveLimits",
    "ShardClaimed",
    "ShardHandedOff",
    "ShardRegion",
    "ShardingError",
    "shard_of",
]
