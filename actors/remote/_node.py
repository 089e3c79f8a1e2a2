"""``NatsNode``: one actor system attached to a NATS cluster.

The node holds one connection and one wildcard subscription on its own
subjects, routes what arrives to local actors by path, and publishes what
remote refs send through one ordered outbound buffer.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING, Any

import anyio
import nats
import nats.errors
from anyio.abc import TaskGroup

from actors import ActorRef, DeadLetter

from ._errors import ActorNotFound, RemoteError, check_timeout
from ._membership import Membership
from ._names import Address, Subjects, path_of
from ._outbound import Item, Outbound
from ._ref import RemoteActorRef
from ._registry import NameRegistry
from ._wire import ERROR, MESSAGE, REPLY, Codec, Frame, RawMessage, UndecodableError

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.aio.subscription import Subscription

    from actors import ActorSystem

    from ._cluster import NatsCluster

logger = logging.getLogger(__name__)

_NO_RESPONDERS = "503"


class NatsNode:
    """The running attachment of an :class:`~actors.ActorSystem` to a NATS cluster.

    Created by :meth:`NatsCluster.attach` (or :func:`attach_cluster`); ended by
    :meth:`detach`. The system's name is the cluster's name.
    """

    def __init__(self, config: NatsCluster, system: ActorSystem, nc: Client) -> None:
        self.config = config
        self.system = system
        self.name = config.node
        self.nc = nc
        self.js = nc.jetstream()
        self.subjects = Subjects(config.prefix, system.name, config.node)
        self.codec = Codec(config.registry, address_of=self._address_of, ref_at=self.ref_at)
        self.membership = Membership(self)
        self.registry = NameRegistry(self)
        self._outbound = Outbound(config.outbound_capacity)
        self._pending: dict[int, tuple[asyncio.Future[Any], Address | None]] = {}
        self._ids = itertools.count(1)
        self._subscription: Subscription | None = None
        self._task_group: TaskGroup | None = None
        self._scope = anyio.CancelScope()
        self._stopped = anyio.Event()
        self._closing = False

    def __repr__(self) -> str:
        return f"<NatsNode {self.name!r} of cluster {self.system.name!r}>"

    # -- lifecycle --------------------------------------------------------

    async def _start(self) -> None:
        await self.membership.start()
        await self.registry.start()
        ready = anyio.Event()
        self.system.start_soon(self._run, ready, name=f"anyactors node {self.name}")
        await ready.wait()
        await self.membership.wait_ready()
        self._subscription = await self.nc.subscribe(
            f"{self.subjects.base}.>",
            cb=self._on_message,
            pending_msgs_limit=self.config.pending_messages,
            pending_bytes_limit=self.config.pending_bytes,
        )
        await self.nc.flush()

    async def _run(self, ready: anyio.Event) -> None:
        try:
            with self._scope:
                async with anyio.create_task_group() as task_group:
                    self._task_group = task_group
                    task_group.start_soon(self._outbound.run, self._send)
                    task_group.start_soon(self.membership.run)
                    ready.set()
                    await anyio.sleep_forever()
        finally:
            self._task_group = None
            self._stopped.set()

    def start_soon(self, fn: Any, *args: Any) -> None:
        """Run ``fn(*args)`` in the node's task group (dropped once the node detaches).

        A NATS error or timeout escaping it is logged; it never takes the node down.
        """
        if self._task_group is not None:
            self._task_group.start_soon(self._guarded, fn, *args)

    async def _guarded(self, fn: Any, *args: Any) -> None:
        try:
            await fn(*args)
        except (nats.errors.Error, TimeoutError) as error:
            if not self._closing:
                logger.warning("node %s: %s failed: %r", self.name, fn.__qualname__, error)

    async def detach(self) -> None:
        """Leave the cluster: names and lease released, buffered messages sent, connection closed.

        Remote watchers of this node's actors receive ``Terminated`` as soon as
        the lease is gone. Idempotent; bounded by the connection's drain timeout.
        """
        if self._closing:
            return
        self._closing = True
        with anyio.move_on_after(self.config.detach_timeout, shield=True):
            try:
                if self._subscription is not None:
                    await self._subscription.unsubscribe()
                await self.registry.stop()
                await self.membership.stop()
                if self._task_group is not None:
                    await self._outbound.wait_drained()
                await self.nc.flush(timeout=1)
            except (nats.errors.Error, TimeoutError) as error:
                logger.warning("node %s: leaving the cluster uncleanly: %r", self.name, error)
            self._scope.cancel()
            await self.nc.close()
        for future, _address in self._pending.values():
            if not future.done():
                future.set_exception(ActorNotFound(f"node {self.name} has left the cluster"))

    async def find(self, name: str) -> ActorRef:
        """The live actor holding the cluster-wide ``name`` (see :meth:`NameRegistry.find`)."""
        return await self.registry.find(name)

    async def register(self, ref: ActorRef, *, name: str | None = None) -> None:
        """Make the local actor ``ref`` reachable cluster-wide as ``name`` (default: its name).

        Raises:
            NameTaken: another live actor holds the name.
        """
        await self.registry.register(ref, name=name)

    def spawned(self, ref: ActorRef) -> None:
        """A top-level named actor was spawned: register its name in the background."""
        self.start_soon(self.registry.register_quietly, ref)

    # -- addresses --------------------------------------------------------

    def _address_of(self, ref: ActorRef) -> Address:
        if isinstance(ref, RemoteActorRef):
            return ref.address
        return Address(self.name, ref.path)

    def ref_at(self, address: Address) -> ActorRef:
        """A working ref for ``address``: the local ref when it is this node's and alive."""
        if address.node == self.name:
            local = self.system.lookup(address.path)
            if local is not None:
                return local
        return RemoteActorRef(self, address)

    def dead_letter(self, message: object, recipient: ActorRef, reason: str) -> None:
        """Publish a ``DeadLetter`` on the system's event stream."""
        self.system.event_stream.publish(
            DeadLetter(message=message, recipient=recipient, reason=reason)
        )

    # -- sending ----------------------------------------------------------

    def _encode(self, address: Address, message: object) -> bytes | None:
        data = self.codec.encode(MESSAGE, message)
        if len(data) > self.config.max_message_size:
            reason = (
                f"message too large ({len(data)} bytes; the limit is "
                f"{self.config.max_message_size})"
            )
            logger.warning("dead letter for %s: %s", address, reason)
            self.dead_letter(message, RemoteActorRef(self, address), reason)
            return None
        return data

    def publish(self, address: Address, message: object) -> None:
        """Queue ``message`` for ``address``; a dead letter if it cannot be queued."""
        data = self._encode(address, message)
        if data is not None:
            self.enqueue(self.subjects.actor(address), "", data, address, message)

    async def publish_waiting(self, address: Address, message: object) -> None:
        """As :meth:`publish`, waiting for room in the outbound buffer first."""
        await anyio.lowlevel.checkpoint()
        data = self._encode(address, message)
        if data is not None:
            await self._wait_for_room()
            self.enqueue(self.subjects.actor(address), "", data, address, message)

    async def _wait_for_room(self) -> None:
        await self._outbound.wait_for_room(lambda: self._closing)

    def enqueue(
        self, subject: str, reply: str, data: bytes, address: Address | None, message: object
    ) -> bool:
        """Put one frame in the outbound buffer; ``False`` (and a dead letter) if it is full."""
        if self._closing or self._outbound.full():
            if address is not None:
                reason = "node detached" if self._closing else "outbound buffer full"
                self.dead_letter(message, RemoteActorRef(self, address), reason)
            return False
        self._outbound.put((subject, reply, data, address, message))
        return True

    async def _send(self, item: Item) -> None:
        subject, reply, data, address, message = item
        try:
            await self.nc.publish(subject, data, reply=reply)
        except nats.errors.Error as error:
            logger.warning("node %s: could not publish to %s: %r", self.name, subject, error)
            if address is not None:
                self.dead_letter(message, RemoteActorRef(self, address), f"not sent: {error!r}")
            if reply:
                self._fail_request(reply, ActorNotFound(f"could not send to {address}: {error!r}"))

    # -- asking -----------------------------------------------------------

    async def request(self, address: Address, message: object, timeout: float | None) -> Any:
        """Send ``message`` to ``address`` with a reply subject, and await the reply."""
        check_timeout(timeout)
        data = self.codec.encode(MESSAGE, message)
        if len(data) > self.config.max_message_size:
            raise ValueError(
                f"the request to {address} is {len(data)} bytes; the limit is "
                f"{self.config.max_message_size} (NatsCluster(max_message_size=...))"
            )
        frame = await self._request(self.subjects.actor(address), data, address, message, timeout)
        return self.decode_reply(frame, address)

    def request_control(self, node: str, kind: str, data: bytes) -> asyncio.Future[Frame]:
        """Queue a request to another node's control subject at once; its reply frame's future.

        The request takes its place in the outbound order now, ahead of
        anything sent after this call. ``forget_request`` must follow.
        """
        request_id = next(self._ids)
        future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (future, None)
        subject = self.subjects.control(node, kind)
        if not self.enqueue(subject, self.subjects.reply(request_id), data, None, None):
            future.set_exception(ActorNotFound(f"node {self.name} is detached or saturated"))
        future.add_done_callback(lambda _: self._pending.pop(request_id, None))
        return future

    async def _request(
        self,
        subject: str,
        data: bytes,
        address: Address | None,
        message: object,
        timeout: float | None,
    ) -> Frame:
        request_id = next(self._ids)
        future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (future, address)
        try:
            with anyio.fail_after(timeout):
                await self._wait_for_room()
                if not self.enqueue(
                    subject, self.subjects.reply(request_id), data, address, message
                ):
                    raise ActorNotFound(
                        f"cannot reach {address or subject}: node {self.name} is detached"
                    )
                return await future
        finally:
            del self._pending[request_id]

    def decode_reply(self, frame: Frame, address: Address) -> Any:
        if frame.kind == REPLY:
            try:
                return self.codec.decode_body(frame)
            except UndecodableError as error:
                raise RemoteError("UndecodableError", f"the reply of {address}: {error}") from None
        if frame.kind == ERROR:
            raise self.codec.decode_error(frame)
        raise RemoteError("UndecodableError", f"unexpected reply frame from {address}")

    def _fail_request(self, reply: str, error: BaseException) -> None:
        _, _, request_id = reply.rpartition(".")
        pending = self._pending.get(int(request_id))
        if pending is not None and not pending[0].done():
            pending[0].set_exception(error)

    def _on_reply(self, request_id: str, msg: Msg) -> None:
        pending = self._pending.get(int(request_id)) if request_id.isdigit() else None
        if pending is None:
            return  # a late reply: its ask has timed out or was cancelled
        future, address = pending
        if future.done():
            return
        if msg.headers and msg.headers.get("Status") == _NO_RESPONDERS:
            where = address if address is not None else "that node"
            future.set_exception(
                ActorNotFound(f"no node serves {where}: it has stopped or left the cluster")
            )
            return
        try:
            future.set_result(self.codec.decode_frame(msg.data))
        except UndecodableError as error:
            future.set_exception(RemoteError("UndecodableError", str(error)))

    # -- receiving --------------------------------------------------------

    async def _on_message(self, msg: Msg) -> None:
        parsed = self.subjects.parse(msg.subject)
        if parsed is None:
            return
        kind, rest = parsed
        if kind == "a":
            if self._deliver(rest, msg):
                # The answering task has been started: let it put the request in
                # the mailbox before the next message is routed (order per sender).
                await anyio.lowlevel.checkpoint()
        elif kind == "r":
            self._on_reply(rest, msg)
        elif kind == "c":
            self.membership.on_control(rest, msg)

    def _undeliverable(self, msg: Msg, recipient: ActorRef, reason: str) -> None:
        logger.warning("dead letter on %s (%s): %d bytes", msg.subject, reason, len(msg.data))
        raw = RawMessage(subject=msg.subject, data=bytes(msg.data[:1024]), size=len(msg.data))
        self.dead_letter(raw, recipient, reason)
        if msg.reply:
            error = RemoteError(
                "UndeliverableMessage", f"{recipient.path} on {self.name}: {reason}"
            )
            self.enqueue(msg.reply, "", self.codec.encode_error(error), None, None)

    def _deliver(self, tokens: str, msg: Msg) -> bool:
        """Route one message to a local actor; ``True`` if an answering task was started."""
        try:
            path = path_of(tokens)
        except ValueError:
            self._undeliverable(msg, RemoteActorRef(self, Address(self.name, "/?")), "bad subject")
            return False
        local = self.system.lookup(path)
        recipient = local if local is not None else RemoteActorRef(self, Address(self.name, path))
        if len(msg.data) > self.config.max_message_size:
            self._undeliverable(msg, recipient, f"message too large ({len(msg.data)} bytes)")
            return False
        try:
            frame = self.codec.decode_frame(msg.data)
            message = self.codec.decode_body(frame)
        except UndecodableError as error:
            self._undeliverable(msg, recipient, str(error))
            return False
        if frame.kind != MESSAGE:
            self._undeliverable(msg, recipient, f"unexpected frame kind {frame.kind}")
            return False
        if local is None:
            if msg.reply:
                missing = ActorNotFound(f"no actor at {path} on node {self.name}")
                self.enqueue(msg.reply, "", self.codec.encode_error(missing), None, None)
            else:
                self.dead_letter(message, recipient, "recipient stopped")
            return False
        if not msg.reply:
            local._tell_quietly(message)
            return False
        self.start_soon(self._answer, local, message, msg.reply)
        return True

    async def _answer(self, ref: ActorRef, message: object, reply: str) -> None:
        try:
            result = await ref.ask(message)
        except Exception as error:
            data = self.codec.encode_error(error)
        else:
            try:
                data = self.codec.encode(REPLY, result)
            except TypeError as error:
                data = self.codec.encode_error(error)
        self.enqueue(reply, "", data, None, None)

    def send_control(self, node: str, kind: str, data: bytes) -> None:
        self.enqueue(self.subjects.control(node, kind), "", data, None, None)

    def reply_control(self, msg: Msg, tag: str, value: Any) -> None:
        if msg.reply:
            self.enqueue(msg.reply, "", self.codec.encode_control(tag, value), None, None)
