"""Reliable delivery: at-least-once with dedup, dead letters you can inspect, circuit breakers.

* :func:`spawn_reliable_sender` / :class:`ReliableSender` and
  :class:`IdempotentReceiver` with its :class:`DedupWindow`: every message
  handled once, in order per sender, across receiver crashes; give-ups are
  published as :class:`DeliveryFailed`. Both can be kept in a journal
  (``spawn_reliable_sender(..., journal=...)``, :meth:`DedupWindow.in_journal`)
  so that a killed process loses nothing and duplicates nothing in effect.
* :func:`spawn_dead_letter_view` / :class:`DeadLetterView`: counts by type,
  recipient and reason, the last N, and filtered subscriptions.
* :class:`CircuitBreaker`: closed, open, half-open, with its transitions
  published as :class:`CircuitStateChanged`.

Built only on the public ``actors`` API (and ``actors.persistence``'s, for journals).
"""

from ._breaker import CircuitBreaker as CircuitBreaker
from ._breaker import CircuitState as CircuitState
from ._breaker import CircuitStateChanged as CircuitStateChanged
from ._dead_letters import DeadLetterReport as DeadLetterReport
from ._dead_letters import DeadLetterView as DeadLetterView
from ._dead_letters import GetDeadLetterReport as GetDeadLetterReport
from ._dead_letters import SubscribeDeadLetters as SubscribeDeadLetters
from ._dead_letters import UnsubscribeDeadLetters as UnsubscribeDeadLetters
from ._dead_letters import spawn_dead_letter_view as spawn_dead_letter_view
from ._errors import CircuitOpenError as CircuitOpenError
from ._errors import InvalidSetting as InvalidSetting
from ._errors import UnknownAcknowledgement as UnknownAcknowledgement
from ._journaled_sender import JournaledSender as JournaledSender
from ._journaled_sender import sender_persistence_id as sender_persistence_id
from ._messages import Ack as Ack
from ._messages import Delivery as Delivery
from ._messages import DeliveryFailed as DeliveryFailed
from ._messages import DeliveryStatistics as DeliveryStatistics
from ._messages import GetDeliveryStatistics as GetDeliveryStatistics
from ._messages import WaitUntilDelivered as WaitUntilDelivered
from ._receiver import DedupWindow as DedupWindow
from ._receiver import IdempotentReceiver as IdempotentReceiver
from ._records import DedupSnapshot as DedupSnapshot
from ._records import DeliveryHandled as DeliveryHandled
from ._records import MessageQueued as MessageQueued
from ._records import MessagesConfirmed as MessagesConfirmed
from ._records import OutboxSnapshot as OutboxSnapshot
from ._records import register_delivery_records as register_delivery_records
from ._sender import Outbox as Outbox
from ._sender import ReliableSender as ReliableSender
from ._sender import RetryPolicy as RetryPolicy
from ._sender import spawn_reliable_sender as spawn_reliable_sender

__all__ = [
    "Ack",
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
    "CircuitStateChanged",
    "DeadLetterReport",
    "DeadLetterView",
    "DedupSnapshot",
    "DedupWindow",
    "Delivery",
    "DeliveryFailed",
    "DeliveryHandled",
    "DeliveryStatistics",
    "GetDeadLetterReport",
    "GetDeliveryStatistics",
    "IdempotentReceiver",
    "InvalidSetting",
    "JournaledSender",
    "MessageQueued",
    "MessagesConfirmed",
    "Outbox",
    "OutboxSnapshot",
    "ReliableSender",
    "RetryPolicy",
    "SubscribeDeadLetters",
    "UnknownAcknowledgement",
    "UnsubscribeDeadLetters",
    "WaitUntilDelivered",
    "register_delivery_records",
    "sender_persistence_id",
    "spawn_dead_letter_view",
    "spawn_reliable_sender",
]
