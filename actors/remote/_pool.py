"""Pools across nodes: members on several nodes share one NATS queue group.

A pool named ``P`` is the subject ``<prefix>.<cluster>.p.<P escaped>``; each
member is a queue subscription on it (queue group ``P``), so the server hands
each message to exactly one member. ``PoolRef`` publishes there: ``tell`` and
``ask`` reach whichever member NATS picks.

Every message a member receives is tracked until its handler has finished
(it is delivered with ``ask``, and a tell's result is dropped). Leaving a pool
drains: the subscription is drained (no new messages; the ones already on
their way are routed), then :meth:`Pools.leave` waits until every tracked
message has been handled, so the member can stop without losing any. At most
``pool_in_flight`` messages per member are in its mailbox at once; beyond,
the subscription stops taking messages and the client's pending limits apply
(backpressure, then NATS drops them as a slow consumer: memory stays bounded).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, overload

import nats.errors

from actors import ActorRef, ActorStatistics, ReplyTypeMismatch, Request, Terminated
from actors.serialization import SerializationError

from ._bridge import target_of
from ._connect import flush_subscriptions
from ._draining import drain_in_order
from ._names import escape
from ._neutral import Flag
from ._ref import CallbackRef, Target
from ._tracing import carrier_of
from ._type_parameters import M_contra, R
from ._wire import REPLY, UndecodableError

if TYPE_CHECKING:
    from nats.aio.msg import Msg
    from nats.aio.subscription import Subscription

    from ._node import NatsNode

logger = logging.getLogger(__name__)


class PoolRef(Target[M_contra]):
    """A ref to a pool of actors spread over the cluster's nodes.

    ``tell`` and ``send`` publish to the pool's queue group (at most once, to
    one member); ``ask`` is answered by one member. Get one with
    ``node.pool(name)``. Two pool refs are equal when they name the same pool.
    """

    __slots__ = ("_name", "_node", "_subject")

    def __init__(self, node: NatsNode, name: str) -> None:
        self._node = node
        self._name = name
        self._subject = node.subjects.pool(name)

    @property
    def path(self) -> str:
        return f"/pool/{self._name}"

    @property
    def subject(self) -> str:
        return self._subject

    @property
    def where(self) -> str:
        return f"pool {self._name!r}"

    def tell(self, message: M_contra) -> None:
        """Publish ``message`` to one member (at most once; never blocks)."""
        self._node.publish(self, message)

    async def send(self, message: M_contra) -> None:
        """Publish ``message``, waiting while the outbound buffer is full."""
        await self._node.publish_waiting(self, message)

    @overload
    async def ask(self, message: Request[R], *, timeout: float | None = None) -> R: ...
    @overload
    async def ask(
        self, message: Request[Any], *, timeout: float | None = None
    ) -> ReplyTypeMismatch: ...
    @overload
    async def ask(self, message: M_contra, *, timeout: float | None = None) -> Any: ...
    async def ask(self, message: Any, *, timeout: float | None = None) -> Any:
        """Ask one member.

        Raises:
            ActorNotFound: at once, when the pool has no member.
            TimeoutError: no reply within ``timeout``.
            Exception: what the member's handler raised (as for a remote ref).
        """
        return await self._node.requests.request(self, message, timeout)

    def statistics(self) -> ActorStatistics:
        """Not available for a pool; read each member's on its node."""
        raise NotImplementedError(f"{self.where} has no statistics of its own; ask its members")

    def _watch(self, watcher: ActorRef) -> None:
        raise TypeError(f"{self.where} cannot be watched; watch its members")

    def _unwatch(self, watcher: ActorRef) -> None:
        return None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PoolRef):
            return NotImplemented
        return self._name == other._name and self._node is other._node

    def __hash__(self) -> int:
        return hash(("pool", self._name))

    def __repr__(self) -> str:
        return f"<PoolRef {self._name!r}>"


class Member:
    """One local actor's membership of one pool: its subscription and its messages in flight."""

    def __init__(self, pools: Pools, name: str, ref: ActorRef) -> None:
        self.pools = pools
        self.name = name
        self.ref = ref
        self.subscription: Subscription | None = None
        self.in_flight = 0
        signal: type[asyncio.Event] | type[Flag] = (
            asyncio.Event if pools.node.hosted is None else Flag
        )
        self._idle = signal()
        self._idle.set()
        self._room = signal()
        self._room.set()
        self.listener = CallbackRef(f"{ref.path}#pool-{name}", self._stopped)

    async def on_message(self, msg: Msg) -> None:
        """Take one message: wait for room, then hand it to the member and track it."""
        limit = self.pools.node.config.pool_in_flight
        while self.in_flight >= limit:
            self._room.clear()
            await self._room.wait()
        node = self.pools.node
        if len(msg.data) > node.config.max_message_size:
            node.inbound.undeliverable(msg, self.ref, f"message too large ({len(msg.data)} bytes)")
            return
        try:
            message = node.codec.decode_message(msg.data)
        except UndecodableError as error:
            node.inbound.undeliverable(msg, self.ref, str(error))
            return
        carrier = carrier_of(msg.headers) if node.tracing is not None else None
        self.in_flight += 1
        self._idle.clear()
        task = await node.begin(self._handle, message, msg.reply, carrier)
        self.pools.tasks.add(task)
        task.add_done_callback(self.pools.tasks.discard)

    async def _handle(self, message: object, reply: str, carrier: object) -> None:
        node = self.pools.node
        try:
            if carrier is None:
                result = await self.ref.ask(message)
            else:
                result = await self.ref._ask_carried(message, carrier)
        except Exception as error:
            data = node.codec.encode_error(error) if reply else b""
        else:
            try:
                data = node.codec.encode(REPLY, result) if reply else b""
            except (TypeError, SerializationError) as error:  # the reply cannot travel
                data = node.codec.encode_error(error)
        finally:
            self.in_flight -= 1
            self._room.set()
            if not self.in_flight:
                self._idle.set()
        if reply:
            node.enqueue(reply, "", data, None, None)

    async def drain(self) -> None:
        """Stop taking messages, and wait until every one taken has been handled."""
        subscription, self.subscription = self.subscription, None
        if subscription is not None:
            hosted = self.pools.node.hosted
            # Not ``subscription.drain()``: nats-py's PING can overtake its UNSUB, and a
            # message routed meanwhile is then dropped unseen (see ``_draining``).
            try:
                if hosted is None:
                    await drain_in_order(subscription)
                else:
                    await hosted.call(drain_in_order, target_of(subscription))
            except nats.errors.Error as error:
                logger.warning("pool %r: draining %s: %r", self.name, self.ref.path, error)
            if hosted is not None:  # on trio, some may still wait to cross to this thread
                await hosted.wait_handled(subscription)
        await self._idle.wait()

    def _stopped(self, message: object) -> None:
        if isinstance(message, Terminated):
            self.pools.node.start_soon(self.pools.leave, self.name, self.ref)


class Pools:
    """This node's pool memberships."""

    def __init__(self, node: NatsNode) -> None:
        self.node = node
        self.members: dict[tuple[str, ActorRef], Member] = {}
        self.tasks: set[Any] = set()

    async def join(self, name: str, ref: ActorRef) -> None:
        """Make the local actor ``ref`` a member of pool ``name`` (it leaves when it stops)."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"a pool name must be a non-empty string (got {name!r})")
        if isinstance(ref, Target):
            raise TypeError(f"only local actors can join a pool on their node (got {ref!r})")
        if (name, ref) in self.members:
            return
        member = Member(self, name, ref)
        self.members[name, ref] = member
        member.subscription = await self.node.nc.subscribe(
            self.node.subjects.pool(name),
            queue=escape(name),
            cb=member.on_message,
            pending_msgs_limit=self.node.config.pending_messages,
            pending_bytes_limit=self.node.config.pending_bytes,
        )
        await flush_subscriptions(self.node.nc)
        ref._watch(member.listener)

    def member_of(self, subscription: object) -> Member | None:
        """The membership whose subscription is ``subscription``, if any."""
        for member in self.members.values():
            if member.subscription == subscription:  # on trio: a proxy equal to its target
                return member
        return None

    async def leave(self, name: str, ref: ActorRef) -> None:
        """Leave pool ``name``, draining first: returns once ``ref`` has handled all it took."""
        member = self.members.get((name, ref))
        if member is None:
            return
        ref._unwatch(member.listener)
        try:
            await member.drain()
        finally:
            self.members.pop((name, ref), None)

    async def leave_all(self) -> None:
        """Leave every pool, draining each membership (the node is leaving)."""
        for name, ref in list(self.members):
            await self.leave(name, ref)

    def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
