"""The journal conformance suite (in the manner of Akka's JournalSpec and SnapshotStoreSpec).

Every journal in ``conftest.JOURNALS`` must pass all of it, on both backends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager

import anyio
import pytest

from actors.persistence import (
    EventRecord,
    Journal,
    PersistenceConflict,
    SnapshotRecord,
    StateRecord,
)
from actors.serialization import UnregisteredType
from tests.persistence.conftest import JournalFactory
from tests.persistence.events import Added, Renamed, Total, Unregistered, registry

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def opened(factory: JournalFactory) -> AsyncIterator[Journal]:
    journal = factory(registry())
    try:
        yield journal
    finally:
        await journal.close()


async def events_of(journal: Journal, persistence_id: str, start: int = 1) -> list[EventRecord]:
    async with aclosing(journal.replay(persistence_id, from_sequence_number=start)) as records:
        return [record async for record in records]


async def test_replay_is_ordered_and_starts_where_asked(journal_factory: JournalFactory) -> None:
    async with opened(journal_factory) as journal:
        assert await events_of(journal, "a") == []
        await journal.append("a", [Added(1), Renamed("x")], expected_sequence_number=0)
        await journal.append("a", [Added(3)], expected_sequence_number=2)
        await journal.append("b", [Added(9)], expected_sequence_number=0)
        assert await events_of(journal, "a") == [
            EventRecord("a", 1, Added(1)),
            EventRecord("a", 2, Renamed("x")),
            EventRecord("a", 3, Added(3)),
        ]
        assert [r.sequence_number for r in await events_of(journal, "a", start=3)] == [3]
        assert await events_of(journal, "a", start=4) == []
        assert await journal.highest_sequence_number("a") == 3
        assert await journal.highest_sequence_number("nobody") == 0


async def test_what_was_appended_survives_reopening(journal_factory: JournalFactory) -> None:
    async with opened(journal_factory) as journal:
        await journal.append("a", [Added(1), Added(2)], expected_sequence_number=0)
        await journal.upsert_state("s", 1, Total(5))
        await journal.save_snapshot("a", 2, Total(3), keep=1)
    async with opened(journal_factory) as journal:
        assert [r.event for r in await events_of(journal, "a")] == [Added(1), Added(2)]
        assert await journal.load_state("s") == StateRecord("s", 1, Total(5))
        assert await journal.load_snapshot("a") == SnapshotRecord("a", 2, Total(3))


async def test_an_append_is_atomic_all_or_none(journal_factory: JournalFactory) -> None:
    async with opened(journal_factory) as journal:
        await journal.append("a", [Added(1)], expected_sequence_number=0)
        with pytest.raises(
            UnregisteredType,
            match=r"^tests\.persistence\.events\.Unregistered is not registered in the MessageRegistry",
        ):
            await journal.append("a", [Added(2), Unregistered(3)], expected_sequence_number=1)
        assert [r.event for r in await events_of(journal, "a")] == [Added(1)]
        assert await journal.highest_sequence_number("a") == 1


async def test_a_wrong_expected_sequence_number_is_a_conflict(
    journal_factory: JournalFactory,
) -> None:
    async with opened(journal_factory) as journal:
        await journal.append("a", [Added(1), Added(2)], expected_sequence_number=0)
        for expected in (0, 1, 3):
            with pytest.raises(
                PersistenceConflict,
                match=rf"^an append of 'a' expected {expected} but the journal holds 2: another live writer",
            ) as caught:
                await journal.append("a", [Added(9)], expected_sequence_number=expected)
            assert (caught.value.expected, caught.value.actual) == (expected, 2)
        assert [r.sequence_number for r in await events_of(journal, "a")] == [1, 2]


async def test_exactly_one_of_concurrent_appenders_wins(journal_factory: JournalFactory) -> None:
    async with opened(journal_factory) as journal:
        await journal.append("a", [Added(0)], expected_sequence_number=0)
        outcomes: list[str] = []

        async def write(writer: int) -> None:
            try:
                await journal.append(
                    "a", [Added(writer), Added(writer)], expected_sequence_number=1
                )
                outcomes.append(f"won {writer}")
            except PersistenceConflict:
                outcomes.append("conflict")

        async with anyio.create_task_group() as group:
            for writer in range(1, 11):
                group.start_soon(write, writer)
        winners = [o for o in outcomes if o.startswith("won")]
        assert len(winners) == 1
        assert outcomes.count("conflict") == 9
        winner = int(winners[0].split()[1])
        records = await events_of(journal, "a")
        assert [r.sequence_number for r in records] == [1, 2, 3]
        assert [r.event for r in records] == [Added(0), Added(winner), Added(winner)]


async def test_many_ids_at_once(journal_factory: JournalFactory) -> None:
    async with opened(journal_factory) as journal:

        async def writer(index: int) -> None:
            for n in range(10):
                await journal.append(
                    f"id-{index}", [Added(index * 100 + n)], expected_sequence_number=n
                )

        async with anyio.create_task_group() as group:
            for index in range(100):
                group.start_soon(writer, index)
        for index in range(100):
            records = await events_of(journal, f"id-{index}")
            assert [r.event for r in records] == [Added(index * 100 + n) for n in range(10)]
            assert [r.sequence_number for r in records] == list(range(1, 11))


async def test_delete_up_to_keeps_the_highest_sequence_number(
    journal_factory: JournalFactory,
) -> None:
    async with opened(journal_factory) as journal:
        await journal.append("a", [Added(n) for n in range(5)], expected_sequence_number=0)
        await journal.delete_events("a", to_sequence_number=3)
        assert [r.sequence_number for r in await events_of(journal, "a")] == [4, 5]
        await journal.delete_events("a", to_sequence_number=5)
        assert await events_of(journal, "a") == []
        assert await journal.highest_sequence_number("a") == 5
        with pytest.raises(PersistenceConflict):
            await journal.append("a", [Added(6)], expected_sequence_number=0)
        await journal.append("a", [Added(6)], expected_sequence_number=5)
        assert await events_of(journal, "a") == [EventRecord("a", 6, Added(6))]


async def test_snapshots_load_the_latest_and_keep_the_latest_n(
    journal_factory: JournalFactory,
) -> None:
    async with opened(journal_factory) as journal:
        assert await journal.load_snapshot("a") is None
        for number in (10, 20, 30, 40):
            await journal.save_snapshot("a", number, Total(number, number // 10), keep=2)
        assert await journal.load_snapshot("a") == SnapshotRecord("a", 40, Total(40, 4))
        assert await journal.load_snapshot("a", max_sequence_number=39) == SnapshotRecord(
            "a", 30, Total(30, 3)
        )
        assert (
            await journal.load_snapshot("a", max_sequence_number=29) is None
        )  # 10 and 20 are gone
        await journal.save_snapshot("a", 40, Total(41), keep=2)  # the same number replaces
        assert await journal.load_snapshot("a") == SnapshotRecord("a", 40, Total(41))
        assert await journal.load_snapshot("b") is None


async def test_durable_state_takes_exactly_the_next_revision(
    journal_factory: JournalFactory,
) -> None:
    async with opened(journal_factory) as journal:
        assert await journal.load_state("s") is None
        with pytest.raises(
            PersistenceConflict, match=r"^a state save of 's' expected 1 but the journal holds 0"
        ):
            await journal.upsert_state("s", 2, Total(1))
        await journal.upsert_state("s", 1, Total(1))
        with pytest.raises(
            PersistenceConflict, match=r"^a state save of 's' expected 0 but the journal holds 1"
        ):
            await journal.upsert_state("s", 1, Total(2))
        await journal.upsert_state("s", 2, Total(2))
        assert await journal.load_state("s") == StateRecord("s", 2, Total(2))
        outcomes: list[bool] = []

        async def save(value: int) -> None:
            try:
                await journal.upsert_state("s", 3, Total(value))
                outcomes.append(True)
            except PersistenceConflict:
                outcomes.append(False)

        async with anyio.create_task_group() as group:
            for value in range(10):
                group.start_soon(save, value)
        assert sorted(outcomes) == [False] * 9 + [True]
        record = await journal.load_state("s")
        assert record is not None
        assert record.revision == 3


async def test_bad_arguments_are_refused_in_one_sentence(journal_factory: JournalFactory) -> None:
    async with opened(journal_factory) as journal:
        with pytest.raises(
            TypeError, match=r"^persistence_id must be a non-empty string \(got ''\)$"
        ):
            await journal.append("", [Added(1)], expected_sequence_number=0)
        with pytest.raises(
            ValueError, match=r"^expected_sequence_number must be a whole number >= 0 \(got -1\)$"
        ):
            await journal.append("a", [Added(1)], expected_sequence_number=-1)
        with pytest.raises(ValueError, match=r"^keep must be a whole number >= 1 \(got 0\)$"):
            await journal.save_snapshot("a", 1, Total(1), keep=0)
        with pytest.raises(ValueError, match=r"^revision must be a whole number >= 1 \(got 0\)$"):
            await journal.upsert_state("a", 0, Total(1))
        await journal.append("a", [], expected_sequence_number=0)  # nothing to store
        assert await journal.highest_sequence_number("a") == 0
