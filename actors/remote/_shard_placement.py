"""Shard placement over NATS: who owns a shard, who hosts a type, and the regions' endpoints.

``actors.sharding`` decides what to route where; this module is the part that
talks to the cluster. In the cluster's ``shards`` key-value bucket:

- ``<type>.shard.<n>`` holds the owner of shard ``n`` as ``[node, incarnation]``.
  It is written by compare-and-set only: created when absent, replaced (on
  its revision) when its node's lease has ended, or handed over to another
  host (or released) by its owner when the shard moves (``_shard_moves.py``).
  The revision is the fencing token of that ownership; the record is valid exactly while the owner's
  lease (same node, same incarnation) lives, so there is no per-shard renewal.
- ``<type>.host.<node>`` says that ``node`` hosts the type, with the shard
  count it started with: a node that joins with another count is refused.

Each hosting node serves its region at the virtual path ``/sharding/<type>``:
messages for an entity travel there as envelopes ``[entity_id, hops, message]``
(the type is the endpoint's) over the ordinary actor subjects, so they keep
the transport's order per sender. The envelope is a plain list, so only the
message inside it is a registered type: one level of encoding, not two. The
endpoint is ``_shard_endpoint.py``'s; envelopes are written by
``_shard_envelopes.py`` and read by ``_envelope_reading.py``, both without the
general walk.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
import msgspec
import nats.js.errors

from actors.sharding import ShardingError

from ._buckets import open_bucket
from ._names import Address, escape
from ._neutral import loop_clock
from ._ref import RemoteActorRef
from ._shard_endpoint import Endpoint, RoutedHandler
from ._shard_envelopes import EnvelopeRoute, EnvelopeSender, envelope_sender, guarded_sender
from ._shard_moves import ShardMovesMixin
from ._shard_records import HostRecord, Owner, OwnerRecord, weight

if TYPE_CHECKING:
    from nats.js.kv import KeyValue

    from ._membership import Membership
    from ._node import NatsNode
    from ._shard_kv_store import DurableShardRecords

#: The part of ``lease_ttl`` since the last lease write after which a node fences itself.
FENCE_AFTER = 3 / 4
#: Rounds of compare-and-set before a claim gives up (each loses to one concurrent writer at most).
CLAIM_ROUNDS = 5


#: An entity's message on its way to the owner's region: ``[entity_id, hops, message]``.
Envelope = tuple[str, int, object]


def _refused(entity_id: str, hops: int, message: object) -> bool:
    """The route to an owner that can never hold again: every tell takes the general path."""
    return False


class NatsPlacement(ShardMovesMixin):
    """Shard ownership and routing for the sharding regions of one node."""

    def __init__(self, node: NatsNode) -> None:
        self.node = node
        self._kv: KeyValue | None = None
        self._opening = anyio.Lock()
        self._clock: Callable[[], float] | None = None
        #: Seconds after a lease write when this node fences itself (see ``lease_fresh``).
        self._fence_after = node.config.lease_ttl * FENCE_AFTER
        self._targets: dict[tuple[str, str], RemoteActorRef] = {}
        self._senders: dict[tuple[str, str], EnvelopeSender] = {}
        self._hosts: dict[str, tuple[float, list[Owner]]] = {}
        self._handlers: dict[str, RoutedHandler] = {}

    @property
    def node_name(self) -> str:
        """This node's name."""
        return self.node.name

    @property
    def lease_ttl(self) -> float:
        """Seconds after which a silent node's lease, and so its shards, end."""
        return self.node.config.lease_ttl

    def records(self, type_name: str) -> DurableShardRecords:
        """The durable records (reminders, remembered entities) of ``type_name``'s shards."""
        # Imported here: only a region that starts in a cluster needs them.
        from ._shard_kv_store import DurableShardRecords  # noqa: PLC0415

        return DurableShardRecords(self.node, type_name)

    async def _bucket(self) -> KeyValue:
        async with self._opening:
            if self._kv is None:
                config = self.node.config
                self._kv = await open_bucket(
                    self.node.js,
                    self.node.subjects.bucket("shards"),
                    config.bucket_replicas,
                    config.connect_timeout,
                )
            return self._kv

    # -- validity -----------------------------------------------------------------

    def holds(self, owner: Owner) -> bool:
        """Whether ``owner``'s lease is in this node's live view (no I/O: on every message).

        This node's own ownership holds only while its lease is fresh (self-fencing).
        """
        # Once per message on both sides: is_me and lease_fresh inlined, same checks.
        membership = self.node.membership
        if owner.node != self.node.name:
            return membership.live.get(owner.node) == owner.incarnation
        return (
            owner.incarnation == membership.incarnation
            and owner.epoch == membership.lease_epoch
            and (self._clock or self._bind_clock())() - membership.renewed_at < self._fence_after
        )

    def is_me(self, owner: Owner) -> bool:
        """Whether ``owner`` is this node, in this incarnation and lease epoch."""
        membership = self.node.membership
        return (
            owner.node == self.node.name
            and owner.incarnation == membership.incarnation
            and owner.epoch == membership.lease_epoch
        )

    def lease_fresh(self) -> bool:
        """Whether this node's lease was written less than ``FENCE_AFTER`` of its TTL ago.

        Past that, the lease may lapse before the next write lands, so the
        node stops acting as an owner: it fences itself before other nodes
        can take its shards.
        """
        clock = self._clock or self._bind_clock()
        return clock() - self.node.membership.renewed_at < self._fence_after

    def _bind_clock(self) -> Callable[[], float]:
        # The clock the lease writes are stamped with (the system's loop's), bound once.
        clock = loop_clock()
        if getattr(clock, "__func__", None) is asyncio.BaseEventLoop.time:
            # asyncio's own loop.time() is time.monotonic() in a Python method: the
            # same clock without that call (a loop with a clock of its own keeps it).
            clock = time.monotonic
        self._clock = clock
        return clock

    def lease_epoch(self) -> int:
        """This node's lease epoch: it changes when the lease was found expired."""
        return self.node.membership.lease_epoch

    def lease_view(self) -> tuple[Membership, Callable[[], float], float]:
        """This node's lease, its clock and ``FENCE_AFTER`` of its TTL: what :meth:`holds`
        checks for this node's own ownership, for a check inline on every message."""
        return self.node.membership, self._clock or self._bind_clock(), self._fence_after

    # -- joining ------------------------------------------------------------------

    async def join(self, type_name: str, shards: int, handler: RoutedHandler) -> None:
        """Check the shard count against the live hosts, record this host, serve its endpoint.

        Raises:
            ShardingError: a live node hosts the type with another shard count.
        """
        kv = await self._bucket()
        membership = self.node.membership
        prefix = f"{escape(type_name)}.host."
        try:
            keys = await kv.keys()
        except nats.js.errors.NoKeysError:
            keys = []
        for key in [key for key in keys if key.startswith(prefix)]:
            try:
                entry = await kv.get(key)
                host = msgspec.msgpack.decode(entry.value or b"", type=HostRecord)
            except (nats.js.errors.KeyNotFoundError, msgspec.DecodeError, msgspec.ValidationError):
                continue
            other = key[len(prefix) :]
            if host.shards != shards and await membership.is_live(other, host.incarnation):
                raise ShardingError(
                    f"every node must shard entity type {type_name!r} alike, and node "
                    f"{other!r} hosts it with shards={host.shards} (got shards={shards}); "
                    f"start it with shards={host.shards} here, or restart the cluster "
                    "with one count"
                )
        # Served before it is recorded: a shard handed here finds the endpoint up.
        self.serve(type_name, handler)
        record = HostRecord(membership.incarnation, shards)
        await kv.put(f"{prefix}{self.node.name}", msgspec.msgpack.encode(record))
        self._hosts.pop(type_name, None)
        self._handlers[type_name] = handler

    def _endpoint(self, path: str, handler: RoutedHandler) -> Endpoint:
        return Endpoint(self.node, path, handler)

    # -- ownership ----------------------------------------------------------------

    async def owner(self, type_name: str, shard: int) -> Owner | None:
        """The shard's owner if its record is valid (its node's lease lives), else ``None``."""
        kv = await self._bucket()
        try:
            entry = await kv.get(f"{escape(type_name)}.shard.{shard}")
            held = msgspec.msgpack.decode(entry.value or b"", type=OwnerRecord)
        except (nats.js.errors.KeyNotFoundError, msgspec.DecodeError, msgspec.ValidationError):
            return None
        if entry.revision is None or not await self.node.membership.is_live(
            held.node, held.incarnation
        ):
            return None
        return Owner(held.node, held.incarnation, entry.revision, self.lease_epoch())

    async def _live_hosts(self, type_name: str) -> list[Owner]:
        """The live hosts of ``type_name``, read again when a cached one has left or aged."""
        cached = self._hosts.get(type_name)
        now = anyio.current_time()
        if (
            cached is not None
            and now - cached[0] < self.lease_ttl
            and all(self.holds(host) for host in cached[1])
        ):
            return cached[1]
        kv = await self._bucket()
        prefix = f"{escape(type_name)}.host."
        try:
            keys = await kv.keys()
        except nats.js.errors.NoKeysError:
            keys = []
        hosts = []
        for key in sorted(key for key in keys if key.startswith(prefix)):
            try:
                entry = await kv.get(key)
                host = msgspec.msgpack.decode(entry.value or b"", type=HostRecord)
            except (nats.js.errors.KeyNotFoundError, msgspec.DecodeError, msgspec.ValidationError):
                continue
            node = key[len(prefix) :]
            if await self.node.membership.is_live(node, host.incarnation):
                hosts.append(Owner(node, host.incarnation, 0))
        self._hosts[type_name] = (now, hosts)
        return hosts

    async def a_host(self, type_name: str) -> Owner | None:
        """A live node hosting ``type_name`` (for a node that does not), or ``None``."""
        hosts = await self._live_hosts(type_name)
        return hosts[0] if hosts else None

    async def claim(self, type_name: str, shard: int, *, forwarded: bool) -> Owner:
        """Whoever owns the shard now: a live owner, else its preferred host, else this node.

        Shards are spread over the live hosts by rendezvous hashing (each shard
        prefers the host with the highest BLAKE2b weight of shard and node), so
        a host joining or leaving changes the preference of its share of
        shards only. A node that is not the preferred host returns that host
        unclaimed (the message goes there, and that host claims it); one that
        is, or that received the message forwarded, claims it.

        Compare-and-set only: the record is created if absent, or replaced on
        its revision if its node's lease has ended, so of nodes racing for a
        shard exactly one wins and the others read the winner.

        Raises:
            ShardingError: the record kept changing under this node's feet.
        """
        if not self.lease_fresh():
            raise ShardingError(
                f"node {self.node.name!r} claims no shard while its lease is not fresh "
                "(it stalled or is cut off from NATS); its messages wait for the renewal"
            )
        owner = await self.owner(type_name, shard)
        if owner is not None:
            return owner
        if not forwarded:
            hosts = await self._live_hosts(type_name)
            if hosts:
                preferred = max(hosts, key=lambda host: weight(type_name, shard, host.node))
                if preferred.node != self.node.name:
                    return preferred
        kv = await self._bucket()
        key = f"{escape(type_name)}.shard.{shard}"
        incarnation = self.node.membership.incarnation
        mine = msgspec.msgpack.encode(OwnerRecord(self.node.name, incarnation))
        for _ in range(CLAIM_ROUNDS):
            try:
                revision = await kv.create(key, mine)
                return Owner(self.node.name, incarnation, revision, self.lease_epoch())
            except nats.js.errors.KeyWrongLastSequenceError:
                pass
            try:
                entry = await kv.get(key)
                held = msgspec.msgpack.decode(entry.value or b"", type=OwnerRecord)
            except nats.js.errors.KeyNotFoundError:
                continue
            except (msgspec.DecodeError, msgspec.ValidationError):
                held = OwnerRecord("", "")
            assert entry.revision is not None
            if held.node and await self.node.membership.is_live(held.node, held.incarnation):
                return Owner(held.node, held.incarnation, entry.revision, self.lease_epoch())
            try:
                revision = await kv.update(key, mine, last=entry.revision)
                return Owner(self.node.name, incarnation, revision, self.lease_epoch())
            except nats.js.errors.KeyWrongLastSequenceError:
                continue
        raise ShardingError(
            f"shard {shard} of entity type {type_name!r} is contended by several nodes; "
            "its messages are retried on the next send"
        )

    # -- sending ------------------------------------------------------------------

    def envelope(self, entity_id: str, message: object, hops: int) -> Envelope:
        """The envelope that carries ``message`` to the owner's region."""
        return (entity_id, hops, message)

    def _target(self, node: str, type_name: str) -> RemoteActorRef:
        target = self._targets.get((node, type_name))
        if target is None:
            address = Address(node, f"/sharding/{type_name}")
            target = self._targets[node, type_name] = RemoteActorRef(self.node, address)
        return target

    def sender(self, node: str, type_name: str) -> EnvelopeSender:
        """The function that publishes envelopes ``(entity_id, hops, message)`` to ``node``'s
        region: as :meth:`tell`, its frame written without the general walk."""
        sender = self._senders.get((node, type_name))
        if sender is None:
            target = self._target(node, type_name)
            sender = self._senders[node, type_name] = envelope_sender(self.node, target)
        return sender

    def route(
        self, owner: Owner, type_name: str, here: Callable[[str, object], None] | None
    ) -> EnvelopeRoute:
        """A tell's fast path to ``owner``: ``(entity_id, hops, message)`` sent to its region,
        or handed to ``here`` if ``owner`` is this node; ``False`` (nothing done) once
        :meth:`holds` no longer holds for ``owner`` (the same checks, inlined)."""
        if owner.node != self.node.name:
            return guarded_sender(self.node, self._target(owner.node, type_name), owner)
        if here is None or not self.is_me(owner):
            return _refused  # this node in another incarnation or lease epoch: never held
        membership = self.node.membership
        incarnation, epoch = owner.incarnation, owner.epoch
        fence_after = self._fence_after
        clock = self._clock or self._bind_clock()

        def deliver_here(entity_id: str, hops: int, message: object) -> bool:
            if (
                incarnation == membership.incarnation
                and epoch == membership.lease_epoch
                and clock() - membership.renewed_at < fence_after
            ):
                here(entity_id, message)
                return True
            return False

        return deliver_here

    def tell(self, node: str, type_name: str, routed: Envelope) -> None:
        """Publish ``routed`` (a move's notice, say) to ``node``'s region (in order, at most once).

        Raises:
            TypeError: the message is not registered for the wire.
        """
        self._target(node, type_name).tell(routed)

    async def send(self, node: str, type_name: str, routed: Envelope) -> None:
        """As :meth:`tell`, waiting while this node's outbound buffer is full."""
        await self._target(node, type_name).send(routed)

    async def ask(self, node: str, type_name: str, routed: Envelope, timeout: float | None) -> Any:
        """Ask ``node``'s region; its entity's reply or exception comes back."""
        return await self._target(node, type_name).ask(routed, timeout=timeout)
