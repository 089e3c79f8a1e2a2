"""The durable records of cluster sharding in JetStream key-value storage.

Remembered entities and reminders of a shard are kept, in a cluster, in the
bucket ``<prefix>_<cluster>_sharding`` under ``<type>.entities.<n>`` and
``<type>.reminders.<n>`` (the shard's owner writes them; ``actors.sharding``
decides what they hold). A value is the MessagePack pair ``[token, items]``:
``token`` is the revision of the ownership record of the writer (its fencing
token, see ``_shard_placement``), and each item is encoded on its own through
the cluster's :class:`~actors.serialization.MessageRegistry` (never pickle),
so one item that cannot be decoded costs that item, not the shard's others.

Writes are compare-and-set on the record's revision. Values are bounded by
:data:`MAX_RECORD_BYTES` (the bucket refuses larger ones too).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import anyio
import msgspec
import nats.js.errors
from attrs import frozen

from actors.serialization import UndecodableValue, ValueCodec
from actors.sharding import ShardingError

from ._buckets import open_bucket
from ._names import escape

if TYPE_CHECKING:
    from nats.js.kv import KeyValue

    from ._node import NatsNode

logger = logging.getLogger(__name__)

#: The largest value of one record: the remembered ids or reminders of one shard.
MAX_RECORD_BYTES = 512 * 1024

#: The kinds of record a shard has.
KINDS = ("entities", "reminders")


class _RecordValue(msgspec.Struct, array_like=True):
    token: int
    items: list[bytes]


@frozen
class Damaged:
    """An item of a stored record (or the whole record) that cannot be decoded."""

    key: str
    reason: str
    raw: bytes


@frozen
class StoredRecord:
    """A record as read: its revision, the writer's token, the items that decoded, the others."""

    revision: int
    token: int
    items: list[object]
    damaged: list[Damaged]


class DurableShardRecords:
    """The sharding records of one entity type in the cluster's ``sharding`` bucket."""

    def __init__(self, node: NatsNode, type_name: str) -> None:
        self._node = node
        self._prefix = f"{escape(type_name)}."
        self._codec = ValueCodec(node.config.registry)
        self._kv: KeyValue | None = None
        self._opening = anyio.Lock()

    @property
    def bucket(self) -> str:
        """The bucket's name."""
        return self._node.subjects.bucket("sharding")

    async def _bucket(self) -> KeyValue:
        async with self._opening:
            if self._kv is None:
                config = self._node.config
                self._kv = await open_bucket(
                    self._node.js,
                    self.bucket,
                    config.bucket_replicas,
                    config.connect_timeout,
                    max_value_size=MAX_RECORD_BYTES,
                )
            return self._kv

    def key(self, kind: str, shard: int) -> str:
        """The key of the ``kind`` record (``entities`` or ``reminders``) of ``shard``."""
        return f"{self._prefix}{kind}.{shard}"

    async def get(self, key: str) -> StoredRecord | None:
        """The record at ``key``, or ``None`` if there is none; never raises for its content.

        What cannot be decoded comes back in ``damaged`` with the raw bytes.
        """
        kv = await self._bucket()
        try:
            entry = await kv.get(key)
        except nats.js.errors.KeyNotFoundError:
            return None
        assert entry.revision is not None
        raw = entry.value or b""
        try:
            value = msgspec.msgpack.decode(raw, type=_RecordValue)
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            reason = f"not a sharding record [token, items]: {error}"
            return StoredRecord(entry.revision, 0, [], [Damaged(key, reason, raw)])
        items: list[object] = []
        damaged: list[Damaged] = []
        for index, item in enumerate(value.items):
            try:
                items.append(self._codec.decode(item))
            except UndecodableValue as error:
                damaged.append(Damaged(key, f"item {index}: {error}", item))
        return StoredRecord(entry.revision, value.token, items, damaged)

    async def put(self, key: str, token: int, items: list[object], *, last: int) -> int | None:
        """Store ``items`` if the record is still at revision ``last`` (0: absent).

        Returns:
            The new revision, or ``None`` when another writer changed the record.

        Raises:
            UnregisteredType: an item holds a type the registry cannot encode.
            ShardingError: the encoded record is larger than :data:`MAX_RECORD_BYTES`.
        """
        encoded = [self._codec.encode(item) for item in items]
        data = msgspec.msgpack.encode(_RecordValue(token, encoded))
        if len(data) > MAX_RECORD_BYTES:
            raise ShardingError(
                f"sharding record {key!r} would take {len(data)} bytes, over the limit of "
                f"{MAX_RECORD_BYTES}; spread the entities over more shards, or keep fewer or "
                "smaller reminders per entity"
            )
        kv = await self._bucket()
        try:
            if last == 0:
                return await kv.create(key, data)
            return await kv.update(key, data, last=last)
        except nats.js.errors.KeyWrongLastSequenceError:
            return None

    async def shards(self) -> set[int]:
        """The shards of this type that have a record (of either kind)."""
        kv = await self._bucket()
        try:
            keys = await kv.keys()
        except nats.js.errors.NoKeysError:
            return set()
        found: set[int] = set()
        for key in keys:
            if not key.startswith(self._prefix):
                continue
            kind, _, shard = key[len(self._prefix) :].partition(".")
            if kind in KINDS and shard.isdigit():
                found.add(int(shard))
        return found
