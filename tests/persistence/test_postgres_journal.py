"""What is particular to ``PostgresJournal``, against a real server (the rest: the conformance suite).

Outages raise ``JournalError`` (never a hang) and the journal recovers by
itself when the server is back; concurrent appends from many actors share
transactions; closing and using it again opens a new pool; bad settings fail
where they are made.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import ClassVar

import anyio
import psycopg
import pytest
from attrs import frozen

from actors import ActorFailed, ActorStopped, ActorSystem, Supervisor
from actors.persistence import JournalError, PersistenceConflict, PostgresJournal, RecoveryFailed
from actors.persistence.testing import PostgresServer
from actors.serialization import MessageRegistry, ValueCodec
from supervision import Backoff, OneForOne, child
from tests.actors.probe import Inbox, Recorder
from tests.persistence.accounts import Account, Add
from tests.persistence.events import Added
from tests.persistence.events import registry as events_registry
from tests.persistence.postgres_server import create_database, start_test_server

pytestmark = pytest.mark.anyio


@frozen
class Deposited:
    amount: int


def _registry() -> MessageRegistry:
    registry = MessageRegistry()
    registry.register(Deposited, tag="test.Deposited")
    return registry


@pytest.fixture(scope="module")
def outage_server() -> Iterator[PostgresServer]:
    """A server of this module's own, which the tests stop and start."""
    server, folder = start_test_server("anyactors-pg-outage-")
    try:
        yield server
    finally:
        server.kill()
        shutil.rmtree(folder, ignore_errors=True)


async def _events(journal: PostgresJournal, persistence_id: str) -> list[int]:
    return [record.event.amount async for record in journal.replay(persistence_id)]


async def test_an_outage_raises_journal_error_and_the_journal_recovers_by_itself(
    outage_server: PostgresServer,
) -> None:
    journal = PostgresJournal(
        create_database(outage_server), registry=_registry(), connect_timeout=1.0
    )
    try:
        await journal.append("ada", [Deposited(1)], expected_sequence_number=0)
        outage_server.stop()
        with pytest.raises(
            JournalError,
            match=r"^the PostgreSQL journal failed \(.*\); a write may or may not have been stored; check that the server is up and reachable$",
        ):
            await journal.append("ada", [Deposited(2)], expected_sequence_number=1)
        with pytest.raises(JournalError):
            await journal.highest_sequence_number("ada")
        with pytest.raises(JournalError):
            [record async for record in journal.replay("ada")]
        outage_server.start()
        # The pool reconnects in the background; each try fails within connect_timeout.
        with anyio.fail_after(30):
            while True:
                try:
                    await journal.append("ada", [Deposited(2)], expected_sequence_number=1)
                    break
                except JournalError:
                    continue
        assert await _events(journal, "ada") == [1, 2]
    finally:
        if not outage_server.is_running():
            outage_server.start()
        await journal.close()


async def test_a_journal_whose_server_is_down_at_start_raises_journal_error(
    outage_server: PostgresServer,
) -> None:
    journal = PostgresJournal(
        create_database(outage_server), registry=_registry(), connect_timeout=1.0
    )
    outage_server.stop()
    try:
        with anyio.fail_after(20), pytest.raises(JournalError):
            await journal.append("ada", [Deposited(1)], expected_sequence_number=0)
    finally:
        outage_server.start()
        await journal.close()


async def test_many_actors_appending_at_once_share_transactions(postgres_conninfo: str) -> None:
    journal = PostgresJournal(postgres_conninfo, registry=_registry())
    try:

        async def account(number: int) -> None:
            for amount in range(1, 6):
                await journal.append(
                    f"account-{number}", [Deposited(amount)], expected_sequence_number=amount - 1
                )

        async with anyio.create_task_group() as tasks:
            for number in range(200):
                tasks.start_soon(account, number)
        for number in (0, 99, 199):
            assert await _events(journal, f"account-{number}") == [1, 2, 3, 4, 5]
        statistics = journal.statistics()
        assert statistics.writes == 1000
        assert statistics.transactions < 1000 / 2  # most transactions carried several writes
    finally:
        await journal.close()


async def test_a_closed_journal_opens_again_on_next_use(postgres_conninfo: str) -> None:
    journal = PostgresJournal(postgres_conninfo, registry=_registry())
    await journal.append("ada", [Deposited(1)], expected_sequence_number=0)
    await journal.close()
    await journal.close()
    try:
        with pytest.raises(PersistenceConflict):
            await journal.append("ada", [Deposited(1)], expected_sequence_number=0)
        assert await journal.highest_sequence_number("ada") == 1
    finally:
        await journal.close()


def test_bad_settings_fail_where_they_are_made() -> None:
    registry = _registry()
    with pytest.raises(ValueError, match=r"^pool_size must be a whole number >= 1 \(got 0\)$"):
        PostgresJournal("", registry=registry, pool_size=0)
    with pytest.raises(
        ValueError, match=r"^connect_timeout must be a number of seconds > 0 \(got -1\)$"
    ):
        PostgresJournal("", registry=registry, connect_timeout=-1)
    with pytest.raises(
        ValueError, match=r"^synchronous_commit must be None, 'on', .* \(got 'sometimes'\)$"
    ):
        PostgresJournal("", registry=registry, synchronous_commit="sometimes")  # type: ignore[arg-type]
    with pytest.raises(
        ValueError,
        match=r"^table_prefix must be letters, digits and underscores, not starting with a digit \(got 'x; drop'\)$",
    ):
        PostgresJournal("", registry=registry, table_prefix="x; drop")
    with pytest.raises(
        TypeError, match=r"^registry must be an actors\.persistence\.MessageRegistry \(got \{\}\)"
    ):
        PostgresJournal("", registry={})  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"^conninfo must be a libpq connection string such as .* \(got None\)$"
    ):
        PostgresJournal(None, registry=registry)  # type: ignore[arg-type]


class _Ledger(Supervisor):
    strategy = OneForOne(max_restarts=1000, within=60.0, backoff=Backoff(min=0.05, max=0.5))
    children: ClassVar = [child(Account, name="ada")]


async def test_an_actor_rides_out_a_database_outage_under_a_backoff_supervisor(
    outage_server: PostgresServer,
) -> None:
    journal = PostgresJournal(
        create_database(outage_server), registry=events_registry(), connect_timeout=1.0
    )
    async with ActorSystem("bank", journal=journal) as system:
        system.spawn(_Ledger, name="ledger")
        ada = system.lookup("/user/ledger/ada")
        assert ada is not None
        assert await ada.ask(Add(5)) == 5
        outage_server.stop()
        try:
            with pytest.raises(JournalError, match=r"^the PostgreSQL journal failed"):
                await ada.ask(Add(1))
        finally:
            outage_server.start()
        # Restarted with backoff, each restart recovering again: once the
        # database is back, ada has her acknowledged state and takes more.
        with anyio.fail_after(30):
            while True:
                current = system.lookup("/user/ledger/ada")
                try:
                    if current is not None and await current.ask("total", timeout=2) == 5:
                        break
                except (JournalError, TimeoutError, ActorStopped):
                    continue  # still restarting, or recovery failed once more
        assert await current.ask(Add(1)) == 6


async def test_an_actor_recovers_by_chunks_and_a_corrupt_row_is_named(
    postgres_conninfo: str,
) -> None:
    journal = PostgresJournal(postgres_conninfo, registry=events_registry(), replay_chunk=3)
    try:
        amounts = list(range(1, 11))  # four chunks: 3 + 3 + 3 + 1
        await journal.append("/user/ada", [Added(n) for n in amounts], expected_sequence_number=0)
        async with ActorSystem("bank", journal=journal) as system:
            log: list[object] = []
            ada = system.spawn(Account, log, name="ada")
            assert await ada.ask("total") == sum(amounts)
            assert [entry for entry in log if entry[0] == "apply"] == [  # type: ignore[index]
                ("apply", Added(n)) for n in amounts
            ]
            assert ("recovered", sum(amounts), 10) in log
        with psycopg.connect(postgres_conninfo, autocommit=True) as raw:
            raw.execute(
                "UPDATE anyactors_events SET payload = '\\xc1'::bytea "
                "WHERE persistence_id = '/user/ada' AND sequence_number = 8"
            )
        async with ActorSystem("bank", journal=journal) as system:
            failures = Inbox()
            system.event_stream.subscribe(system.spawn(Recorder, failures), ActorFailed)
            system.spawn(Account, name="ada", restart="temporary")
            [failure] = await failures.wait_for(1)
            assert not isinstance(failure.error, RecoveryFailed)
            assert isinstance(failure.error, JournalError)
            assert str(failure.error).startswith(
                "the stored event 8 of '/user/ada' in PostgreSQL (anyactors_* tables) "
                "cannot be decoded"
            )
    finally:
        await journal.close()


async def test_a_lone_append_whose_numbers_are_partly_taken_leaves_no_row(
    postgres_conninfo: str,
) -> None:
    # One write alone takes the single-write statement; another process has
    # already stored its third number, so it must store none of the three.
    journal = PostgresJournal(postgres_conninfo, registry=_registry())
    try:
        await journal.append("lone", [Deposited(1)], expected_sequence_number=0)
        payload = ValueCodec(_registry()).encode(Deposited(99))
        with psycopg.connect(postgres_conninfo, autocommit=True) as raw:
            raw.execute("INSERT INTO anyactors_events VALUES ('lone', 4, %s)", (payload,))
        with pytest.raises(PersistenceConflict):
            await journal.append(
                "lone", [Deposited(2), Deposited(3), Deposited(4)], expected_sequence_number=1
            )
        assert await _events(journal, "lone") == [1, 99]
        # A gap (expected 5 while 4 is the highest) is refused as well.
        with pytest.raises(PersistenceConflict):
            await journal.append("lone", [Deposited(6)], expected_sequence_number=5)
        await journal.append("lone", [Deposited(5)], expected_sequence_number=4)
        assert await _events(journal, "lone") == [1, 99, 5]
    finally:
        await journal.close()
