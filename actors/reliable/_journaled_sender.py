"""A ``ReliableSender`` whose outbox lives in a journal: a killed process loses nothing.

Each accepted payload is appended to the journal (``MessageQueued``) before it
is sent; acknowledgements are appended as ``MessagesConfirmed``. A fresh
instance (after a restart, or in a new process with the same ``producer_id``)
replays the journal, so it sends every unconfirmed payload again, under the
same ``seq``: the receiver's dedup window drops what it had already handled.
Every ``snapshot_every`` journal entries the outbox is folded into one
snapshot and the entries it covers are deleted.

Uses ``actors.persistence`` only through its public face (the ``Journal``
protocol).
"""

from __future__ import annotations

import logging
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from actors import ActorRef

from ._messages import Ack, GetDeliveryStatistics, WaitUntilDelivered
from ._records import MessageQueued, MessagesConfirmed, OutboxSnapshot
from ._sender import Outbox, ReliableSender, RetryPolicy, _RetryDue

if TYPE_CHECKING:
    from actors.persistence import Journal

logger = logging.getLogger(__name__)

#: Confirmations kept only in memory before one is appended: a crash sends
#: at most this many acknowledged messages again (the receiver drops them).
CONFIRM_EVERY = 100


def sender_persistence_id(producer_id: str) -> str:
    """The persistence id of the journal-backed sender with ``producer_id``."""
    return f"reliable-sender/{producer_id}"


class JournaledSender(ReliableSender):
    """``ReliableSender`` with its outbox in a journal; spawn it with ``spawn_reliable_sender``.

    ``tell`` it payloads as usual; ``ask`` it a payload to learn when it is
    safely in the journal (the reply, ``None``, comes after the append). A
    payload whose append fails raises ``JournalError`` in the sender (it
    fails; its supervisor decides) and, to an ``ask``, in the caller: that
    payload was not accepted.

    Raises (in its handler): the errors of ``ReliableSender``, and those of
    the journal (``JournalError``, ``PersistenceConflict`` if two live
    senders share a ``producer_id``).
    """

    def __init__(
        self,
        target: ActorRef,
        policy: RetryPolicy,
        outbox: Outbox,
        journal: Journal,
        snapshot_every: int,
    ) -> None:
        super().__init__(target, policy, outbox)
        self.journal = journal
        self.snapshot_every = snapshot_every
        self.persistence_id = sender_persistence_id(outbox.producer_id)
        self.journal_seq = 0
        self.snapshot_seq = 0
        self.accepted = 0
        self.stored_confirmed = 0

    async def on_start(self) -> None:  # type: ignore[override]
        await self._recover()
        super().on_start()

    async def _recover(self) -> None:
        """Rebuild the outbox from the journal: every unconfirmed payload waits, in order."""
        from actors.persistence import PersistenceError  # noqa: PLC0415

        accepted = confirmed = 0
        queued: dict[int, Any] = {}
        start = 1
        snapshot = await self.journal.load_snapshot(self.persistence_id)
        if snapshot is not None:
            folded: OutboxSnapshot = snapshot.snapshot
            accepted, confirmed = folded.accepted, folded.confirmed
            queued = {confirmed + 1 + index: p for index, p in enumerate(folded.unconfirmed)}
            start = self.snapshot_seq = snapshot.sequence_number
            start += 1
        records = self.journal.replay(self.persistence_id, from_sequence_number=start)
        async with aclosing(records):
            async for record in records:
                match record.event:
                    case MessageQueued(seq, payload):
                        accepted = seq
                        queued[seq] = payload
                    case MessagesConfirmed(seq):
                        for done in range(confirmed + 1, seq + 1):
                            queued.pop(done, None)
                        confirmed = max(confirmed, seq)
                    case other:
                        raise PersistenceError(
                            f"{self.persistence_id!r} #{record.sequence_number} holds a "
                            f"{type(other).__name__}, not a sender's record; give each "
                            "producer_id to one sender only"
                        )
        self.journal_seq = await self.journal.highest_sequence_number(self.persistence_id)
        self.accepted = accepted
        self.stored_confirmed = confirmed
        outbox = self.outbox
        outbox.pending.clear()
        outbox.waiting.clear()
        outbox.waiting.extend(queued[seq] for seq in sorted(queued))
        outbox.next_seq = confirmed + 1
        outbox.acked = confirmed
        outbox.stalled = False
        if accepted or confirmed:
            logger.info(
                "%s recovered producer %s: %d accepted, %d confirmed, %d to deliver",
                self.context.path,
                outbox.producer_id,
                accepted,
                confirmed,
                len(queued),
                extra={"actor": self.context.path},
            )

    async def receive(self, message: Any) -> Any:
        outbox = self.outbox
        match message:
            case Ack() | _RetryDue():
                super().receive(message)  # an unknown Ack raises here, before any write
                if outbox.acked - self.stored_confirmed >= CONFIRM_EVERY or (
                    outbox.acked > self.stored_confirmed and not outbox.pending
                ):
                    await self._append(MessagesConfirmed(outbox.acked))
                    self.stored_confirmed = outbox.acked
                result = None
            case GetDeliveryStatistics() | WaitUntilDelivered():
                return super().receive(message)
            case _:
                await self._append(MessageQueued(self.accepted + 1, message))
                self.accepted += 1
                result = super().receive(message)
        if self.journal_seq - self.snapshot_seq >= self.snapshot_every:
            await self._snapshot()
        return result

    async def _append(self, event: object) -> None:
        await self.journal.append(
            self.persistence_id, [event], expected_sequence_number=self.journal_seq
        )
        self.journal_seq += 1

    async def _snapshot(self) -> None:
        """Fold the journal into one snapshot and delete the entries it covers."""
        outbox = self.outbox
        unconfirmed = tuple(pending.payload for pending in outbox.pending) + tuple(outbox.waiting)
        folded = OutboxSnapshot(
            accepted=self.accepted, confirmed=outbox.acked, unconfirmed=unconfirmed
        )
        await self.journal.save_snapshot(self.persistence_id, self.journal_seq, folded, keep=1)
        await self.journal.delete_events(self.persistence_id, to_sequence_number=self.journal_seq)
        self.snapshot_seq = self.journal_seq
        self.stored_confirmed = outbox.acked
