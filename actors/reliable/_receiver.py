"""The receiving side of at-least-once delivery: dedup, so each message is handled once."""

from __future__ import annotations

import inspect
import logging
from typing import Any

from attrs import define, field

from actors import Actor

from ._messages import Ack, Delivery

logger = logging.getLogger(__name__)


@define(eq=False)
class DedupWindow:
    """What a receiver has handled: per producer, the highest ``seq`` handled in order.

    Create it where it outlives the receiver's instances: in the receiver's
    parent or supervisor, passed as a constructor argument (the runtime
    passes the same object to every fresh instance after a restart). It
    holds one integer per producer, because deliveries are handled strictly
    in ``seq`` order.

    Attributes:
        last: per producer id, the highest ``seq`` handled (or skipped).
        handled: deliveries handed to the handler and completed, ever.
        duplicates: deliveries already handled, dropped (and acknowledged again).
        out_of_order: deliveries dropped because an earlier one is missing
            (it will be sent again, and these after it).
        skipped: deliveries the sender gave up on, skipped by ``floor``.
    """

    last: dict[str, int] = field(factory=dict)
    handled: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    skipped: int = 0


class IdempotentReceiver(Actor):
    """Base class of an actor that receives from ``ReliableSender``\\ s: each message handled once.

    Override :meth:`handle` (``def`` or ``async def``); other messages go to
    :meth:`receive_other`. For each producer the handler sees the payloads
    in ``seq`` order, each once; a delivery is acknowledged after the
    handler returns. The guarantee, precisely: while the same
    :class:`DedupWindow` is passed to every instance, each delivery's
    handler *completes* at most once, and (if the sender does not give up)
    at least once. A handler that raises has not completed: the sender's
    retry runs it again, so put side effects after anything that may raise,
    or make them idempotent. A stop followed by a new spawn with a fresh
    window, or a process crash, forgets what was handled.
    """

    def __init__(self, window: DedupWindow) -> None:
        self.dedup = window

    async def receive(self, message: Any) -> Any:
        if isinstance(message, Delivery):
            return await self._accept(message)
        result = self.receive_other(message)
        if inspect.isawaitable(result):
            result = await result
        return result

    def handle(self, payload: Any, delivery: Delivery) -> Any:
        """Handle one payload, once. Override it; may be ``async def``."""
        raise NotImplementedError(f"{type(self).__name__} must override handle(payload, delivery)")

    def receive_other(self, message: Any) -> Any:
        """Handle a message that is not a ``Delivery`` (by default: a dead letter)."""
        return super().receive(message)

    async def _accept(self, delivery: Delivery) -> Any:
        window = self.dedup
        producer = delivery.producer_id
        last = window.last.get(producer, 0)
        if delivery.floor - 1 > last:
            window.skipped += delivery.floor - 1 - last
            last = window.last[producer] = delivery.floor - 1
        if delivery.seq <= last:
            window.duplicates += 1
            delivery.reply_to.tell(Ack(producer, last))
            return None
        if delivery.seq > last + 1:
            window.out_of_order += 1
            return None
        result = self.handle(delivery.payload, delivery)
        if inspect.isawaitable(result):
            result = await result
        window.last[producer] = delivery.seq
        window.handled += 1
        delivery.reply_to.tell(Ack(producer, delivery.seq))
        return result
