"""What the node sends: frames for remote refs, pools and durables, into one outbound buffer.

``tell`` queues a frame (or makes a dead letter, never blocking); ``send``
waits for room; each is encoded once, at the sender, so an unregistered type
fails where the mistake is made.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import anyio

from ._errors import ActorNotFound
from ._wire import MESSAGE

if TYPE_CHECKING:
    from actors import ActorRef, ActorSystem

    from ._cluster import NatsCluster
    from ._outbound import Item, Outbound
    from ._ref import Target
    from ._requests import Requests
    from ._tracing import Tracing
    from ._wire import Codec

logger = logging.getLogger("actors.remote._node")


class Sending:
    """The sending half of :class:`~actors.remote.NatsNode` (a mixin: one node, two modules)."""

    name: str
    system: ActorSystem
    config: NatsCluster
    codec: Codec
    tracing: Tracing | None
    requests: Requests
    _outbound: Outbound
    _closing: bool
    #: ``config.max_message_size``, read once per message.
    _max_size: int

    def dead_letter(self, message: object, recipient: ActorRef, reason: str) -> None:
        """Count a dead letter in ``system.dead_letters`` and publish it on the event stream."""
        self.system.record_dead_letter(message, recipient, reason)

    def _too_large(self, target: Target, message: object, size: int) -> None:
        reason = f"message too large ({size} bytes; the limit is {self.config.max_message_size})"
        logger.warning("dead letter for %s: %s", target.where, reason)
        self.dead_letter(message, target, reason)

    def _encode(self, target: Target, message: object) -> bytes | None:
        data = self.codec.encode(MESSAGE, message)
        if len(data) > self.config.max_message_size:
            self._too_large(target, message, len(data))
            return None
        return data

    def _publish(
        self, target: Target, message: object, headers: dict[str, str] | None = None
    ) -> None:
        """Queue ``message`` for ``target``; a dead letter if it cannot be queued."""
        data = self.codec.encode(MESSAGE, message)
        if len(data) > self._max_size:
            self._too_large(target, message, len(data))
        elif self._closing or not self._outbound.offer(
            (target.subject, "", data, target, message, headers)
        ):
            self.enqueue(target.subject, "", data, target, message)  # the dead letter

    def _publish_encoded(self, target: Target, message: object, data: bytes) -> None:
        """As :meth:`publish`, for ``message`` already encoded as the frame ``data``.

        For sharding's envelopes (``_shard_envelopes.py``), whose frame is written
        without the general walk; ``data`` must be what the codec writes for it.
        """
        headers = None if self.tracing is None else self.tracing.headers(target, message)
        if len(data) > self._max_size:
            self._too_large(target, message, len(data))
        elif self._closing or not self._outbound.offer(
            (target.subject, "", data, target, message, headers)
        ):
            self.enqueue(target.subject, "", data, target, message)  # the dead letter

    def _publish_traced(self, target: Target, message: object) -> None:
        assert self.tracing is not None
        self._publish(target, message, self.tracing.headers(target, message))

    async def _publish_waiting(
        self, target: Target, message: object, headers: dict[str, str] | None = None
    ) -> None:
        """As :meth:`_publish`, waiting for room in the outbound buffer first."""
        await anyio.lowlevel.checkpoint()
        data = self._encode(target, message)
        if data is not None:
            await self._wait_for_room()
            self.enqueue(target.subject, "", data, target, message, headers=headers)

    async def _publish_waiting_traced(self, target: Target, message: object) -> None:
        assert self.tracing is not None
        await self._publish_waiting(target, message, self.tracing.headers(target, message))

    async def _wait_for_room(self) -> None:
        await self._outbound.wait_for_room(lambda: self._closing)

    def enqueue(
        self,
        subject: str,
        reply: str,
        data: bytes,
        recipient: ActorRef | None,
        message: object,
        *,
        headers: dict[str, str] | None = None,
    ) -> bool:
        """Put one frame in the outbound buffer; ``False`` (and a dead letter) if it is full."""
        item = (subject, reply, data, recipient, message, headers)
        if not self._closing and self._outbound.offer(item):
            return True
        if recipient is not None:
            reason = "node detached" if self._closing else "outbound buffer full"
            self.dead_letter(message, recipient, reason)
        return False

    def _not_sent(self, item: Item, error: Exception) -> None:
        subject, reply, _data, recipient, message, _headers = item
        logger.warning("node %s: could not publish to %s: %r", self.name, subject, error)
        if recipient is not None:
            self.dead_letter(message, recipient, f"not sent: {error!r}")
        if reply:
            self.requests.fail(reply, ActorNotFound(f"could not send to {subject}: {error!r}"))
