"""Distribution over NATS: the same refs, ``tell`` and ``ask`` across processes.

Subjects are actor addresses, request-reply is ``ask``, and JetStream keeps the
cluster-wide names and the nodes' leases. Needs the ``nats`` extra
(``pip install anyactors[nats]``: nats-py, nkeys and msgspec). Runs on both
anyio backends: on trio, the asyncio-only NATS client runs on its own loop in
a helper thread. See ``docs/distribution.md``.
"""

try:
    import msgspec  # noqa: F401
    import nats  # noqa: F401
    import nkeys  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on what is installed
    raise ImportError(
        "actors.remote needs nats-py, nkeys and msgspec (the nats extra): "
        "pip install 'anyactors[nats]'"
    ) from error

from actors.serialization import MessageRegistry as MessageRegistry

from ._cluster import NatsCluster as NatsCluster
from ._cluster import attach_cluster as attach_cluster
from ._durable import DurableRef as DurableRef
from ._durable import DurableServingFailed as DurableServingFailed
from ._errors import ActorNotFound as ActorNotFound
from ._errors import ClusterUnreachable as ClusterUnreachable
from ._errors import NameTaken as NameTaken
from ._errors import NodeNameInUse as NodeNameInUse
from ._errors import RemoteError as RemoteError
from ._names import Address as Address
from ._node import NatsNode as NatsNode
from ._pool import PoolRef as PoolRef
from ._ref import RemoteActorRef as RemoteActorRef
from ._wire import RawMessage as RawMessage

__all__ = [
    "ActorNotFound",
    "Address",
    "ClusterUnreachable",
    "DurableRef",
    "DurableServingFailed",
    "MessageRegistry",
    "NameTaken",
    "NatsCluster",
    "NatsNode",
    "NodeNameInUse",
    "PoolRef",
    "RawMessage",
    "RemoteActorRef",
    "RemoteError",
    "attach_cluster",
]
