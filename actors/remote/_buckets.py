"""The cluster's key-value buckets (leases, names), replicated as far as the cluster allows.

A bucket with one replica lives on one server: when that server dies, every
lease refresh and name lookup fails until it comes back. So buckets are
created with ``NatsCluster(bucket_replicas=...)`` copies; by default three,
falling back to one on a server outside a JetStream cluster, or (with a
warning) in a cluster that cannot place three within the connect timeout.
A bucket that already exists keeps the settings it was created with (a
warning says so when it has fewer replicas than asked).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import anyio
import nats.js.errors

if TYPE_CHECKING:
    from nats.js.client import JetStreamContext
    from nats.js.kv import KeyValue

logger = logging.getLogger(__name__)

#: Replicas of the cluster's buckets unless configured: survives the loss of one server of three.
DEFAULT_REPLICAS = 3

#: JetStream's answer to replicas > 1 on a server outside any JetStream cluster.
_NOT_CLUSTERED = 10074

#: JetStream's answers meaning "not enough servers for the replicas right now":
#: a cluster still forming, a peer offline, or fewer servers than replicas.
_TOO_FEW_PEERS = frozenset({10005, 10023})

#: JetStream's answer to creating a stream that exists with other settings.
_EXISTS_OTHERWISE = 10058


async def open_bucket(
    js: JetStreamContext, bucket: str, replicas: int | None, wait: float, **config: Any
) -> KeyValue:
    """The key-value bucket ``bucket``, created with ``replicas`` copies if it does not exist.

    ``replicas=None`` asks for :data:`DEFAULT_REPLICAS`: on a server outside a
    JetStream cluster it settles for one at once; in a cluster that cannot
    place three copies (still forming, or smaller) it asks again for up to
    ``wait`` seconds, then settles for one with a warning. An explicit number
    is required.

    Raises:
        nats.js.errors.APIError: JetStream refused (an explicit ``replicas``
            beyond what the cluster has, among others).
    """
    wanted = DEFAULT_REPLICAS if replicas is None else replicas
    deadline = anyio.current_time() + wait
    while True:
        try:
            return await js.create_key_value(bucket=bucket, replicas=wanted, **config)
        except nats.js.errors.APIError as error:
            if error.err_code == _EXISTS_OTHERWISE:
                return await _existing(js, bucket, wanted)
            if replicas is not None:
                raise
            if error.err_code == _NOT_CLUSTERED:
                logger.debug("bucket %s: one replica (no JetStream cluster): %r", bucket, error)
                break
            if error.err_code not in _TOO_FEW_PEERS:
                raise
            if anyio.current_time() >= deadline:
                logger.warning(
                    "bucket %s: the JetStream cluster cannot place %d replicas (%s); it has "
                    "one, so losing its server stops leases and names: add servers, or set "
                    "NatsCluster(bucket_replicas=...)",
                    bucket,
                    wanted,
                    error.description,
                )
                break
        await anyio.sleep(0.2)  # a forming cluster: its peers come online within seconds
    try:
        return await js.create_key_value(bucket=bucket, replicas=1, **config)
    except nats.js.errors.APIError as error:
        if error.err_code == _EXISTS_OTHERWISE:
            return await _existing(js, bucket, 1)
        raise


async def _existing(js: JetStreamContext, bucket: str, wanted: int) -> KeyValue:
    kv = await js.key_value(bucket)
    status = await kv.status()
    replicas = status.stream_info.config.num_replicas or 1
    if replicas < wanted:
        logger.warning(
            "bucket %s exists with %d replica(s), fewer than %d: it keeps its settings; "
            "raise them with `nats stream edit KV_%s --replicas %d`",
            bucket,
            replicas,
            wanted,
            bucket,
            wanted,
        )
    return kv
