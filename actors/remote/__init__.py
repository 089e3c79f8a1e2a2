"""Distribution over NATS: the same refs, ``tell`` and ``ask`` across processes.

Subjects are actor addresses, request-reply is ``ask``, and JetStream keeps the
cluster-wide names and the nodes' leases. Needs the ``nats`` extra
(``pip install anyactors[nats]``) and anyio's asyncio backend. See
``docs/distribution.md``.
"""

from actors.serialization import MessageRegistry as MessageRegistry

from ._cluster import NatsCluster as NatsCluster
from ._cluster import attach_cluster as attach_cluster
from ._durable import DurableRef as DurableRef
from ._errors import ActorNotFound as ActorNotFound
from ._errors import NameTaken as NameTaken
from ._errors import NodeNameInUse as NodeNameInUse
from ._errors import RemoteError as RemoteError
from ._errors import RemoteUnavailable as RemoteUnavailable
from ._names import Address as Address
from ._node import NatsNode as NatsNode
from ._pool import PoolRef as PoolRef
from ._ref import RemoteActorRef as RemoteActorRef
from ._wire import RawMessage as RawMessage

__all__ = [
    "ActorNotFound",
    "Address",
    "DurableRef",
    "MessageRegistry",
    "NameTaken",
    "NatsCluster",
    "NatsNode",
    "NodeNameInUse",
    "PoolRef",
    "RawMessage",
    "RemoteActorRef",
    "RemoteError",
    "RemoteUnavailable",
    "attach_cluster",
]
