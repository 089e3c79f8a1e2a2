"""``NatsCluster``: how a system joins a NATS cluster, and ``attach_cluster``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import anyio
import attrs
import nats.errors
from attrs import field, frozen

from actors.serialization import MessageRegistry

from ._bridge import Hosted, hosted_needed
from ._connect import connect
from ._names import check_plain
from ._node import NatsNode

if TYPE_CHECKING:
    import ssl

    from actors import ActorSystem

logger = logging.getLogger(__name__)


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


def _check_node(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    check_plain(value, "node")


def _check_prefix(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    check_plain(value, "prefix")


def _positive(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{attribute.name} must be > 0 (got {value!r})")


def _replicas(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValueError(
            f"{attribute.name} must be 1 to 5, or None for 3 where the cluster has them "
            f"(got {value!r})"
        )


@frozen(kw_only=True)
class NatsCluster:
    """Where and how an actor system joins a NATS cluster.

    The system's name is the cluster's name; every process of it uses the
    same ``prefix``, ``registry`` contents and ``lease_ttl``, and its own
    ``node`` name::

        cluster = NatsCluster("nats://127.0.0.1:4222", node="orders-1", registry=registry)

    Args:
        servers: one NATS URL or several (the client fails over between them).
        node: this process's name in the cluster: letters, digits, ``_``, ``-``.
        registry: the message and exception types allowed on the wire.
        prefix: the first subject token of every subject of the cluster.
        credentials: a NATS ``.creds`` file (JWT and NKey seed) for this node.
        tls: an ``ssl.SSLContext`` for ``tls://`` servers.
        connect_options: further keyword arguments for ``nats.connect``
            (``user``, ``password``, ``token``, ``nkeys_seed``, ``tls_hostname``,
            ``reconnect_time_wait``, ...), passed through unchanged.
        lease_ttl: seconds after which a silent node is declared dead (its
            lease is rewritten every ``lease_ttl / 3``).
        max_message_size: the largest encoded message sent or accepted, in bytes.
        outbound_capacity: frames buffered for sending; beyond it ``tell``
            makes dead letters and ``send`` waits.
        pending_messages, pending_bytes: the most received messages buffered
            before the node handles them; beyond, NATS drops and reports a
            slow consumer.
        pool_in_flight: the most pool messages one member holds at once
            (taken from NATS but not yet handled); beyond, its subscription
            waits, and the pending limits above apply.
        detach_timeout: seconds that leaving the cluster may take.
        connect_timeout: seconds that joining may take (connecting, checking
            JetStream); past it, or at once for refused credentials or a failed
            TLS handshake, ``attach`` raises :class:`ClusterUnreachable`. Once
            connected, the client reconnects by itself for as long as it takes.
        bucket_replicas: copies of the cluster's key-value buckets (leases and
            names) in a JetStream cluster, made by the first node to attach.
            ``None`` (default): 3, or 1 on a server without a JetStream cluster
            of three; with 3, the loss of any one server leaves leases, names
            and node-death detection working.
    """

    servers: str | Sequence[str] = field(kw_only=False)
    node: str = field(validator=_check_node)
    registry: MessageRegistry = field(factory=MessageRegistry)
    prefix: str = field(default="anyactors", validator=_check_prefix)
    credentials: str | None = None
    tls: ssl.SSLContext | None = None
    connect_options: Mapping[str, Any] = field(factory=dict, converter=_frozen_mapping)
    lease_ttl: float = field(default=3.0, validator=_positive)
    max_message_size: int = field(default=1024 * 1024, validator=_positive)
    outbound_capacity: int = field(default=65536, validator=_positive)
    pending_messages: int = field(default=65536, validator=_positive)
    pending_bytes: int = field(default=64 * 1024 * 1024, validator=_positive)
    pool_in_flight: int = field(default=1024, validator=_positive)
    detach_timeout: float = field(default=5.0, validator=_positive)
    connect_timeout: float = field(default=5.0, validator=_positive)
    bucket_replicas: int | None = field(default=None, validator=_replicas)

    async def attach(self, system: ActorSystem) -> NatsNode:
        """Connect, take this node's lease, and start routing; returns the running node.

        On trio, the NATS client (nats-py, asyncio-only) runs on its own
        asyncio loop in a helper thread, ended and joined on ``detach``.

        Raises:
            NodeNameInUse: a live node already has this name.
            ValueError: the system's name cannot name a cluster.
            ClusterUnreachable: no server could be joined within
                ``connect_timeout`` (the message says why), or JetStream is off.
        """
        check_plain(system.name, "the actor system's name (the cluster's name)")
        attached: list[NatsNode] = []
        hosted = Hosted() if hosted_needed() else None

        def report(error: Exception) -> None:
            if attached and isinstance(error, nats.errors.SlowConsumerError):
                attached[0].slow_consumer(error)
            else:
                logger.warning("NATS: %r", error)

        async def on_error(error: Exception) -> None:
            if hosted is None:
                report(error)
            else:  # on the client's loop: the node is on the trio thread
                hosted.to_trio(report, error)

        options: dict[str, Any] = {
            "name": f"anyactors {system.name}/{self.node}",
            # Every subject is built from escaped tokens, so the client's check is redundant.
            "skip_subject_validation": True,
            **self.connect_options,
        }
        if self.credentials is not None:
            options["user_credentials"] = self.credentials
        if self.tls is not None:
            options["tls"] = self.tls
        servers = [self.servers] if isinstance(self.servers, str) else list(self.servers)
        try:
            if hosted is None:
                nc = await connect(servers, self.connect_timeout, options, on_error)
            else:
                nc = await hosted.call(connect, servers, self.connect_timeout, options, on_error)
        except BaseException:
            if hosted is not None:
                with anyio.CancelScope(shield=True):
                    await hosted.close()
            raise
        node = NatsNode(self, system, nc, hosted)
        attached.append(node)
        try:
            await node._start()
        except BaseException:
            with anyio.CancelScope(shield=True):
                await node.nc.close()
                if hosted is not None:
                    await hosted.close()
            raise
        return node


@asynccontextmanager
async def attach_cluster(system: ActorSystem, cluster: NatsCluster) -> AsyncIterator[NatsNode]:
    """Attach a running ``system`` to ``cluster`` for the duration of the block.

    What ``ActorSystem(cluster=...)`` will do by itself; usable today::

        async with ActorSystem("shop") as system, attach_cluster(system, cluster) as node:
            orders = await node.find("orders")

    On leaving, the node detaches: its names and lease are released, buffered
    messages are sent, and the connection closes.
    """
    node = await cluster.attach(system)
    try:
        yield node
    finally:
        await node.detach()
