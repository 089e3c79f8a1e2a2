"""Durable mailboxes: a JetStream work-queue stream and a durable consumer per mailbox.

A durable mailbox named ``M`` is the stream ``<prefix>_<cluster>_durable_<M>``
(work-queue retention) on the subject ``<prefix>.<cluster>.d.<M>``, with the
durable pull consumer ``M``. Senders publish with a message id in the
``Nats-Msg-Id`` header, so the stream keeps one copy of each id within its
duplicate window (retries are safe). The serving node fetches batches, hands
each message to its actor with ``ask``, and acknowledges it only once the
handler has returned; a message whose handler raises is delivered again,
up to ``max_deliveries`` times, and then becomes a ``DeadLetter`` and is
removed. A process that dies before acknowledging loses nothing: after
``ack_wait`` the server delivers its messages again, to whichever node serves
the mailbox. Delivery is at least once; a handler that records the message's
own id (an order number) makes the application's effect exactly once.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

import anyio
import nats.errors
import nats.js.errors
from attrs import frozen
from nats.js.api import ConsumerConfig, DiscardPolicy, RetentionPolicy, StreamConfig

from actors import ActorRef, ActorStatistics, ActorStopped, MailboxFull, Terminated

from ._names import escape
from ._ref import CallbackRef, Target
from ._tracing import carrier_of
from ._type_parameters import M_contra
from ._wire import MESSAGE, UndecodableError

if TYPE_CHECKING:
    from nats.aio.msg import Msg
    from nats.js.client import JetStreamContext

    from ._node import NatsNode

logger = logging.getLogger(__name__)

#: The header JetStream deduplicates by.
MSG_ID = "Nats-Msg-Id"

#: Seconds one attempt to store waits for JetStream's answer before retrying
#: (a retry is harmless: the message id deduplicates it). After a server dies,
#: an attempt it took is answered by nobody; this bounds how long that costs.
STORE_ATTEMPT_TIMEOUT = 1.0

#: Seconds one pull waits for messages on an idle mailbox.
FETCH_TIMEOUT = 1.0

#: The longest wait between retries of a failing fetch, in seconds.
MAX_BACKOFF = 5.0

#: After this many consecutive fetch failures, one warning (the rest at debug).
TRANSIENT_LOG_AFTER = 3


@frozen(kw_only=True)
class DurableServingFailed:
    """Serving the durable mailbox ``name`` to ``ref`` stopped on an error it cannot retry.

    Published on the system's event stream (and logged at error). Transient
    errors never end serving; this is what does, so no mailbox stalls
    silently. Its messages stay stored: call ``serve_durable`` again.
    """

    name: str
    ref: ActorRef
    error: BaseException


def backoff(failures: int) -> float:
    """Seconds to wait after ``failures`` consecutive transient errors: 0.1 doubling to 5."""
    return float(min(MAX_BACKOFF, 0.1 * 2 ** min(failures - 1, 10)))


class DurableRef(Target[M_contra]):
    """A ref to a durable mailbox: messages wait in JetStream until a handler succeeds.

    ``await send(message, message_id=...)`` returns once the stream has stored
    the message (retrying through reconnections; the id makes retries safe).
    ``tell`` publishes without waiting for the store (at most once into it).
    There is no ``ask``: a durable message may be handled long after it is sent.
    Get one with ``await node.durable(name)``.
    """

    __slots__ = ("_name", "_node", "_subject")

    def __init__(self, node: NatsNode, name: str) -> None:
        self._node = node
        self._name = name
        self._subject = node.subjects.durable(name)

    @property
    def path(self) -> str:
        return f"/durable/{self._name}"

    @property
    def subject(self) -> str:
        return self._subject

    @property
    def where(self) -> str:
        return f"durable mailbox {self._name!r}"

    def tell(self, message: M_contra) -> None:
        """Publish ``message`` without waiting for JetStream to store it."""
        node = self._node
        data = node.codec.encode(MESSAGE, message)
        headers: dict[str, str] | None = {MSG_ID: uuid.uuid4().hex}
        if node.tracing is not None:
            headers = node.tracing.headers(self, message, headers)
        node.enqueue(self._subject, "", data, self, message, headers=headers)

    async def send(
        self, message: M_contra, *, message_id: str | None = None, timeout: float = 30.0
    ) -> None:
        """Store ``message`` in the mailbox's stream; return once it is stored.

        Args:
            message: a registered message.
            message_id: the id JetStream deduplicates by (default: a new UUID);
                sending the same id again within the duplicate window stores
                nothing more.
            timeout: seconds to keep retrying while no server stores it.

        Raises:
            TimeoutError: not stored within ``timeout`` (it may still be stored).
            MailboxFull: the stream is at its ``max_messages``.
        """
        node = self._node
        headers = {MSG_ID: message_id or uuid.uuid4().hex}
        if node.tracing is not None:
            headers = node.tracing.headers(self, message, headers) or headers
        data = node.codec.encode(MESSAGE, message)
        await node.durables.store(self._name, data, headers, timeout)

    async def ask(self, message: object, *, timeout: float | None = None) -> Any:
        raise TypeError(f"{self.where} takes no ask: its messages may be handled much later")

    def statistics(self) -> ActorStatistics:
        raise NotImplementedError(f"{self.where} has no statistics; read its stream's info")

    def _watch(self, watcher: ActorRef) -> None:
        raise TypeError(f"{self.where} cannot be watched; watch the actor that serves it")

    def _unwatch(self, watcher: ActorRef) -> None:
        return None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DurableRef):
            return NotImplemented
        return self._name == other._name and self._node is other._node

    def __hash__(self) -> int:
        return hash(("durable", self._name))

    def __repr__(self) -> str:
        return f"<DurableRef {self._name!r}>"


class Durables:
    """The durable mailboxes this node sends to and serves."""

    def __init__(self, node: NatsNode) -> None:
        self.node = node
        self._streams: set[str] = set()

    @property
    def js(self) -> JetStreamContext:
        js: JetStreamContext = self.node.js
        return js

    def stream(self, name: str) -> str:
        return self.node.subjects.bucket(f"durable_{escape(name)}")

    async def ensure(self, name: str, *, replicas: int = 1, max_messages: int = -1) -> None:
        """Create the mailbox's stream unless it exists (the first node's settings hold)."""
        stream = self.stream(name)
        if stream in self._streams:
            return
        config = StreamConfig(
            name=stream,
            subjects=[self.node.subjects.durable(name)],
            retention=RetentionPolicy.WORK_QUEUE,
            discard=DiscardPolicy.NEW,
            max_msgs=max_messages,
            num_replicas=replicas,
            duplicate_window=120.0,
        )
        try:
            await self.js.stream_info(stream)
        except nats.js.errors.NotFoundError:
            try:
                await self.js.add_stream(config)
            except nats.js.errors.BadRequestError:
                await self.js.stream_info(stream)  # created meanwhile by another node
        self._streams.add(stream)

    async def store(self, name: str, data: bytes, headers: dict[str, str], timeout: float) -> None:
        """Publish to the stream until it is stored (``headers`` holds the ``Nats-Msg-Id``)."""
        subject = self.node.subjects.durable(name)
        with anyio.fail_after(timeout):
            while True:
                try:
                    await self.js.publish(
                        subject, data, headers=headers, timeout=STORE_ATTEMPT_TIMEOUT
                    )
                    break
                except nats.js.errors.APIError as error:
                    if error.err_code == 10077:  # maximum messages exceeded
                        raise MailboxFull(
                            f"durable mailbox {name!r} is full; "
                            "wait for its consumer or raise max_messages"
                        ) from None
                    logger.debug("durable %r: storing failed, retrying: %r", name, error)
                except (nats.errors.Error, TimeoutError) as error:
                    logger.debug("durable %r: storing failed, retrying: %r", name, error)
                await anyio.sleep(0.05)

    async def serve(
        self,
        name: str,
        ref: ActorRef,
        *,
        max_deliveries: int,
        ack_wait: float,
        batch: int,
        replicas: int,
    ) -> None:
        """Start handing the mailbox's messages to the local actor ``ref``."""
        await self.ensure(name, replicas=replicas)
        config = ConsumerConfig(
            durable_name=escape(name),
            ack_wait=ack_wait,
            max_deliver=max_deliveries,
            max_ack_pending=batch * 4,
            num_replicas=replicas,
        )
        subscription = await self.js.pull_subscribe(
            self.node.subjects.durable(name),
            durable=escape(name),
            stream=self.stream(name),
            config=config,
        )
        scope = anyio.CancelScope()

        def stopped(message: object) -> None:
            if isinstance(message, Terminated):
                scope.cancel()

        listener = CallbackRef(f"{ref.path}#durable-{name}", stopped)
        ref._watch(listener)
        self.node.start_soon(self._serve, name, ref, subscription, scope, (batch, max_deliveries))

    async def _serve(
        self,
        name: str,
        ref: ActorRef,
        subscription: Any,
        scope: anyio.CancelScope,
        limits: tuple[int, int],
    ) -> None:
        """Fetch and hand over batches until ``ref`` stops; never a silent stall.

        Transient errors (timeouts of any kind, connection and JetStream
        errors) are retried with exponential backoff, for as long as they
        last: the client reconnects by itself, and a consumer found missing
        is created again. Anything else ends serving visibly: logged at error
        and published as :class:`DurableServingFailed` on the event stream.
        """
        batch, max_deliveries = limits
        failures = 0
        with scope:
            while True:
                try:
                    messages = await subscription.fetch(batch, timeout=FETCH_TIMEOUT)
                except TimeoutError:  # nats-py's or asyncio's own: an idle mailbox
                    failures = 0
                    continue
                except nats.js.errors.NotFoundError as error:
                    failures += 1
                    logger.warning(
                        "durable %r: consumer missing, creating it again: %r", name, error
                    )
                    await anyio.sleep(backoff(failures))
                    subscription = await self._subscribe_again(name, subscription)
                    continue
                except (nats.errors.Error, OSError) as error:
                    failures += 1
                    log = logger.warning if failures == TRANSIENT_LOG_AFTER else logger.debug
                    log("durable %r: fetch failed %d times, retrying: %r", name, failures, error)
                    await anyio.sleep(backoff(failures))
                    continue
                except Exception as error:
                    self._failed(name, ref, error)
                    return
                failures = 0
                try:
                    if not await self._handle(name, ref, messages, max_deliveries):
                        return
                except Exception as error:
                    self._failed(name, ref, error)
                    return

    async def _subscribe_again(self, name: str, subscription: Any) -> Any:
        config = subscription._cinfo.config if subscription._cinfo else None
        try:
            return await self.js.pull_subscribe(
                self.node.subjects.durable(name),
                durable=escape(name),
                stream=self.stream(name),
                config=config,
            )
        except (nats.errors.Error, TimeoutError, OSError) as error:
            logger.debug("durable %r: subscribing again failed: %r", name, error)
            return subscription

    def _failed(self, name: str, ref: ActorRef, error: Exception) -> None:
        logger.error(
            "durable %r: serving %s stopped: %r; its messages stay stored, serve it again",
            name,
            ref.path,
            error,
        )
        self.node.system.event_stream.publish(DurableServingFailed(name=name, ref=ref, error=error))

    async def _handle(
        self, name: str, ref: ActorRef, messages: list[Msg], max_deliveries: int
    ) -> bool:
        """Hand a batch to ``ref`` in order; ack each after its handler; ``False`` if it stopped."""
        codec = self.node.codec
        traced = self.node.tracing is not None
        asks: list[tuple[Msg, object, Any]] = []
        for msg in messages:
            try:
                message: object = codec.decode_message(msg.data)
            except Exception as error:  # never redeliver what can never be decoded
                reason = str(error) if isinstance(error, UndecodableError) else repr(error)
                self.node.inbound.undeliverable(msg, ref, reason)
                await _settle(msg.term)
                continue
            # Tasks take their first step in order: the batch enters the mailbox in order.
            if traced:
                task = await self.node.begin(ref._ask_carried, message, carrier_of(msg.headers))
            else:
                task = await self.node.begin(ref.ask, message)
            asks.append((msg, message, task))
        for msg, message, task in asks:
            assert task is not None
            try:
                await task
            except ActorStopped:
                for _, _, later in asks:
                    assert later is not None
                    later.cancel()
                return False  # unacknowledged: delivered again after ack_wait
            except Exception as error:
                if msg.metadata.num_delivered >= max_deliveries:
                    reason = f"failed {max_deliveries} deliveries: {error!r}"
                    logger.warning("durable %r: dead letter: %s", name, reason)
                    self.node.dead_letter(message, ref, reason)
                    await _settle(msg.term)
                else:
                    await _settle(msg.nak)
                continue
            await _settle(msg.ack)
        return True


async def _settle(acknowledge: Any) -> None:
    """Ack, nak or term; a failure is harmless: the message is delivered again later."""
    try:
        await acknowledge()
    except (nats.errors.Error, TimeoutError, OSError) as error:
        logger.debug("durable: acknowledgement lost (it will be delivered again): %r", error)
