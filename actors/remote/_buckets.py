"""The cluster's key-value buckets (leases, names), replicated as far as the cluster allows.

A bucket with one replica lives on one server: when that server dies, every
lease refresh and name lookup fails until it comes back. So buckets are
created with ``NatsCluster(bucket_replicas=...)`` copies; by default three,
falling back to one on a server that is not part of a JetStream cluster of
three or more. A bucket that already exists keeps the settings it was
created with (a warning says so when it has fewer replicas than asked).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import nats.js.errors

if TYPE_CHECKING:
    from nats.js.client import JetStreamContext
    from nats.js.kv import KeyValue

logger = logging.getLogger(__name__)

#: Replicas of the cluster's buckets unless configured: survives the loss of one server of three.
DEFAULT_REPLICAS = 3

#: JetStream's answers meaning "not that many servers": replicas > 1 without a
#: cluster (10074), and too few servers for the replicas (10005, 10023).
_TOO_FEW_SERVERS = frozenset({10074, 10005, 10023})

#: JetStream's answer to creating a stream that exists with other settings.
_EXISTS_OTHERWISE = 10058


async def open_bucket(
    js: JetStreamContext, bucket: str, replicas: int | None, **config: Any
) -> KeyValue:
    """The key-value bucket ``bucket``, created with ``replicas`` copies if it does not exist.

    ``replicas=None`` asks for :data:`DEFAULT_REPLICAS` and settles for one
    where the servers cannot hold more; an explicit number is required.

    Raises:
        nats.js.errors.APIError: JetStream refused (an explicit ``replicas``
            beyond what the cluster has, among others).
    """
    wanted = DEFAULT_REPLICAS if replicas is None else replicas
    try:
        return await js.create_key_value(bucket=bucket, replicas=wanted, **config)
    except nats.js.errors.APIError as error:
        if error.err_code == _EXISTS_OTHERWISE:
            return await _existing(js, bucket, wanted)
        if replicas is not None or error.err_code not in _TOO_FEW_SERVERS:
            raise
        logger.debug("bucket %s: %r; one replica (no JetStream cluster of 3)", bucket, error)
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
