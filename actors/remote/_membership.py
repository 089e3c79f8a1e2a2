"""Membership and remote death watch.

Each node keeps a lease: a key named after it in the cluster's lease bucket,
whose entries expire ``lease_ttl`` seconds after their last write. The node
rewrites it every ``lease_ttl / 3`` seconds; when it dies the key expires and
the server publishes a marker that every node's watcher sees. A node that
comes back under the same name writes a new incarnation, which also counts as
the death of the old one.

``watch`` on a remote ref asks the target's node to watch the actor there
(through a relay ref); the relay publishes a notice when the actor stops.
Either the notice or the lease's end delivers ``Terminated``, exactly once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING

import anyio
import msgspec
import nats.errors
import nats.js.errors

from actors import ActorRef, Terminated

from ._buckets import open_bucket
from ._errors import ActorNotFound, NodeNameInUse
from ._names import Address
from ._ref import CallbackRef, RemoteActorRef
from ._wire import Frame, UndecodableError

if TYPE_CHECKING:
    from nats.aio.msg import Msg
    from nats.js.kv import KeyValue

    from ._node import NatsNode

logger = logging.getLogger(__name__)


class WatchRequest(msgspec.Struct, array_like=True):
    """Watch (or unwatch) the actor at ``path`` for node ``node``."""

    path: str
    node: str


class WatchAck(msgspec.Struct, array_like=True):
    """The answer to a watch: ``alive`` is false when the actor was already gone."""

    alive: bool


class TerminatedNotice(msgspec.Struct, array_like=True):
    """The actor at ``path`` on ``node`` has stopped."""

    node: str
    path: str


class Membership:
    """The lease of this node, the live view of the others, and remote watches."""

    def __init__(self, node: NatsNode) -> None:
        self.node = node
        self.incarnation = uuid.uuid4().hex[:16]
        #: Live nodes by name, with their incarnation.
        self.live: dict[str, str] = {}
        self._kv: KeyValue | None = None
        self._watcher: KeyValue.KeyWatcher | None = None
        self._revision = 0
        self._watchers: dict[RemoteActorRef, dict[ActorRef, None]] = {}
        self._relays: dict[tuple[str, str], CallbackRef] = {}
        self._ready = anyio.Event()
        self._refreshing = anyio.CancelScope()
        #: When the last lease write that succeeded was sent (``anyio.current_time()``):
        #: the lease lasts at least ``lease_ttl`` from then. For self-fencing.
        self.renewed_at = 0.0
        #: How many times the lease was found expired (the node had stalled): each one
        #: ends what the node held under the lease before it (shards, for sharding).
        self.lease_epoch = 0

    # -- the lease --------------------------------------------------------

    async def start(self) -> None:
        config = self.node.config
        self._kv = kv = await open_bucket(
            self.node.js,
            self.node.subjects.bucket("leases"),
            config.bucket_replicas,
            config.connect_timeout,
            ttl=config.lease_ttl,
            limit_marker_ttl=max(config.lease_ttl, 1.0),  # the server's minimum
        )
        with anyio.move_on_after(config.lease_ttl * 2):
            while True:
                try:
                    sent = anyio.current_time()
                    self._revision = await kv.create(self.node.name, self.incarnation.encode())
                    self.renewed_at = sent
                    break
                except nats.js.errors.KeyWrongLastSequenceError:
                    await anyio.sleep(config.lease_ttl / 6)  # a previous incarnation's lease
        if not self._revision:
            ttl = config.lease_ttl
            raise NodeNameInUse(
                f"node name {self.node.name!r} is held by a live node of cluster "
                f"{self.node.system.name!r} (its lease was still refreshed after waiting "
                f"{2 * ttl:g} s); a crashed node's name is free {ttl:g} s (lease_ttl) after "
                "its last refresh, so retry after that, or give each process its own node name"
            )
        self.live[self.node.name] = self.incarnation

    async def run(self) -> None:
        self._watcher = watcher = await self._watch_leases()
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(self._refresh_until_stopped)
            task_group.start_soon(self._reconcile)
            async for entry in watcher:
                if entry is None:
                    self._ready.set()
                    continue
                if entry.operation in ("DEL", "PURGE"):
                    incarnation = self.live.pop(entry.key, None)
                    if incarnation is not None:
                        # DEL: a node that detached (it released its names itself);
                        # PURGE: an expired lease, whose names the survivors remove.
                        self._node_died(entry.key, incarnation, expired=entry.operation == "PURGE")
                    continue
                new = (entry.value or b"").decode()
                old = self.live.get(entry.key)
                if old is not None and old != new:
                    self._node_died(entry.key, old, expired=True)
                self.live[entry.key] = new

    async def _watch_leases(self) -> KeyValue.KeyWatcher:
        """A watcher of every lease, retried while JetStream cannot make its consumer yet.

        On a cluster that is still forming, or electing a leader for the
        bucket, creating the consumer times out; that is transient, and must
        not end the node (the lease itself is already written).
        """
        assert self._kv is not None
        delay = 0.1
        while True:
            try:
                return await self._kv.watchall()
            except (nats.errors.Error, TimeoutError) as error:
                logger.warning(
                    "node %s: watching the leases failed (%r); retrying in %.1f s",
                    self.node.name,
                    error,
                    delay,
                )
                await anyio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _reconcile(self) -> None:
        """Every ``lease_ttl``, check each live node's lease in the bucket itself.

        The watcher's consumer lives on one server: if that server dies, its
        expiry markers stop arriving, and a node that died meanwhile would stay
        "live" for good. Reading the leases directly catches what it missed.
        """
        assert self._kv is not None
        while True:
            await anyio.sleep(self.node.config.lease_ttl)
            for name, incarnation in list(self.live.items()):
                if name == self.node.name:
                    continue
                try:
                    entry = await self._kv.get(name)
                    held = (entry.value or b"").decode()
                except nats.js.errors.KeyNotFoundError:  # expired or deleted
                    held = ""
                except (nats.errors.Error, TimeoutError):
                    continue  # the bucket is unreachable for now: decide nothing
                if held != incarnation and self.live.get(name) == incarnation:
                    del self.live[name]
                    self._node_died(name, incarnation, expired=True)

    async def is_live(self, node: str, incarnation: str) -> bool:
        """Whether ``node`` holds its lease in ``incarnation`` (asking the bucket if need be)."""
        if self.live.get(node) == incarnation:
            return True
        assert self._kv is not None
        try:
            entry = await self._kv.get(node)
        except nats.js.errors.KeyNotFoundError:
            return False
        return (entry.value or b"").decode() == incarnation

    async def wait_ready(self) -> None:
        """Wait until the live view holds every node alive when this node joined."""
        await self._ready.wait()

    async def _refresh_until_stopped(self) -> None:
        with self._refreshing:
            await self._refresh()

    async def _refresh(self) -> None:
        assert self._kv is not None
        interval = self.node.config.lease_ttl / 3
        value = self.incarnation.encode()
        while True:
            await anyio.sleep(interval)
            sent = anyio.current_time()
            try:
                self._revision = await self._kv.update(self.node.name, value, last=self._revision)
                self.renewed_at = sent
            except nats.js.errors.KeyWrongLastSequenceError:
                if await self._adopt_own_lease():
                    # An earlier write landed unheard: write again at once, from it.
                    try:
                        sent = anyio.current_time()
                        self._revision = await self._kv.update(
                            self.node.name, value, last=self._revision
                        )
                        self.renewed_at = sent
                    except (nats.errors.Error, TimeoutError) as error:
                        logger.warning("node %s: lease refresh failed: %r", self.node.name, error)
                    continue
                self.lease_epoch += 1
                logger.error(  # noqa: TRY400 - the message says it all; no traceback
                    "node %s: its lease expired (the node stalled for over %s s); "
                    "other nodes have declared its actors terminated",
                    self.node.name,
                    self.node.config.lease_ttl,
                )
                try:
                    sent = anyio.current_time()
                    self._revision = await self._kv.create(self.node.name, value)
                    self.renewed_at = sent
                except nats.js.errors.KeyWrongLastSequenceError:
                    if not await self._adopt_own_lease():
                        logger.critical("node %s: another node took its name", self.node.name)
                except (nats.errors.Error, TimeoutError) as error:
                    logger.warning("node %s: lease renewal failed: %r", self.node.name, error)
            except (nats.errors.Error, TimeoutError) as error:
                logger.warning("node %s: lease refresh failed: %r", self.node.name, error)

    async def _adopt_own_lease(self) -> bool:
        """Whether the lease in the bucket is this incarnation's own (its revision then adopted).

        A write whose answer was lost (a timeout while the bucket elected a new
        leader) may have landed all the same: the next write then meets a
        revision it did not expect, although the lease is still this node's.
        """
        assert self._kv is not None
        try:
            entry = await self._kv.get(self.node.name)
        except (nats.errors.Error, TimeoutError):
            return False  # gone, or unreadable for now: not known to be ours
        if (entry.value or b"").decode() != self.incarnation or entry.revision is None:
            return False
        self._revision = entry.revision
        return True

    async def stop(self) -> None:
        self._refreshing.cancel()  # no refresh may race the release below
        try:
            if self._watcher is not None:
                await self._watcher.stop()  # type: ignore[no-untyped-call]  # nats-py: untyped
            if self._kv is not None and self._revision:
                try:
                    await self._kv.delete(self.node.name, last=self._revision)
                except (nats.js.errors.BadRequestError, nats.js.errors.KeyWrongLastSequenceError):
                    # A refresh cancelled in flight may have landed (on trio its task on the
                    # client's loop can finish after the cancel): release the lease if ours.
                    entry = await self._kv.get(self.node.name)
                    if entry.value == self.incarnation.encode():
                        await self._kv.delete(self.node.name, last=entry.revision)
        except (nats.errors.Error, TimeoutError) as error:
            logger.warning("node %s: could not release its lease: %r", self.node.name, error)

    def _node_died(self, name: str, incarnation: str, *, expired: bool) -> None:
        if name == self.node.name:
            return
        logger.info("node %s has left cluster %s", name, self.node.system.name)
        self.node.requests.fail_node(name)
        for target in [target for target in self._watchers if target.address.node == name]:
            self._terminated(target)
        for key in [key for key in self._relays if key[1] == name]:
            relay = self._relays.pop(key)
            local = self.node.system.lookup(key[0])
            if local is not None:
                local._unwatch(relay)
        if expired:
            self.node.start_soon(self.node.registry.node_died, name, incarnation)

    # -- watching remote actors -------------------------------------------

    def watch(self, target: RemoteActorRef, watcher: ActorRef) -> None:
        watchers = self._watchers.get(target)
        if watchers is not None:
            watchers[watcher] = None
            return
        self._watchers[target] = {watcher: None}
        # Even for a node missing from the live view (it may have joined a moment
        # ago): the request's "no responders" is the authoritative answer.
        request = WatchRequest(target.path, self.node.name)
        data = self.node.codec.encode_control("$watch", request)
        reply = self.node.requests.request_control(target.address.node, "watch", data)
        self.node.start_soon(self._registered, target, reply)

    def unwatch(self, target: RemoteActorRef, watcher: ActorRef) -> None:
        watchers = self._watchers.get(target)
        if watchers is None:
            return
        watchers.pop(watcher, None)
        if not watchers:
            del self._watchers[target]
            request = WatchRequest(target.path, self.node.name)
            data = self.node.codec.encode_control("$unwatch", request)
            self.node.send_control(target.address.node, "unwatch", data)

    async def _registered(self, target: RemoteActorRef, reply: asyncio.Future[Frame]) -> None:
        try:
            with anyio.fail_after(self.node.config.lease_ttl):
                frame = await reply
            alive = self.node.codec.decode_control(frame, WatchAck).alive
        except ActorNotFound:
            alive = False
        except (TimeoutError, UndecodableError) as error:
            # The lease decides: if the node is gone, its expiry delivers Terminated.
            logger.warning("node %s: watching %s: %r", self.node.name, target, error)
            return
        finally:
            reply.cancel()
        if not alive:
            self._terminated(target)

    def _terminated(self, target: RemoteActorRef) -> None:
        for watcher in self._watchers.pop(target, None) or ():
            watcher._tell_quietly(Terminated(target))

    # -- control traffic from other nodes ---------------------------------

    def on_control(self, kind: str, msg: Msg) -> None:
        codec = self.node.codec
        try:
            frame = codec.decode_frame(msg.data)
            if kind == "watch":
                self._on_watch(codec.decode_control(frame, WatchRequest), msg)
            elif kind == "unwatch":
                request = codec.decode_control(frame, WatchRequest)
                relay = self._relays.pop((request.path, request.node), None)
                local = self.node.system.lookup(request.path)
                if relay is not None and local is not None:
                    local._unwatch(relay)
            elif kind == "terminated":
                notice = codec.decode_control(frame, TerminatedNotice)
                self._terminated(RemoteActorRef(self.node, Address(notice.node, notice.path)))
            else:
                logger.warning("node %s: unknown control subject %s", self.node.name, kind)
        except UndecodableError as error:
            logger.warning("node %s: bad control frame on %s: %s", self.node.name, kind, error)

    def _on_watch(self, request: WatchRequest, msg: Msg) -> None:
        local = self.node.system.lookup(request.path)
        if local is None:
            self.node.reply_control(msg, "$watch-ack", WatchAck(alive=False))
            return
        key = (request.path, request.node)
        if key not in self._relays:
            relay = CallbackRef(
                f"{request.path}#watched-by-{request.node}",
                lambda message: self._relay(key, message),
            )
            self._relays[key] = relay
            local._watch(relay)
        self.node.reply_control(msg, "$watch-ack", WatchAck(alive=True))

    def _relay(self, key: tuple[str, str], message: object) -> None:
        if not isinstance(message, Terminated) or self._relays.pop(key, None) is None:
            return
        path, watcher_node = key
        notice = TerminatedNotice(self.node.name, path)
        data = self.node.codec.encode_control("$terminated", notice)
        self.node.send_control(watcher_node, "terminated", data)
