"""What a journal-backed sender and receiver store: attrs classes with stable stored names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from attrs import frozen

if TYPE_CHECKING:
    from actors.persistence import MessageRegistry


@frozen
class MessageQueued:
    """A sender accepted ``payload``; it is delivery ``seq`` of its producer."""

    seq: int
    payload: Any


@frozen
class MessagesConfirmed:
    """Every delivery up to ``seq`` is acknowledged (or given up on): never sent again."""

    seq: int


@frozen(kw_only=True)
class OutboxSnapshot:
    """A sender's journal folded: deliveries ``confirmed + 1 ..`` still to deliver, in order."""

    accepted: int
    confirmed: int
    unconfirmed: tuple[Any, ...]


@frozen
class DeliveryHandled:
    """A receiver's handler completed ``seq`` of ``producer_id``, recording ``events``.

    The mark and the events are one atomic append: both or neither.
    """

    producer_id: str
    seq: int
    events: tuple[Any, ...]


@frozen
class DedupSnapshot:
    """A receiver's window folded: the highest ``seq`` handled per producer, and its own state."""

    last: dict[str, int]
    state: Any


def register_delivery_records(registry: MessageRegistry) -> MessageRegistry:
    """Register what journal-backed reliable delivery stores, under stable names; returns it.

    Call it on the registry of the journal given to
    :func:`spawn_reliable_sender` (``journal=``) or to
    :meth:`DedupWindow.in_journal`, next to your own payload and event types.
    """
    for cls in (MessageQueued, MessagesConfirmed, OutboxSnapshot, DeliveryHandled, DedupSnapshot):
        registry.register(cls, tag=f"anyactors.reliable.{cls.__name__}")
    return registry
