"""``ReliableSender``: keeps each message until the receiver acknowledges it, retrying."""

from __future__ import annotations

import logging
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any

from attrs import define, field, frozen

from actors import Actor, ActorRef, Timer
from supervision import Backoff

from ._errors import InvalidSetting, UnknownAcknowledgement
from ._messages import (
    Ack,
    Delivery,
    DeliveryFailed,
    DeliveryStatistics,
    GetDeliveryStatistics,
    WaitUntilDelivered,
)

if TYPE_CHECKING:
    from actors.persistence import Journal

logger = logging.getLogger(__name__)


def _positive(_instance: object, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidSetting(
            f"RetryPolicy {attribute.name} must be a whole number >= 1 (got {value!r})"
        )


@frozen(kw_only=True)
class RetryPolicy:
    """How a ``ReliableSender`` retries.

    Args:
        backoff: the wait for an ``Ack`` before sending again; the n-th retry
            of the oldest pending message waits ``backoff.delay(n)``.
        max_attempts: sends of one message (the first included) before the
            sender gives up on it and publishes ``DeliveryFailed``.
        window: the most messages in flight without an ``Ack``; more wait
            in the outbox, in order.
    """

    backoff: Backoff = field(factory=lambda: Backoff(min=0.2, max=10.0))
    max_attempts: int = field(default=10, validator=_positive)
    window: int = field(default=1000, validator=_positive)


@define(eq=False)
class _Pending:
    seq: int
    payload: object
    attempts: int = 1


@define(eq=False)
class Outbox:
    """A sender's state, kept outside the actor so that it survives the sender's restarts."""

    producer_id: str = field(factory=lambda: uuid.uuid4().hex)
    next_seq: int = 1
    acked: int = 0
    pending: deque[_Pending] = field(factory=deque)
    waiting: deque[object] = field(factory=deque)
    delivered: int = 0
    #: A message was given up on and nothing was acknowledged since.
    stalled: bool = False
    resends: int = 0
    failed: int = 0


@frozen
class _RetryDue:
    token: int


class ReliableSender(Actor):
    """Delivers every message it is told to ``target`` at least once, in order.

    Spawn it with :func:`spawn_reliable_sender` and ``tell`` it plain
    payloads. Each goes out as a :class:`Delivery`; the receiver (an
    :class:`~actors.reliable.IdempotentReceiver`) answers with cumulative
    :class:`Ack`\\ s. When the oldest pending message has no ``Ack`` after the
    backoff delay, every pending message is sent again, in order (go-back-N).
    After ``max_attempts`` sends the sender gives up on the oldest message,
    publishes :class:`DeliveryFailed` and goes on with the next (the receiver
    skips it by ``Delivery.floor``); the messages behind it start counting
    their attempts again. If a second message runs out of attempts with no
    ``Ack`` at all since the first give-up, the receiver is taken to be gone
    and every pending message that has had its attempts is given up on.

    The outbox is a constructor argument, so a restart of the sender loses
    nothing: the fresh instance sends every pending message again.

    Raises (in its handler, so it fails and is restarted):
        UnknownAcknowledgement: an ``Ack`` for another producer or an unsent ``seq``.
    """

    def __init__(self, target: ActorRef, policy: RetryPolicy, outbox: Outbox) -> None:
        self.target = target
        self.policy = policy
        self.outbox = outbox
        self.timer: Timer | None = None
        self.token = 0
        self.armed_at_ack = 0

    def on_start(self) -> None:
        if self.outbox.pending:
            self._resend_all()
        self._fill_window()

    def receive(self, message: Any) -> Any:
        match message:
            case Ack(producer_id, seq):
                self._acknowledged(producer_id, seq)
            case _RetryDue(token):
                if token == self.token:
                    self._retry_due()
            case GetDeliveryStatistics():
                return self._statistics()
            case WaitUntilDelivered():
                if self.outbox.pending or self.outbox.waiting:
                    self.context.stash()  # answered when handled again, once drained
                    return None
                return self._statistics()
            case _:
                self.outbox.waiting.append(message)
                self._fill_window()
        return None

    def _statistics(self) -> DeliveryStatistics:
        outbox = self.outbox
        return DeliveryStatistics(
            producer_id=outbox.producer_id,
            sent=outbox.next_seq - 1 + len(outbox.waiting),
            acknowledged=outbox.delivered,
            pending=len(outbox.pending),
            waiting=len(outbox.waiting),
            resends=outbox.resends,
            failed=outbox.failed,
        )

    def _send(self, pending: _Pending) -> None:
        outbox = self.outbox
        self.target.tell(
            Delivery(
                producer_id=outbox.producer_id,
                seq=pending.seq,
                payload=pending.payload,
                floor=outbox.pending[0].seq,
                reply_to=self.context.self_ref,
            )
        )

    def _fill_window(self) -> None:
        outbox = self.outbox
        if not outbox.pending and not outbox.waiting:
            self.context.unstash_all()  # the WaitUntilDelivered asks
            return
        window = self.policy.window
        while outbox.waiting and len(outbox.pending) < window:
            pending = _Pending(outbox.next_seq, outbox.waiting.popleft())
            outbox.next_seq += 1
            outbox.pending.append(pending)
            self._send(pending)
        if outbox.pending and self.timer is None:
            self._arm()

    def _arm(self) -> None:
        outbox = self.outbox
        self.token += 1
        self.armed_at_ack = outbox.acked
        delay = self.policy.backoff.delay(outbox.pending[0].attempts - 1)
        self.timer = self.context.schedule_once(delay, _RetryDue(self.token))

    def _acknowledged(self, producer_id: str, seq: int) -> None:
        outbox = self.outbox
        if producer_id != outbox.producer_id or seq >= outbox.next_seq:
            raise UnknownAcknowledgement(
                f"{self.context.path} sent deliveries "
                f"{outbox.producer_id}:1..{outbox.next_seq - 1} "
                f"but got Ack({producer_id!r}, {seq}); "
                "acks must come from the receiver of this "
                "sender's deliveries (nothing is lost: unacknowledged messages are sent again)"
            )
        if seq <= outbox.acked:
            return  # a duplicate or stale ack: harmless
        while outbox.pending and outbox.pending[0].seq <= seq:
            outbox.pending.popleft()
            outbox.delivered += 1
        outbox.acked = seq
        outbox.stalled = False
        if not outbox.pending and self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self._fill_window()

    def _retry_due(self) -> None:
        self.timer = None
        outbox = self.outbox
        if not outbox.pending:
            return
        if outbox.acked > self.armed_at_ack:
            self._arm()  # progress since the timer was armed: wait again
            return
        limit = self.policy.max_attempts
        if outbox.pending[0].attempts >= limit:
            if outbox.stalled:
                # No progress since the last give-up either: the receiver is
                # presumably gone, so give up on everything that had its tries.
                while outbox.pending and outbox.pending[0].attempts >= limit:
                    self._give_up(outbox.pending.popleft())
            else:
                # Give up on the oldest only. The ones behind it never had a
                # fair chance (a receiver drops everything after a gap), so
                # they start counting again.
                self._give_up(outbox.pending.popleft())
                outbox.stalled = True
                for pending in outbox.pending:
                    pending.attempts = 0
        if outbox.pending:
            self._resend_all()
        self._fill_window()

    def _give_up(self, given_up: _Pending) -> None:
        outbox = self.outbox
        outbox.failed += 1
        outbox.acked = max(outbox.acked, given_up.seq)
        logger.warning(
            "%s gave up on delivery %s:%d to %s after %d attempts",
            self.context.path,
            outbox.producer_id,
            given_up.seq,
            self.target.path,
            given_up.attempts,
            extra={"actor": self.context.path},
        )
        self.context.system.event_stream.publish(
            DeliveryFailed(
                producer_id=outbox.producer_id,
                seq=given_up.seq,
                payload=given_up.payload,
                target=self.target,
                attempts=given_up.attempts,
            )
        )

    def _resend_all(self) -> None:
        for pending in self.outbox.pending:
            pending.attempts += 1
            self.outbox.resends += 1
            self._send(pending)
        if self.timer is not None:
            self.timer.cancel()
        self._arm()


def spawn_reliable_sender(
    spawner: Any,
    target: ActorRef,
    *,
    policy: RetryPolicy | None = None,
    name: str | None = None,
    outbox: Outbox | None = None,
    journal: Journal | None = None,
    producer_id: str | None = None,
    snapshot_every: int = 1000,
) -> ActorRef:
    """Spawn a :class:`ReliableSender` to ``target``; ``tell`` the returned ref your payloads.

    ``spawner`` is ``system`` or ``self.context``. Pass your own ``outbox``
    to keep the outbox beyond the sender's life (for example, owned by its
    supervisor); by default a fresh one is made, with a fresh producer id.

    With ``journal`` (any ``actors.persistence`` journal) the outbox lives in
    the journal instead (see :class:`JournaledSender`): each payload is
    stored before it is sent, so a killed process loses nothing; a sender
    spawned later with the same ``producer_id`` (required, stable across
    processes) sends every unconfirmed payload again. Register the stored
    types on the journal's registry with :func:`register_delivery_records`.
    Every ``snapshot_every`` entries the outbox is folded into a snapshot
    and older entries are deleted.

    Raises:
        InvalidSetting: ``journal`` without ``producer_id``, ``journal`` with
            ``outbox``, or ``snapshot_every`` below 1.
    """
    if journal is None:
        if producer_id is not None:
            outbox = outbox or Outbox(producer_id=producer_id)
        return spawner.spawn(  # type: ignore[no-any-return]
            ReliableSender, target, policy or RetryPolicy(), outbox or Outbox(), name=name
        )
    from ._journaled_sender import JournaledSender  # noqa: PLC0415 - it subclasses this module's

    if not isinstance(producer_id, str) or not producer_id:
        raise InvalidSetting(
            f"a journal-backed sender needs producer_id= (got {producer_id!r}); give a name "
            "that stays the same across restarts of the process, such as 'orders-to-ledger'"
        )
    if outbox is not None:
        raise InvalidSetting(
            "a journal-backed sender keeps its outbox in the journal (got outbox= as well); "
            "pass journal= or outbox=, not both"
        )
    if (
        isinstance(snapshot_every, bool)
        or not isinstance(snapshot_every, int)
        or snapshot_every < 1
    ):
        raise InvalidSetting(f"snapshot_every must be a whole number >= 1 (got {snapshot_every!r})")
    return spawner.spawn(  # type: ignore[no-any-return]
        JournaledSender,
        target,
        policy or RetryPolicy(),
        Outbox(producer_id=producer_id),
        journal,
        snapshot_every,
        name=name,
    )
