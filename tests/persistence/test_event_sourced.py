"""EventSourcedActor: persist, recovery before the first message, restarts, snapshots, conflicts."""

from __future__ import annotations

from contextlib import aclosing
from typing import Any, ClassVar

import anyio
import pytest

from actors import ActorFailed, ActorSystem, Supervisor, Terminated
from actors.persistence import (
    EventSourcedActor,
    InMemoryJournal,
    Journal,
    PersistenceConflict,
    PersistenceError,
    RecoveryFailed,
)
from actors.serialization import UnregisteredType
from supervision import Backoff, OneForOne, child
from tests.actors.probe import Inbox, Recorder
from tests.persistence.accounts import Account, Add, Crash, SnapshottingAccount
from tests.persistence.conftest import JournalFactory
from tests.persistence.events import Added, Total, Unregistered, registry

pytestmark = pytest.mark.anyio


async def stored(journal: Journal, persistence_id: str) -> list[Any]:
    async with aclosing(journal.replay(persistence_id)) as records:
        return [record.event async for record in records]


async def test_state_survives_the_system_and_a_restart(journal_factory: JournalFactory) -> None:
    async with ActorSystem("bank", journal=journal_factory(registry())) as system:
        ada = system.spawn(Account, name="ada")
        for amount in (10, 20, 30):
            await ada.ask(Add(amount))
        with pytest.raises(RuntimeError, match="crash"):
            await ada.ask(Crash())
        assert await ada.ask("total") == 60  # the restarted instance recovered
    async with ActorSystem("bank", journal=journal_factory(registry())) as system:
        log: list[Any] = []
        ada = system.spawn(Account, log, name="ada")
        assert await ada.ask("total") == 60
        assert log[-2:] == [("recovered", 60, 3), ("handled", "total", 60)]
        assert await ada.ask(Add(1)) == 61
        journal = system.journal
        assert await stored(journal, "/user/ada") == [Added(10), Added(20), Added(30), Added(1)]


async def test_messages_sent_during_recovery_wait_in_order(journal_factory: JournalFactory) -> None:
    journal = journal_factory(registry())
    await journal.append("/user/ada", [Added(n) for n in range(1, 201)], expected_sequence_number=0)
    async with ActorSystem("bank", journal=journal) as system:
        log: list[Any] = []
        ada = system.spawn(Account, log, name="ada")
        for tag in range(5):
            ada.tell(("total", tag))
        assert await ada.ask("total") == sum(range(1, 201))
        applied = [entry for entry in log if entry[0] == "apply"]
        assert len(applied) == 200
        rest = log[len(applied) :]
        assert rest[0] == ("recovered", sum(range(1, 201)), 200)
        assert rest[1:] == [("handled", tag, sum(range(1, 201))) for tag in range(5)] + [
            ("handled", "total", sum(range(1, 201)))
        ]


async def test_persist_is_atomic_then_applies_in_order_then_returns(
    journal_factory: JournalFactory,
) -> None:
    async with ActorSystem("bank", journal=journal_factory(registry())) as system:
        inbox = Inbox()
        sink = system.spawn(Recorder, inbox)
        ada = system.spawn(Account, name="ada")
        assert await ada.ask(("persist many", [1, 2, 3])) == 6
        await ada.ask(("tell after persist", 4, sink))
        assert await inbox.wait_for(1) == [10]
        assert await stored(system.journal, "/user/ada") == [Added(1), Added(2), Added(3), Added(4)]


async def test_snapshots_every_n_events_keep_the_latest_and_speed_up_recovery(
    journal_factory: JournalFactory,
) -> None:
    async with ActorSystem("bank", journal=journal_factory(registry())) as system:
        ada = system.spawn(SnapshottingAccount, name="ada")
        for amount in range(1, 11):
            await ada.ask(Add(amount))
        journal = system.journal
        latest = await journal.load_snapshot("/user/ada")
        assert latest is not None
        assert (latest.sequence_number, latest.snapshot) == (9, Total(45, 9))
        assert await journal.load_snapshot("/user/ada", max_sequence_number=5) is None  # 3 dropped
    async with ActorSystem("bank", journal=journal_factory(registry())) as system:
        log: list[Any] = []
        ada = system.spawn(SnapshottingAccount, log, name="ada")
        assert await ada.ask("total") == 55
        assert log[:3] == [("restore", Total(45, 9)), ("apply", Added(10)), ("recovered", 55, 10)]


class Compacting(SnapshottingAccount):
    delete_events_on_snapshot = True


async def test_snapshots_can_delete_the_events_they_cover(journal_factory: JournalFactory) -> None:
    async with ActorSystem("bank", journal=journal_factory(registry())) as system:
        ada = system.spawn(Compacting, name="ada")
        for amount in range(1, 8):
            await ada.ask(Add(amount))
        assert await stored(system.journal, "/user/ada") == [Added(7)]
    async with ActorSystem("bank", journal=journal_factory(registry())) as system:
        ada = system.spawn(Compacting, name="ada")
        assert await ada.ask("total") == 28
        assert await ada.ask(Add(1)) == 29
        assert await system.journal.highest_sequence_number("/user/ada") == 8


class Named(Account):
    persistence_id = "the-ledger"


class NamedInInit(Account):
    def __init__(self, key: str) -> None:
        super().__init__()
        self.persistence_id = f"ledger-{key}"


async def test_the_persistence_id_can_be_a_class_attribute_or_set_in_init() -> None:
    journal = InMemoryJournal(registry=registry())
    async with ActorSystem("bank", journal=journal) as system:
        await system.spawn(Named, name="x").ask(Add(5))
        await system.spawn(NamedInInit, kwargs={"key": "k"}).ask(Add(7))
    assert await stored(journal, "the-ledger") == [Added(5)]
    assert await stored(journal, "ledger-k") == [Added(7)]
    async with ActorSystem("bank", journal=journal) as system:
        assert await system.spawn(Named, name="elsewhere").ask("total") == 5


async def test_spawning_without_a_journal_names_journal() -> None:
    async with ActorSystem("bank") as system:
        with pytest.raises(
            PersistenceError,
            match=r"^Account is an event-sourced actor, and actor system 'bank' has no journal; create it with ActorSystem\('bank', journal=SqliteJournal\('bank\.db', registry=registry\)\)$",
        ):
            system.spawn(Account)


async def test_an_unregistered_event_fails_at_persist_naming_the_registry(
    journal_factory: JournalFactory,
) -> None:
    class Careless(Account):
        async def receive(self, message: Any) -> Any:
            await self.persist(Unregistered(1))

    async with ActorSystem("bank", journal=journal_factory(registry())) as system:
        ref = system.spawn(Careless, name="careless")
        with pytest.raises(
            UnregisteredType,
            match=r"^tests\.persistence\.events\.Unregistered is not registered in the MessageRegistry; add it with registry\.register\(Unregistered\)$",
        ):
            await ref.ask("go")
        assert await system.journal.highest_sequence_number("/user/careless") == 0


class PersistsTooEarly(Account):
    async def on_recovered(self) -> None:  # type: ignore[override]
        await self.persist(Added(1))


async def test_persist_outside_a_handler_is_a_clear_error() -> None:
    async with ActorSystem("bank", journal=InMemoryJournal()) as system:
        failures = Inbox()
        system.event_stream.subscribe(system.spawn(Recorder, failures), ActorFailed)
        system.spawn(PersistsTooEarly, name="early", restart="temporary")
        [failure] = await failures.wait_for(1)
        assert isinstance(failure.error, PersistenceError)
        assert str(failure.error) == (
            "persist was called on /user/early before its recovery finished (in __init__, "
            "on_recovered or apply); call it from a message handler"
        )

        class Idle(Account):
            def on_recovered(self) -> None:
                holder.append(self)

        holder: list[Idle] = []
        ref = system.spawn(Idle)
        await ref.ask("total")
        with pytest.raises(
            PersistenceError,
            match=r"^persist was called on /user/\$\d+ outside a message handler; call it from receive",
        ):
            await holder[0].persist(Added(1))


async def test_an_apply_that_raises_in_recovery_fails_the_actor_naming_id_and_number(
    journal_factory: JournalFactory,
) -> None:
    journal = journal_factory(registry())
    await journal.append("/user/ada", [Added(1), Added(-5000)], expected_sequence_number=0)
    async with ActorSystem("bank", journal=journal) as system:
        failures = Inbox()
        system.event_stream.subscribe(system.spawn(Recorder, failures), ActorFailed)
        system.spawn(Account, name="ada", restart="temporary")
        [failure] = await failures.wait_for(1)
        assert isinstance(failure.error, RecoveryFailed)
        assert str(failure.error) == (
            "Account.apply raised ValueError: cannot apply -5000 on the event at sequence number 2 "
            "of '/user/ada'; fix apply (recovery never skips a stored event)"
        )
        assert isinstance(failure.error.__cause__, ValueError)


async def test_of_two_live_writers_the_stale_one_stops_and_the_journal_stays_whole(
    journal_factory: JournalFactory,
) -> None:
    async with ActorSystem("bank", journal=journal_factory(registry())) as system:
        first = system.spawn(Named, name="first", restart="permanent")
        second = system.spawn(Named, name="second", restart="permanent")
        assert await first.ask("total") == 0
        assert await second.ask("total") == 0
        inbox = Inbox()
        watcher = system.spawn(Recorder, inbox)
        await first.ask(Add(1))
        await first.ask(Add(2))
        system.spawn(_Watcher, second, watcher)
        with pytest.raises(
            PersistenceConflict,
            match=r"^an append of 'the-ledger' expected 0 but the journal holds 2: another live writer has this persistence_id",
        ):
            await second.ask(Add(100))
        assert await inbox.wait_for(1) == [Terminated(second)]  # stopped, not restarted
        assert await first.ask(Add(3)) == 6
        assert await stored(system.journal, "the-ledger") == [Added(1), Added(2), Added(3)]


class _Watcher(Account):
    persistence_id = "watcher"

    def __init__(self, target: Any, forward_to: Any) -> None:
        super().__init__()
        self.forward_to = forward_to
        self.context.watch(target)

    async def receive(self, message: Any) -> Any:
        self.forward_to.tell(message)


class Ledger(Supervisor):
    strategy = OneForOne(max_restarts=100, within=60.0, backoff=Backoff(min=0.01, max=0.05))
    children: ClassVar = [child(Account, name="ada")]


async def test_a_journal_outage_is_ridden_out_by_a_backoff_supervisor() -> None:
    journal = InMemoryJournal(registry=registry())
    async with ActorSystem("bank", journal=journal) as system:
        failures = Inbox()
        system.event_stream.subscribe(system.spawn(Recorder, failures), ActorFailed)
        ledger = system.spawn(Ledger, name="ledger")
        ada = ledger.path + "/ada"
        ref = system.lookup(ada)
        assert ref is not None
        assert await ref.ask(Add(5)) == 5
        journal.unavailable = True
        with pytest.raises(Exception, match=r"^the in-memory journal is unavailable"):
            await ref.ask(Add(1))
        await failures.wait_for(3)  # the persist, then recoveries that fail and back off
        journal.unavailable = False
        with anyio.fail_after(10):
            while True:
                current = system.lookup(ada)
                if current is not None:
                    try:
                        assert await current.ask("total", timeout=1) == 5
                        break
                    except Exception:  # still restarting
                        await anyio.sleep(0.01)
                else:
                    await anyio.sleep(0.01)
        assert await stored(journal, "/user/ledger/ada") == [Added(5)]


class Greeter(EventSourcedActor):
    def __init__(self) -> None:
        self.names: list[str] = []

    def apply(self, event: Any) -> None:
        self.names.append(event)

    async def on_start(self) -> None:
        self.started_with = list(self.names)

    async def receive(self, message: Any) -> Any:
        if message == "started with":
            return self.started_with
        await self.persist(message)
        return list(self.names)


async def test_a_subclass_on_start_runs_after_recovery_and_plain_values_are_events() -> None:
    journal = InMemoryJournal(registry=registry())
    async with ActorSystem("bank", journal=journal) as system:
        ref = system.spawn(Greeter, name="g")
        assert await ref.ask("ada") == ["ada"]
        assert await ref.ask("bob") == ["ada", "bob"]
    async with ActorSystem("bank", journal=journal) as system:
        assert await system.spawn(Greeter, name="g").ask("started with") == ["ada", "bob"]


def test_bad_class_settings_fail_at_the_class_statement() -> None:
    with pytest.raises(
        ValueError, match=r"^Bad\.snapshot_every must be a whole number >= 1 or None \(got 0\)$"
    ):

        class Bad(Account):
            snapshot_every = 0

    with pytest.raises(
        TypeError, match=r"^NoSnapshot sets snapshot_every, so it must define snapshot\(\)"
    ):

        class NoSnapshot(Account):
            snapshot_every = 10
