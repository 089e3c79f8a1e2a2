"""The receiving side of at-least-once delivery: dedup, so each message is handled once."""

from __future__ import annotations

import inspect
import logging
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from attrs import define, field

from actors import Actor

from ._errors import InvalidSetting
from ._messages import Ack, Delivery

if TYPE_CHECKING:
    from actors.persistence import Journal

logger = logging.getLogger(__name__)


@define(eq=False)
class DedupWindow:
    """What a receiver has handled: per producer, the highest ``seq`` handled in order.

    Create it where it outlives the receiver's instances: in the receiver's
    parent or supervisor, passed as a constructor argument (the runtime
    passes the same object to every fresh instance after a restart). It
    holds one integer per producer, because deliveries are handled strictly
    in ``seq`` order. To survive the process too, keep it in a journal with
    :meth:`in_journal`.

    Attributes:
        last: per producer id, the highest ``seq`` handled (or skipped).
        handled: deliveries handed to the handler and completed, ever.
        duplicates: deliveries already handled, dropped (and acknowledged again).
        out_of_order: deliveries dropped because an earlier one is missing
            (it will be sent again, and these after it).
        skipped: deliveries the sender gave up on, skipped by ``floor``.
        journal: where the window is kept (``None``: in memory only).
        persistence_id: its id in ``journal``.
        snapshot_every: with a journal, fold it into a snapshot every this
            many handled deliveries (``None``: never).
    """

    last: dict[str, int] = field(factory=dict)
    handled: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    skipped: int = 0
    journal: Journal | None = None
    persistence_id: str | None = None
    snapshot_every: int | None = None

    @classmethod
    def in_journal(
        cls, journal: Journal, persistence_id: str, *, snapshot_every: int | None = None
    ) -> DedupWindow:
        """A window kept in ``journal`` under ``persistence_id``: it survives the process.

        Each handled delivery is appended as a ``DeliveryHandled`` mark,
        together with the events its handler recorded (``record``), in one
        atomic append, before the ``Ack``. A receiver with this window
        recovers the marks (and replays the events into ``apply``) before
        its first message. Register the stored types with
        :func:`register_delivery_records`.

        Raises:
            InvalidSetting: an empty ``persistence_id`` or a ``snapshot_every`` below 1.
        """
        if not isinstance(persistence_id, str) or not persistence_id:
            raise InvalidSetting(
                f"a journal-backed DedupWindow needs a persistence_id (got {persistence_id!r}); "
                "name it after its receiver, such as 'ledger-inbox'"
            )
        if snapshot_every is not None and (
            isinstance(snapshot_every, bool)
            or not isinstance(snapshot_every, int)
            or snapshot_every < 1
        ):
            raise InvalidSetting(
                f"snapshot_every must be a whole number >= 1 or None (got {snapshot_every!r})"
            )
        return cls(journal=journal, persistence_id=persistence_id, snapshot_every=snapshot_every)


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
    window, or a process crash, forgets what was handled, unless the window
    is kept in a journal (:meth:`DedupWindow.in_journal`).

    With a journal-backed window the handler's effects can be made exactly
    once across process crashes: the handler calls :meth:`record` with
    events, which are appended atomically with the delivery's mark and then
    passed to :meth:`apply`; recovery replays them into :meth:`apply`
    before the first message. A crash before the append loses both mark and
    events, and the redelivery runs the handler again.
    """

    def __init__(self, window: DedupWindow) -> None:
        self.dedup = window
        self._recovered = window.journal is None
        self._recording: list[object] | None = None
        self._journal_seq = 0
        self._snapshot_seq = 0
        self._records_events = False

    async def receive(self, message: Any) -> Any:
        if not self._recovered:
            await self._recover()
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

    def record(self, *events: object) -> None:
        """Keep ``events`` with this delivery's mark in the window's journal, atomically.

        Call it from :meth:`handle`. Once the mark and the events are stored
        (after ``handle`` returns, before the ``Ack``), each event is passed
        to :meth:`apply`, in order; recovery passes them again.

        Raises:
            InvalidSetting: called outside ``handle``, or the window has no journal.
        """
        if self.dedup.journal is None:
            raise InvalidSetting(
                f"{type(self).__name__}.record() keeps events in the window's journal, and "
                "this DedupWindow has none; create it with DedupWindow.in_journal(journal, id)"
            )
        if self._recording is None:
            raise InvalidSetting(
                f"{type(self).__name__}.record() was called outside handle(); "
                "record events while handling a delivery"
            )
        self._recording.extend(events)

    def apply(self, event: Any) -> None:
        """Apply one recorded event to the receiver's state. Override it if you record events."""
        raise NotImplementedError(
            f"{type(self).__name__} records events but does not override apply(event)"
        )

    def snapshot(self) -> Any:
        """The receiver's state for a window snapshot (override with :meth:`restore`)."""
        return None

    def restore(self, state: Any) -> None:
        """Set the receiver's state from :meth:`snapshot`'s value, during recovery."""

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
        if window.journal is None:
            result = self.handle(delivery.payload, delivery)
            if inspect.isawaitable(result):
                result = await result
        else:
            result = await self._handle_and_store(delivery)
        window.last[producer] = delivery.seq
        window.handled += 1
        delivery.reply_to.tell(Ack(producer, delivery.seq))
        return result

    # -- the journal-backed window ---------------------------------------------

    async def _handle_and_store(self, delivery: Delivery) -> Any:
        from ._records import DeliveryHandled  # noqa: PLC0415

        window = self.dedup
        assert window.journal is not None
        assert window.persistence_id is not None
        self._recording = []
        try:
            result = self.handle(delivery.payload, delivery)
            if inspect.isawaitable(result):
                result = await result
            events = tuple(self._recording)
        finally:
            self._recording = None
        mark = DeliveryHandled(delivery.producer_id, delivery.seq, events)
        await window.journal.append(
            window.persistence_id, [mark], expected_sequence_number=self._journal_seq
        )
        self._journal_seq += 1
        if events:
            self._records_events = True
        for event in events:
            self.apply(event)
        if (
            window.snapshot_every
            and self._journal_seq - self._snapshot_seq >= window.snapshot_every
        ):
            await self._snapshot()
        return result

    async def _recover(self) -> None:
        """Rebuild the window (and, through ``apply``, the state) from the journal."""
        from ._records import DedupSnapshot  # noqa: PLC0415

        window = self.dedup
        journal, persistence_id = window.journal, window.persistence_id
        assert journal is not None
        assert persistence_id is not None
        window.last.clear()
        start = 1
        found = await journal.load_snapshot(persistence_id)
        if found is not None:
            folded: DedupSnapshot = found.snapshot
            window.last.update(folded.last)
            self.restore(folded.state)
            start = found.sequence_number + 1
            self._snapshot_seq = found.sequence_number
        records = journal.replay(persistence_id, from_sequence_number=start)
        async with aclosing(records):
            async for record in records:
                self._recover_mark(persistence_id, record.sequence_number, record.event)
        self._journal_seq = await journal.highest_sequence_number(persistence_id)
        self._recovered = True

    def _recover_mark(self, persistence_id: str, sequence_number: int, mark: object) -> None:
        from actors.persistence import PersistenceError  # noqa: PLC0415

        from ._records import DeliveryHandled  # noqa: PLC0415

        window = self.dedup
        if not isinstance(mark, DeliveryHandled):
            raise PersistenceError(
                f"{persistence_id!r} #{sequence_number} holds a "
                f"{type(mark).__name__}, not a DeliveryHandled mark; give the DedupWindow "
                "a persistence_id of its own"
            )
        window.last[mark.producer_id] = max(window.last.get(mark.producer_id, 0), mark.seq)
        for event in mark.events:
            self._records_events = True
            try:
                self.apply(event)
            except Exception as error:
                raise PersistenceError(
                    f"{type(self).__name__}.apply raised {type(error).__name__} on an event "
                    f"of {persistence_id!r} #{sequence_number} during recovery; "
                    "fix apply (nothing is skipped)"
                ) from error

    async def _snapshot(self) -> None:
        from actors.persistence import PersistenceError  # noqa: PLC0415

        from ._records import DedupSnapshot  # noqa: PLC0415

        window = self.dedup
        assert window.journal is not None
        assert window.persistence_id is not None
        if self._records_events and type(self).snapshot is IdempotentReceiver.snapshot:
            raise PersistenceError(
                f"{type(self).__name__} records events and its DedupWindow has snapshot_every, "
                "but it does not override snapshot() and restore(); override both, or drop "
                "snapshot_every"
            )
        folded = DedupSnapshot(dict(window.last), self.snapshot())
        await window.journal.save_snapshot(window.persistence_id, self._journal_seq, folded, keep=1)
        await window.journal.delete_events(
            window.persistence_id, to_sequence_number=self._journal_seq
        )
        self._snapshot_seq = self._journal_seq
