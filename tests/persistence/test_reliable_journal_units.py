"""Journal-backed reliable delivery within one process, on ``InMemoryJournal``.

A new ``ActorSystem`` on the same journal stands for a restarted process; the
kill-and-restart test with real processes is ``test_reliable_on_journal.py``.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from actors import Actor, ActorSystem
from actors.persistence import InMemoryJournal, PersistenceError
from actors.reliable import (
    Ack,
    DedupWindow,
    Delivery,
    GetDeliveryStatistics,
    InvalidSetting,
    Outbox,
    RetryPolicy,
    WaitUntilDelivered,
    sender_persistence_id,
    spawn_reliable_sender,
)
from supervision import Backoff
from tests.persistence.reliable_node import Booked, GetBooked, Order, registry
from tests.persistence.reliable_node import Ledger as Books

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(backoff=Backoff(min=0.02, max=0.2), max_attempts=1000)


def _journal() -> InMemoryJournal:
    return InMemoryJournal(registry=registry())


class Silent(Actor):
    """Takes deliveries and never acknowledges them: everything stays unconfirmed."""

    def receive(self, message: Any) -> Any:
        return None


async def test_a_sender_in_a_new_system_delivers_what_was_never_confirmed() -> None:
    journal = _journal()
    async with ActorSystem("first") as system:
        silent = system.spawn(Silent)
        sender = spawn_reliable_sender(
            system, silent, journal=journal, producer_id="orders", snapshot_every=3, policy=FAST
        )
        for number in range(1, 8):
            await sender.ask(Order(number))  # answered once the payload is in the journal
    async with ActorSystem("second") as system:
        window = DedupWindow.in_journal(journal, "books", snapshot_every=2)
        books = system.spawn(Books, window)
        sender = spawn_reliable_sender(
            system, books, journal=journal, producer_id="orders", snapshot_every=3, policy=FAST
        )
        await sender.ask(Order(8))
        statistics = await sender.ask(WaitUntilDelivered(), timeout=10)
        assert statistics.sent == 8
        assert await books.ask(GetBooked()) == list(range(1, 9))
    # Snapshots folded the journals: both recover from a snapshot and few events.
    assert await journal.load_snapshot(sender_persistence_id("orders")) is not None
    assert await journal.load_snapshot("books") is not None
    async with ActorSystem("third") as system:
        books = system.spawn(Books, DedupWindow.in_journal(journal, "books", snapshot_every=2))
        sender = spawn_reliable_sender(system, books, journal=journal, producer_id="orders")
        assert (await sender.ask(GetDeliveryStatistics())).sent == 8
        assert (await sender.ask(WaitUntilDelivered(), timeout=10)).pending == 0
        assert await books.ask(GetBooked()) == list(range(1, 9))


async def test_a_receiver_in_a_new_system_drops_what_it_had_handled() -> None:
    journal = _journal()
    async with ActorSystem("first") as system:
        books = system.spawn(Books, DedupWindow.in_journal(journal, "books"))
        probe_acks: list[Ack] = []

        class Collect(Actor):
            def receive(self, message: Any) -> Any:
                probe_acks.append(message)

        reply_to = system.spawn(Collect)
        for seq in (1, 2):
            delivery = Delivery(
                producer_id="p", seq=seq, payload=Order(seq), floor=1, reply_to=reply_to
            )
            await books.ask(delivery)
    async with ActorSystem("second") as system:
        window = DedupWindow.in_journal(journal, "books")
        books = system.spawn(Books, window)
        reply_to = system.spawn(Collect)
        for seq in (1, 2, 3):  # 1 and 2 again, as a sender that never saw the acks would
            delivery = Delivery(
                producer_id="p", seq=seq, payload=Order(seq), floor=1, reply_to=reply_to
            )
            await books.ask(delivery)
        assert await books.ask(GetBooked()) == [1, 2, 3]
        assert (window.duplicates, window.handled) == (2, 1)


async def test_record_outside_a_handler_or_without_a_journal_is_a_clear_error() -> None:
    class Careless(Books):
        def receive_other(self, message: Any) -> Any:
            self.record(Booked(0))

    async with ActorSystem("test") as system:
        with_journal = system.spawn(Careless, DedupWindow.in_journal(_journal(), "books"))
        with pytest.raises(
            InvalidSetting,
            match=r"^Careless\.record\(\) was called outside handle\(\); record events while handling a delivery$",
        ):
            await with_journal.ask("not a delivery")
        in_memory = system.spawn(Careless, DedupWindow())
        with pytest.raises(
            InvalidSetting,
            match=r"^Careless\.record\(\) keeps events in the window's journal, and this DedupWindow has none; create it with DedupWindow\.in_journal\(journal, id\)$",
        ):
            await in_memory.ask("not a delivery")


async def test_an_apply_that_fails_in_recovery_names_the_id_and_the_number() -> None:
    journal = _journal()
    async with ActorSystem("first") as system:
        books = system.spawn(Books, DedupWindow.in_journal(journal, "books"))
        reply_to = system.spawn(Silent)
        delivery = Delivery(producer_id="p", seq=1, payload=Order(1), floor=1, reply_to=reply_to)
        await books.ask(delivery)

    class Broken(Books):
        def apply(self, event: Any) -> None:
            raise ValueError("no")

    async with ActorSystem("second") as system:
        broken = system.spawn(Broken, DedupWindow.in_journal(journal, "books"))
        with pytest.raises(
            PersistenceError,
            match=r"^Broken\.apply raised ValueError on an event of 'books' #1 during recovery; fix apply \(nothing is skipped\)$",
        ):
            await broken.ask(GetBooked())


async def test_bad_journal_settings_fail_where_they_are_made() -> None:
    journal = _journal()
    async with ActorSystem("test") as system:
        target = system.spawn(Silent)
        with pytest.raises(
            InvalidSetting,
            match=r"^a journal-backed sender needs producer_id= \(got None\); give a name that stays the same across restarts of the process, such as 'orders-to-ledger'$",
        ):
            spawn_reliable_sender(system, target, journal=journal)
        with pytest.raises(
            InvalidSetting,
            match=r"^a journal-backed sender keeps its outbox in the journal \(got outbox= as well\); pass journal= or outbox=, not both$",
        ):
            spawn_reliable_sender(system, target, journal=journal, producer_id="p", outbox=Outbox())
        with pytest.raises(
            InvalidSetting, match=r"^snapshot_every must be a whole number >= 1 \(got 0\)$"
        ):
            spawn_reliable_sender(
                system, target, journal=journal, producer_id="p", snapshot_every=0
            )
        with pytest.raises(
            InvalidSetting,
            match=r"^a journal-backed DedupWindow needs a persistence_id \(got ''\); name it after its receiver, such as 'ledger-inbox'$",
        ):
            DedupWindow.in_journal(journal, "")
    await anyio.lowlevel.checkpoint()
