"""The messages and events of at-least-once delivery."""

from __future__ import annotations

from attrs import frozen

from actors import ActorRef


@frozen(kw_only=True)
class Delivery:
    """One message on its way from a ``ReliableSender`` to a receiver.

    ``(producer_id, seq)`` identifies it; ``seq`` counts from 1 per producer.
    ``floor`` is the oldest ``seq`` the sender still tries to deliver: the
    sender gave up on everything below it, so the receiver skips those.
    """

    producer_id: str
    seq: int
    payload: object
    floor: int
    reply_to: ActorRef


@frozen
class Ack:
    """The receiver has handled every message of ``producer_id`` up to ``seq`` (cumulative)."""

    producer_id: str
    seq: int


@frozen(kw_only=True)
class DeliveryFailed:
    """A sender gave up on a message after ``attempts`` sends without an ``Ack``.

    Published on the event stream. The receiver will skip it: later messages
    are still delivered, in order.
    """

    producer_id: str
    seq: int
    payload: object
    target: ActorRef
    attempts: int


@frozen
class WaitUntilDelivered:
    """Ask a ``ReliableSender``; answered with its :class:`DeliveryStatistics` once it is drained.

    Drained: nothing pending and nothing waiting (every message acknowledged
    or given up on). Give the ``ask`` a timeout: a receiver that never
    acknowledges delays the answer until the sender gives up.
    """


@frozen
class GetDeliveryStatistics:
    """Ask a ``ReliableSender`` for its :class:`DeliveryStatistics`."""


@frozen(kw_only=True)
class DeliveryStatistics:
    """A snapshot of a sender's outbox.

    Attributes:
        producer_id: the id its deliveries carry.
        sent: messages accepted for delivery, ever.
        acknowledged: messages the receiver has acknowledged, ever.
        pending: messages sent and not yet acknowledged.
        waiting: messages not yet sent because the window is full.
        resends: deliveries sent again after a missing ``Ack``, ever.
        failed: messages given up on (each published as ``DeliveryFailed``).
    """

    producer_id: str
    sent: int
    acknowledged: int
    pending: int
    waiting: int
    resends: int
    failed: int
