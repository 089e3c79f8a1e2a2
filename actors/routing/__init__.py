"""Pools and routers: load balancing and sharding over actors.

* :func:`spawn_pool` starts a :class:`Pool` that supervises N workers of one
  class and routes each message by a policy: :class:`RoundRobin`,
  :class:`RandomRouting`, :class:`SmallestMailbox`, :class:`ConsistentHash`
  (sharding: one key, one worker) or :class:`Broadcast`.
* :func:`spawn_balancing_pool` starts a :class:`BalancingPool`: idle workers
  take the next message from one shared queue.
* :func:`spawn_group` routes over refs that already exist.

Routers hand back a :class:`RouterRef`, which routes on the sender's side:
``tell`` lands straight in the chosen worker's mailbox and ``ask`` returns
the chosen worker's reply. Built only on the public ``actors`` API.
"""

from ._balancing import BalancingPool as BalancingPool
from ._balancing import BalancingRef as BalancingRef
from ._balancing import spawn_balancing_pool as spawn_balancing_pool
from ._errors import HashKeyError as HashKeyError
from ._errors import InvalidRouting as InvalidRouting
from ._group import AddRoutee as AddRoutee
from ._group import Group as Group
from ._group import RemoveRoutee as RemoveRoutee
from ._group import spawn_group as spawn_group
from ._policies import Broadcast as Broadcast
from ._policies import ConsistentHash as ConsistentHash
from ._policies import RandomRouting as RandomRouting
from ._policies import RoundRobin as RoundRobin
from ._policies import RoutingPolicy as RoutingPolicy
from ._policies import Selector as Selector
from ._policies import SmallestMailbox as SmallestMailbox
from ._pool import GetRoutees as GetRoutees
from ._pool import Pool as Pool
from ._pool import PoolConfig as PoolConfig
from ._pool import Resize as Resize
from ._pool import Spawner as Spawner
from ._pool import spawn_pool as spawn_pool
from ._router_ref import RouterRef as RouterRef

__all__ = [
    "AddRoutee",
    "BalancingPool",
    "BalancingRef",
    "Broadcast",
    "ConsistentHash",
    "GetRoutees",
    "Group",
    "HashKeyError",
    "InvalidRouting",
    "Pool",
    "PoolConfig",
    "RandomRouting",
    "RemoveRoutee",
    "Resize",
    "RoundRobin",
    "RouterRef",
    "RoutingPolicy",
    "Selector",
    "SmallestMailbox",
    "Spawner",
    "spawn_balancing_pool",
    "spawn_group",
    "spawn_pool",
]
