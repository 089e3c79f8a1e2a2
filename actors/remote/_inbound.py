"""Routing what arrives on a node's actor subjects to its local actors.

This is the receiving hot path, so it does the least it can per message:

- the subject's path tokens are unescaped once (``path_of`` is cached), and
  the live local ref for a path is cached too; the cache entry is dropped
  when the actor stops (the router watches every actor it has cached), so a
  later actor spawned at the same path is found afresh;
- a ``tell`` goes straight into the mailbox, with no task and no await;
- an ``ask`` gets one asyncio task that calls ``ref.ask`` and enqueues the
  reply. Its request enters the mailbox when that task first runs, so while
  any such task has not yet run, later tells are deferred behind it (asyncio
  runs callbacks and first task steps in the order they were scheduled):
  order per sender is kept without yielding between messages, and a burst of
  requests is handled, and answered, in one batch.

When the system has instrumentation, each message is delivered with the
carrier rebuilt from its headers (an empty one when the sender sent none), so
its handling continues the sender's trace; an uninstrumented system ignores
those headers.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from actors import ActorRef, Terminated
from actors.serialization import SerializationError

from ._answering import ask_soon
from ._errors import ActorNotFound, RemoteError
from ._names import Address, path_of, tokens_of
from ._neutral import new_event
from ._receiving import Arrival
from ._ref import CallbackRef, RemoteActorRef
from ._tracing import carrier_of
from ._wire import REPLY, RawMessage, UndecodableError

if TYPE_CHECKING:
    import nats.errors
    from nats.aio.msg import Msg

    from ._node import NatsNode

logger = logging.getLogger(__name__)

#: The most local refs the router caches; beyond it, lookups are not cached.
CACHE_LIMIT = 16384


class Inbound:
    """Routes messages for this node's actors; answers asks; keeps order per sender."""

    def __init__(self, node: NatsNode) -> None:
        self.node = node
        self._system = node.system
        self._codec = node.codec
        self._max_size = node.config.max_message_size
        self._traced = node.tracing is not None
        self._refs: dict[str, tuple[ActorRef, CallbackRef]] = {}
        #: Deliveries scheduled on the loop that have not yet reached a mailbox.
        self._deferred = 0
        self._answering: set[Any] = set()
        self._hosted = node.hosted is not None
        #: On trio, asks routed but not yet begun: ``start_asks`` begins them in order.
        self.asks: list[tuple[ActorRef, object, str, object]] = []
        self._begun: Any = None

    # -- local refs, cached ----------------------------------------------

    def local(self, path: str) -> ActorRef | None:
        """The live local actor at ``path`` (cached until it stops), or ``None``."""
        return self._local(tokens_of(path), path)

    def _local(self, tokens: str, path: str) -> ActorRef | None:
        cached = self._refs.get(tokens)
        if cached is not None:
            return cached[0]
        ref = self._system.lookup(path)
        if ref is not None and len(self._refs) < CACHE_LIMIT:
            listener = CallbackRef(f"{path}#routed", lambda message: self._forget(tokens, message))
            self._refs[tokens] = (ref, listener)
            ref._watch(listener)
        return ref

    def _forget(self, tokens: str, message: object) -> None:
        if isinstance(message, Terminated):
            cached = self._refs.get(tokens)
            if cached is not None and cached[0] == message.ref:
                del self._refs[tokens]

    # -- routing ----------------------------------------------------------

    async def on_message(self, msg: Msg) -> None:
        """Route one arrival (the public path); nothing a frame holds can raise out of here."""
        try:
            if self._deferred and self._hosted:
                await self.wait_begun()  # on trio, an ask just routed goes first
            subject = msg.subject
            base = self.node._actor_base
            if subject.startswith(base):  # the hot path, without a call more
                self.route_frame(subject[len(base) :], subject, msg.reply, msg.data, msg.headers)
            else:
                self.node._route(msg)
            if self.asks:
                await self.start_asks()
        except Exception as error:  # a hostile frame must never take the node down
            self._unroutable(msg.subject, msg.reply, msg.data, error)

    def route_run(self, run: list[Arrival]) -> None:
        """Route a run of arrivals in order (asyncio, checked nats-py: see ``_receiving``).

        What :meth:`on_message` does per ``Msg``, without building one for an
        actor's subject; nothing a frame holds can raise out of here.
        """
        node = self.node
        base = node._actor_base
        cut = len(base)
        route = self.route_frame
        for subject_bytes, reply_bytes, data, headers in run:
            try:
                subject = subject_bytes.decode()
                reply = reply_bytes.decode() if reply_bytes else ""
                if subject.startswith(base):  # the hot path, without a call more
                    route(subject[cut:], subject, reply, data, headers)
                else:  # replies and control traffic: the ``Msg`` nats-py would have built
                    node._route(self._message(subject_bytes, reply_bytes, data, headers))
            except Exception as error:  # a hostile frame must never take the node down
                subject = subject_bytes.decode(errors="replace")
                self._unroutable(subject, reply_bytes.decode(errors="replace"), data, error)

    async def route_run_hosted(self, run: list[Arrival]) -> None:
        """On trio: :meth:`route_run` for a run that crossed from the client's loop (``_crossing``).

        One synchronous pass, except where :meth:`on_message` waits too: a
        frame after an ask that took the task path waits until that ask's
        request is in its mailbox (trio does not run first steps in order).
        """
        node = self.node
        base = node._actor_base
        cut = len(base)
        route = self.route_frame
        for subject_bytes, reply_bytes, data, headers in run:
            try:
                if self._deferred:
                    await self.wait_begun()
                subject = subject_bytes.decode()
                reply = reply_bytes.decode() if reply_bytes else ""
                if subject.startswith(base):  # the hot path, as in ``route_run``
                    route(subject[cut:], subject, reply, data, headers)
                else:
                    node._route(self._message(subject_bytes, reply_bytes, data, headers))
                if self.asks:
                    await self.start_asks()
            except Exception as error:  # a hostile frame must never take the node down
                subject = subject_bytes.decode(errors="replace")
                self._unroutable(subject, reply_bytes.decode(errors="replace"), data, error)

    def _message(
        self, subject: bytes, reply: bytes, data: bytes, headers: dict[str, str] | None
    ) -> Msg:
        node = self.node
        assert node._subscription is not None
        sid = node._subscription._id
        message: Msg = node._client._build_message(sid, subject, reply, data, headers)
        return message

    def _unroutable(self, subject: str, reply: str, data: bytes, error: Exception) -> None:
        node = self.node
        logger.exception("node %s: a frame on %s could not be routed", node.name, subject)
        recipient = node.ref_at(Address(node.name, "/?"))
        self._undeliverable(subject, reply, data, recipient, f"unroutable frame: {error!r}")

    def route(self, tokens: str, msg: Msg) -> None:
        """Deliver the message that arrived on the actor subject ``...a.<tokens>``."""
        self.route_frame(tokens, msg.subject, msg.reply, msg.data, msg.headers)

    def route_frame(
        self, tokens: str, subject: str, reply: str, data: bytes, headers: dict[str, str] | None
    ) -> None:
        """:meth:`route`, from the message's parts (the receiving runs build no ``Msg``)."""
        cached = self._refs.get(tokens)
        if cached is not None:
            local = cached[0]
        else:
            found = self._resolve(tokens, subject, reply, data)
            if found is None:
                return
            local = found
        if len(data) > self._max_size:
            self._undeliverable(
                subject, reply, data, local, f"message too large ({len(data)} bytes)"
            )
            return
        try:
            message = self._codec.decode_message(data)
        except UndecodableError as error:
            self._undeliverable(subject, reply, data, local, str(error))
            return
        carrier = carrier_of(headers) if self._traced else None
        if reply and self._hosted:
            # On trio: into the mailbox now, in order, with no task (see _answering).
            if carrier is None and ask_soon(self.node, local, message, reply):
                return
            self.asks.append((local, message, reply, carrier))
        elif reply:
            self._deferred += 1
            task = asyncio.get_running_loop().create_task(
                self._answer(local, message, reply, carrier)
            )
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)
        elif self._deferred:
            self._deferred += 1
            asyncio.get_running_loop().call_soon(self._tell_later, local, message, carrier)
        elif carrier is None:
            local._tell_quietly(message)
        else:
            local._tell_carried(message, carrier)

    async def start_asks(self) -> None:
        """On trio: begin the routed asks, each in the mailbox before the next message routes.

        asyncio runs first task steps in the order they were scheduled; trio
        does not promise that, so each request's task is begun in turn.
        """
        asks, self.asks = self.asks, []
        for local, message, reply, carrier in asks:
            await self.wait_begun()
            self._deferred += 1
            task = self.node.begin_soon(self._answer, local, message, reply, carrier)
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)

    async def wait_begun(self) -> None:
        """On trio: wait until every ask begun has put its request in the mailbox.

        Only a message that follows an ask in the same batch waits (one
        scheduling round); a lone ask costs nothing more than its task.
        """
        while self._deferred:
            if self._begun is None:
                self._begun = new_event()
            await self._begun.wait()

    def _resolve(self, tokens: str, subject: str, reply: str, data: bytes) -> ActorRef | None:
        """The local actor for ``tokens``; ``None`` once the message has been dealt with."""
        node = self.node
        try:
            path = path_of(tokens)
        except ValueError:
            unknown = RemoteActorRef(node, Address(node.name, "/?"))
            self._undeliverable(subject, reply, data, unknown, "bad subject")
            return None
        local = self._local(tokens, path)
        if local is None:
            self._missing(path, subject, reply, data)
        return local

    def _tell_later(self, local: ActorRef, message: object, carrier: object) -> None:
        self._deferred -= 1
        if carrier is None:
            local._tell_quietly(message)
        else:
            local._tell_carried(message, carrier)

    def _missing(self, path: str, subject: str, reply: str, data: bytes) -> None:
        node = self.node
        recipient = RemoteActorRef(node, Address(node.name, path))
        if reply:
            missing = ActorNotFound(f"no actor at {path} on node {node.name}")
            node.enqueue(reply, "", self._codec.encode_error(missing), None, None)
            return
        try:
            message = self._codec.decode_message(data)
        except UndecodableError as error:
            self._undeliverable(subject, reply, data, recipient, str(error))
            return
        node.dead_letter(message, recipient, "recipient stopped")

    async def _answer(self, ref: ActorRef, message: object, reply: str, carrier: object) -> None:
        self._deferred -= 1  # this first step puts the request in the mailbox
        begun = self._begun
        if begun is not None and not self._deferred:
            self._begun = None
            begun.set()
        codec = self._codec
        try:
            if carrier is None:
                result = await ref.ask(message)
            else:
                result = await ref._ask_carried(message, carrier)
        except Exception as error:
            data = codec.encode_error(error)
        else:
            try:
                data = codec.encode(REPLY, result)
            except (TypeError, SerializationError) as error:  # the reply cannot travel
                data = codec.encode_error(error)
        self.node.enqueue(reply, "", data, None, None)

    def undeliverable(self, msg: Msg, recipient: ActorRef, reason: str) -> None:
        """A dead letter for a frame that cannot be delivered; an error reply to an ask."""
        self._undeliverable(msg.subject, msg.reply, msg.data, recipient, reason)

    def _undeliverable(
        self, subject: str, reply: str, data: bytes, recipient: ActorRef, reason: str
    ) -> None:
        node = self.node
        logger.warning("dead letter on %s (%s): %d bytes", subject, reason, len(data))
        raw = RawMessage(subject=subject, data=bytes(data[:1024]), size=len(data))
        node.dead_letter(raw, recipient, reason)
        if reply:
            error = RemoteError(
                "UndeliverableMessage", f"{recipient.path} on {node.name}: {reason}"
            )
            node.enqueue(reply, "", self._codec.encode_error(error), None, None)

    def slow_consumer(self, error: nats.errors.SlowConsumerError) -> None:
        """The client dropped a message (a subscription's pending limits were reached).

        It becomes a ``DeadLetter`` (its ``RawMessage`` keeps only the subject:
        the client does not hand over the data), and a request gets an error
        reply at once, so its ``ask`` fails instead of timing out.
        """
        node = self.node
        subject = error.subject
        recipient: ActorRef
        member = node.pools.member_of(error.sub)
        if member is not None:
            recipient = member.ref
        elif subject.startswith(node._actor_base):
            try:
                path = path_of(subject[len(node._actor_base) :])
            except ValueError:
                path = "/?"
            recipient = node.ref_at(Address(node.name, path))
        else:
            return  # a reply or control traffic: its asker's timeout or the lease decides
        reason = "slow consumer: the NATS client dropped it (pending limits reached)"
        sid = id(error.sub)
        if sid not in node._slow:
            node._slow.add(sid)
            logger.warning(
                "node %s: %s: %s (further drops are not logged)", node.name, subject, reason
            )
        node.dead_letter(RawMessage(subject=subject, data=b"", size=0), recipient, reason)
        if error.reply:
            failure = RemoteError("SlowConsumer", f"{recipient.path} on {node.name}: {reason}")
            node.enqueue(error.reply, "", self._codec.encode_error(failure), None, None)

    def close(self) -> None:
        """Stop answering (the node is leaving): cancel pending answers, unwatch cached actors."""
        for task in list(self._answering):
            task.cancel()
        for ref, listener in self._refs.values():
            ref._unwatch(listener)
        self._refs.clear()
