"""``NatsNode``: one actor system attached to a NATS cluster.

The node holds one connection and one wildcard subscription on its own
subjects, routes what arrives to local actors by path, and publishes what
remote refs send through one ordered outbound buffer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
import nats
import nats.errors
from anyio.abc import TaskGroup

from actors import ActorRef

from ._bridge import Hosted, wrap
from ._connect import flush_subscriptions
from ._crossing import receive_runs_hosted, uninstall_hosted
from ._durable import DurableRef, Durables
from ._errors import ActorNotFound
from ._inbound import Inbound
from ._membership import Membership
from ._names import Address, Subjects
from ._neutral import Future, Task, begin
from ._outbound import Outbound
from ._pool import PoolRef, Pools
from ._publisher import Publisher
from ._receiving import RunReceiver, receive_runs
from ._ref import RemoteActorRef, Target
from ._registry import NameRegistry
from ._requests import Requests
from ._runs import run_publisher
from ._sending import Sending
from ._shard_placement import NatsPlacement
from ._tracing import tracing_of
from ._wire import Codec

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.aio.subscription import Subscription

    from actors import ActorSystem

    from ._cluster import NatsCluster

logger = logging.getLogger(__name__)

_NO_RESPONDERS = "503"


class NatsNode(Sending):
    """The running attachment of an :class:`~actors.ActorSystem` to a NATS cluster.

    Created by :meth:`NatsCluster.attach` (or :func:`attach_cluster`); ended by
    :meth:`detach`. The system's name is the cluster's name.
    """

    def __init__(
        self, config: NatsCluster, system: ActorSystem, nc: Client, hosted: Hosted | None = None
    ) -> None:
        self.config = config
        self._max_size = config.max_message_size
        self.system = system
        self.name = config.node
        #: On trio, nats-py's own loop in a helper thread (``None`` on asyncio): see ``_bridge``.
        self.hosted = hosted
        self._client = nc
        self.nc: Client = wrap(hosted, nc)
        self.js = self.nc.jetstream()
        self.subjects = Subjects(config.prefix, system.name, config.node)
        self.codec = Codec(
            config.registry,
            address_of=self._address_of,
            ref_at=self.ref_at,
            entity_at=system.entity,
        )
        #: Trace propagation if instrumented, decided once: then ``publish*`` add the carrier.
        self.tracing = tracing_of(system)
        self.publish: Callable[[Target, object], None] = self._publish
        self.publish_waiting: Callable[[Target, object], Awaitable[None]] = self._publish_waiting
        if self.tracing is not None:
            self.publish = self._publish_traced
            self.publish_waiting = self._publish_waiting_traced
        self.membership = Membership(self)
        self.registry = NameRegistry(self)
        self.inbound = Inbound(self)
        self.pools = Pools(self)
        self.durables = Durables(self)
        self._actor_base = f"{self.subjects.base}.a."
        self._outbound = Outbound(config.outbound_capacity, hosted=hosted is not None)
        self.requests = Requests(self)
        self._subscription: Subscription | None = None
        #: On asyncio, on checked nats-py versions: what hands runs to ``Inbound.route_run``.
        self._receiver: RunReceiver | None = None
        #: On trio, what hands frames to the client's loop.
        self._publisher: Publisher | None = None
        self._task_group: TaskGroup | None = None
        self._scope = anyio.CancelScope()
        self._stopped = anyio.Event()
        self._closing = False
        self._placement: NatsPlacement | None = None
        #: Subscriptions whose first slow-consumer drop has been logged.
        self._slow: set[int] = set()

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
            cb=self.inbound.on_message,
            pending_msgs_limit=self.config.pending_messages,
            pending_bytes_limit=self.config.pending_bytes,
        )
        if self.hosted is None:
            self._receiver = receive_runs(self._client, self._subscription, self.inbound.route_run)
        else:  # cut on the client's loop, each run routed on trio (see _crossing)
            self._receiver = await receive_runs_hosted(self)
        await flush_subscriptions(self.nc)

    async def _run(self, ready: anyio.Event) -> None:
        try:
            with self._scope:
                async with anyio.create_task_group() as task_group:
                    self._task_group = task_group
                    if self.hosted is None:
                        publish_run = run_publisher(self._client, nats.errors.Error)
                        task_group.start_soon(self._outbound.run, publish_run, self._not_sent)
                    else:
                        await task_group.start(self.hosted.run)
                        self._publisher = Publisher(
                            self.hosted,
                            self._client,
                            nats.errors.Error,
                            self._not_sent,
                            self.config.outbound_capacity,
                        )
                        await self._publisher.start()
                        self._outbound.express = self._publisher.hand_now
                        task_group.start_soon(
                            self._outbound.run_batched, self._publisher.publish, self._not_sent
                        )
                    task_group.start_soon(self.membership.run)
                    ready.set()
                    await anyio.sleep_forever()
        finally:
            self._task_group = None
            self._stopped.set()

    def new_future(self) -> Any:
        """A future for a reply: asyncio's own on asyncio, a neutral one on trio."""
        if self.hosted is None:
            return asyncio.get_running_loop().create_future()
        return Future()

    async def begin(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """Start ``fn(*args)`` as a task now: tasks begun in turn take their first steps in turn.

        Returns the task (awaitable, cancellable). Must be called while attached.
        """
        if self.hosted is None:
            return asyncio.get_running_loop().create_task(fn(*args))  # type: ignore[arg-type]
        assert self._task_group is not None
        return await begin(self._task_group, fn, *args)

    def begin_soon(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> Task:
        """On trio: start ``fn(*args)`` as a task (awaitable, cancellable), without waiting."""
        assert self.hosted is not None
        task = Task()
        self.hosted.spawn(task.run, fn, args)
        return task

    def start_soon(self, fn: Any, *args: Any) -> bool:
        """Run ``fn(*args)`` in the node's task group; ``False`` (and dropped) once it detached.

        A NATS error or timeout escaping it is logged; it never takes the node down.
        """
        if self._task_group is None:
            return False
        self._task_group.start_soon(self._guarded, fn, *args)
        return True

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
        try:
            with anyio.move_on_after(self.config.detach_timeout, shield=True):
                try:
                    await self.pools.leave_all()
                    if self._subscription is not None:
                        await self._subscription.unsubscribe()
                    await self.registry.stop()
                    await self.membership.stop()
                    if self._task_group is not None:
                        await self._outbound.wait_drained()
                        if self._publisher is not None:
                            await self._publisher.wait_published()
                    await self.nc.flush(timeout=1)
                except (nats.errors.Error, TimeoutError) as error:
                    logger.warning("node %s: leaving the cluster uncleanly: %r", self.name, error)
                self._scope.cancel()
                self.inbound.close()
                self.pools.close()
                await self.nc.close()
                if self._receiver is not None:
                    if self.hosted is None:
                        self._receiver.uninstall()
                    else:
                        await uninstall_hosted(self, self._receiver)
        finally:
            if self.hosted is not None:  # the client's loop ends and its thread is joined
                with anyio.CancelScope(shield=True):
                    await self.hosted.close()
        self.requests.fail_all(ActorNotFound(f"node {self.name} has left the cluster"))

    async def find(self, name: str, *, timeout: float | None = None) -> ActorRef:
        """The live actor holding the cluster-wide ``name``; with ``timeout``, wait for one.

        Raises:
            ActorNotFound: no live actor holds the name (within ``timeout`` seconds).
        """
        return await self.registry.find(name, timeout=timeout)

    async def register(self, ref: ActorRef, *, name: str | None = None) -> None:
        """Make the local actor ``ref`` reachable cluster-wide as ``name`` (default: its name).

        Raises:
            NameTaken: another live actor holds the name.
        """
        await self.registry.register(ref, name=name)

    def pool(self, name: str) -> PoolRef:
        """A ref to the cluster-wide pool ``name``: each message goes to one of its members."""
        return PoolRef(self, name)

    async def join_pool(self, name: str, ref: ActorRef) -> None:
        """Make the local actor ``ref`` a member of pool ``name``; it leaves when it stops.

        Members on any number of nodes share the pool's NATS queue group:
        each message goes to one of them.

        Raises:
            TypeError: ``ref`` is not a local actor.
        """
        await self.pools.join(name, ref)

    async def leave_pool(self, name: str, ref: ActorRef) -> None:
        """Take ``ref`` out of pool ``name``, draining first.

        Returns once no new message can reach it through the pool and it has
        handled every message it had taken: stop it afterwards and nothing in
        flight is lost. Leaving the cluster drains every membership this way.
        """
        await self.pools.leave(name, ref)

    async def durable(self, name: str, *, replicas: int = 1, max_messages: int = -1) -> DurableRef:
        """A ref to the durable mailbox ``name``; its JetStream stream is created if need be.

        Args:
            replicas: copies of the stream in a JetStream cluster (3 survives
                the loss of one server).
            max_messages: the most messages it holds (-1: no limit); beyond,
                ``send`` raises ``MailboxFull`` (backpressure, bounded memory).
        """
        await self.durables.ensure(name, replicas=replicas, max_messages=max_messages)
        return DurableRef(self, name)

    async def serve_durable(
        self,
        name: str,
        ref: ActorRef,
        *,
        max_deliveries: int = 5,
        ack_wait: float = 30.0,
        batch: int = 64,
        replicas: int = 1,
    ) -> None:
        """Hand the messages of the durable mailbox ``name`` to the local actor ``ref``.

        Each is acknowledged once ``ref``'s handler has returned; one whose
        handler raises is delivered again, and after ``max_deliveries`` it
        becomes a ``DeadLetter``. Messages not acknowledged within
        ``ack_wait`` seconds (their node died) are delivered again. Serving
        ends when ``ref`` stops; its unacknowledged messages stay stored.
        """
        await self.durables.serve(
            name,
            ref,
            max_deliveries=max_deliveries,
            ack_wait=ack_wait,
            batch=batch,
            replicas=replicas,
        )

    async def drain(self) -> None:
        """Leave every pool, draining each membership: take no new pool work, finish what was taken.

        Every sharding region here hands its shards off too (graceful leave).
        Call it before stopping actors that are pool members (``detach`` does it too).
        """
        await self.pools.leave_all()
        if self._placement is not None:
            await self._placement.leave_all()

    def spawned(self, ref: ActorRef) -> None:
        """A top-level named actor was spawned: register its name in the background."""
        self.registry.register_soon(ref)

    def shard_placement(self) -> NatsPlacement:
        """Shard ownership and routing for ``actors.sharding`` on this node (made once)."""
        if self._placement is None:
            self._placement = NatsPlacement(self)
        return self._placement

    # -- addresses --------------------------------------------------------
    def _address_of(self, ref: ActorRef) -> Address:
        if isinstance(ref, RemoteActorRef):
            return ref.address
        return Address(self.name, ref.path)

    def ref_at(self, address: Address) -> ActorRef:
        """A working ref for ``address``: the local ref when it is this node's and alive."""
        if address.node == self.name:
            local = self.inbound.local(address.path)
            if local is not None:
                return local
        return RemoteActorRef(self, address)

    # -- receiving --------------------------------------------------------

    def slow_consumer(self, error: nats.errors.SlowConsumerError) -> None:
        """The client dropped a message: see :meth:`Inbound.slow_consumer`."""
        self.inbound.slow_consumer(error)

    def _route(self, msg: Msg) -> None:
        subject = msg.subject
        if subject.startswith(self._actor_base):
            self.inbound.route(subject[len(self._actor_base) :], msg)
            return
        parsed = self.subjects.parse(subject)
        if parsed is None:
            return
        kind, rest = parsed
        if kind == "r":
            self.requests.on_reply(rest, msg)
        elif kind == "c":
            self.membership.on_control(rest, msg)

    def send_control(self, node: str, kind: str, data: bytes) -> None:
        """Queue control traffic (``unwatch``, ``terminated``) for ``node``: watch plumbing."""
        self.enqueue(self.subjects.control(node, kind), "", data, None, None)

    def reply_control(self, msg: Msg, tag: str, value: Any) -> None:
        """Answer the control request ``msg``, if it wants a reply, with ``(tag, value)``."""
        if msg.reply:
            self.enqueue(msg.reply, "", self.codec.encode_control(tag, value), None, None)
