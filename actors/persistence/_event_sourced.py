"""``EventSourcedActor``: state rebuilt from the events it persisted."""

from __future__ import annotations

import logging
from contextlib import aclosing
from operator import length_hint
from typing import Any, ClassVar

from ._errors import RecoveryFailed
from ._persistent import M, PersistentActor

logger = logging.getLogger(__name__)


class EventSourcedActor(PersistentActor[M]):
    """An actor whose state is the result of the events it has persisted.

    A handler decides, persists what happened, then acts::

        class Account(EventSourcedActor):
            snapshot_every = 100

            def __init__(self) -> None:
                self.balance = 0

            def apply(self, event: object) -> None:
                match event:
                    case Deposited(amount):
                        self.balance += amount

            async def receive(self, message: object) -> object:
                match message:
                    case Deposit(amount):
                        await self.persist(Deposited(amount))
                        return self.balance

            def snapshot(self) -> object:
                return Balance(self.balance)

            def restore(self, snapshot: Balance) -> None:
                self.balance = snapshot.amount

    Recovery (after spawn and after every restart, before the first message):
    the latest snapshot through :meth:`restore`, then every later event
    through :meth:`apply`, in order. A restart therefore keeps the state the
    journal holds. If ``apply`` or ``restore`` raises, the actor fails with
    :class:`RecoveryFailed` naming the persistence id and sequence number;
    no event is ever skipped.

    Class attributes:
        snapshot_every: save a snapshot after every this many events
            (``None``: never); needs :meth:`snapshot` and :meth:`restore`.
        snapshots_kept: how many snapshots to keep (the latest; default 2).
        delete_events_on_snapshot: delete the events a saved snapshot covers.
    """

    snapshot_every: ClassVar[int | None] = None
    snapshots_kept: ClassVar[int] = 2
    delete_events_on_snapshot: ClassVar[bool] = False
    _persistence_kind: ClassVar[str] = "an event-sourced"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        every = cls.snapshot_every
        if every is not None and (
            isinstance(every, bool) or not isinstance(every, int) or every < 1
        ):
            raise ValueError(
                f"{cls.__name__}.snapshot_every must be a whole number >= 1 or None (got {every!r})"
            )
        kept = cls.snapshots_kept
        if isinstance(kept, bool) or not isinstance(kept, int) or kept < 1:
            raise ValueError(
                f"{cls.__name__}.snapshots_kept must be a whole number >= 1 (got {kept!r})"
            )
        if every is not None and (
            cls.snapshot is EventSourcedActor.snapshot or cls.restore is EventSourcedActor.restore
        ):
            raise TypeError(
                f"{cls.__name__} sets snapshot_every, so it must define snapshot() (the state "
                "to store) and restore(snapshot) (its inverse)"
            )

    def apply(self, event: Any) -> None:
        """Change the state by one event: no messaging, no I/O, no persisting.

        Called after each :meth:`persist` (for each of its events, in order)
        and for every stored event during recovery.
        """
        raise NotImplementedError(f"{type(self).__name__} must define apply(self, event)")

    def snapshot(self) -> object:
        """The state to store as a snapshot (a registered attrs class or a plain value)."""
        raise NotImplementedError(f"{type(self).__name__} must define snapshot(self)")

    def restore(self, snapshot: Any) -> None:
        """Set the state from a stored snapshot (the inverse of :meth:`snapshot`)."""
        raise NotImplementedError(f"{type(self).__name__} must define restore(self, snapshot)")

    @property
    def sequence_number(self) -> int:
        """The number of the last event this actor stored or recovered (0 if none)."""
        number: int = self.__dict__.get("_anyactors_sequence_number", 0)
        return number

    async def persist(self, *events: object) -> None:
        """Store ``events`` atomically (all or none), then apply them in order, then return.

        Call it from a message handler. When it returns, the events are in
        the journal at its durability setting; a reply or other side effect
        made after it is therefore never ahead of the stored state.

        Raises:
            PersistenceConflict: another live writer has stored events under
                this persistence id; nothing was stored. Unhandled, it stops
                this actor (its supervisor's default directive for it is STOP).
            JournalError: the journal failed; the events may or may not be
                stored. Unhandled, the actor fails and its supervisor decides
                (a ``Backoff`` strategy rides out an outage); the restart
                recovers what the journal holds.
            UnregisteredType: an event is not of a type in the journal's
                ``MessageRegistry``; nothing was stored.
            PersistenceError: called outside a message handler.
        """
        if not events:
            return
        self._check_writing("persist")
        persistence_id = self._stored_id()
        journal = self._journal
        expected = self.sequence_number
        await journal.append(persistence_id, events, expected_sequence_number=expected)
        number = expected + len(events)
        self.__dict__["_anyactors_sequence_number"] = number
        for event in events:
            self.apply(event)
        every = type(self).snapshot_every
        if every is not None and number // every > expected // every:
            await self.save_snapshot()

    async def save_snapshot(self) -> None:
        """Store :meth:`snapshot` now, covering the events up to :attr:`sequence_number`.

        Keeps the latest ``snapshots_kept``; deletes the covered events if
        ``delete_events_on_snapshot``. A snapshot only speeds up recovery, so
        a journal failure here is logged and does not fail the actor.
        """
        persistence_id = self._stored_id()
        number = self.sequence_number
        state = self.snapshot()
        journal = self._journal
        try:
            await journal.save_snapshot(
                persistence_id, number, state, keep=type(self).snapshots_kept
            )
            if type(self).delete_events_on_snapshot:
                await journal.delete_events(persistence_id, to_sequence_number=number)
        except Exception as error:
            logger.warning(
                "%s: saving the snapshot at sequence number %d of %r failed: %r",
                self.context.path,
                number,
                persistence_id,
                error,
                extra={"actor": self.context.path},
            )

    async def _recover(self, persistence_id: str) -> None:
        journal = self._journal
        number = 0
        record = await journal.load_snapshot(persistence_id)
        if record is not None:
            number = record.sequence_number
            try:
                self.restore(record.snapshot)
            except Exception as error:
                raise RecoveryFailed(
                    f"{type(self).__name__}.restore raised {type(error).__name__}: {error} on "
                    f"the snapshot at sequence number {number} of {persistence_id!r}; fix restore "
                    "(recovery never skips a stored record)"
                ) from error
        apply = self.apply
        chunks = getattr(journal, "_replay_chunks", None)
        if chunks is not None:  # the journal replays by chunks: no record per event
            async with aclosing(chunks(persistence_id, number + 1)) as replay:
                async for rows, events in replay:
                    remaining = iter(events)
                    try:
                        for event in remaining:
                            apply(event)
                    except Exception as error:
                        failed = rows[len(events) - length_hint(remaining) - 1][0]
                        raise self._apply_failed(error, failed, persistence_id) from error
                    number = rows[-1][0]
        else:
            async with aclosing(
                journal.replay(persistence_id, from_sequence_number=number + 1)
            ) as records:
                async for stored in records:
                    try:
                        apply(stored.event)
                    except Exception as error:
                        raise self._apply_failed(
                            error, stored.sequence_number, persistence_id
                        ) from error
                    number = stored.sequence_number
        highest = await journal.highest_sequence_number(persistence_id)
        self.__dict__["_anyactors_sequence_number"] = max(number, highest)

    def _apply_failed(self, error: Exception, number: int, persistence_id: str) -> RecoveryFailed:
        return RecoveryFailed(
            f"{type(self).__name__}.apply raised {type(error).__name__}: {error} on "
            f"the event at sequence number {number} of "
            f"{persistence_id!r}; fix apply (recovery never skips a stored event)"
        )
