"""The blocking PostgreSQL layer of ``PostgresJournal``, against a real server.

What the journal conformance suite cannot see from outside: how one batch
(one transaction) mixes winning and losing writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.persistence._postgres_store import PostgresStore
from actors.persistence._postgres_writes import Append, StateSave


@pytest.fixture
def store(postgres_conninfo: str) -> Iterator[PostgresStore]:
    store = PostgresStore(
        postgres_conninfo,
        table_prefix="anyactors_",
        pool_size=4,
        connect_timeout=10.0,
        synchronous_commit=None,
    )
    store.open()
    try:
        yield store
    finally:
        store.close()


def test_a_losing_write_in_a_batch_leaves_no_row_and_the_others_commit(
    store: PostgresStore,
) -> None:
    assert store.commit_batch([Append("a", 0, (b"a1", b"a2"))]) == [True]
    outcome = store.commit_batch(
        [
            Append("b", 0, (b"b1",)),
            Append("a", 1, (b"stale-2", b"stale-3", b"stale-4")),  # 2 is taken
            Append("c", 5, (b"gap",)),  # c has no 5: a gap
            Append("b", 0, (b"b1-again",)),  # the same key earlier in this batch
            Append("a", 2, (b"a3",)),
        ]
    )
    assert outcome == [True, False, False, False, True]
    assert store.replay_after("a", 0, 100) == [(1, b"a1"), (2, b"a2"), (3, b"a3")]
    assert store.replay_after("b", 0, 100) == [(1, b"b1")]
    assert store.replay_after("c", 0, 100) == []


def test_concurrent_batches_from_many_threads_have_one_winner_per_key(
    store: PostgresStore,
) -> None:
    def contend(writer: int) -> list[bool]:
        # Every writer tries every id at the same sequence numbers, in its own order.
        ids = [f"id-{number}" for number in range(10)]
        ids = ids[writer % 10 :] + ids[: writer % 10]
        return store.commit_batch(
            [Append(pid, 0, (f"{writer}".encode(), b"second")) for pid in ids]
        )

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(contend, range(16)))
    assert sum(map(sum, outcomes)) == 10  # exactly one winner for each id
    for number in range(10):
        rows = store.replay_after(f"id-{number}", 0, 100)
        assert [sequence for sequence, _ in rows] == [1, 2]
        assert rows[1][1] == b"second"


def test_a_state_revision_is_saved_only_as_exactly_one_more(store: PostgresStore) -> None:
    assert store.commit_batch([StateSave("s", 1, b"one"), StateSave("s", 1, b"also one")]) == [
        True,
        False,
    ]
    assert store.commit_batch([StateSave("s", 3, b"three"), StateSave("s", 2, b"two")]) == [
        False,
        True,
    ]
    assert store.load_state("s") == (2, b"two")


def _second_store(conninfo: str) -> PostgresStore:
    """Another process's writer on the same tables (its own pool, its own knowledge)."""
    other = PostgresStore(
        conninfo,
        table_prefix="anyactors_",
        pool_size=2,
        connect_timeout=10.0,
        synchronous_commit=None,
    )
    other.open()
    return other


@pytest.fixture
def second_writer(postgres_conninfo: str) -> Iterator[PostgresStore]:
    other = _second_store(postgres_conninfo)
    try:
        yield other
    finally:
        other.close()


def test_a_batch_of_appends_continuing_known_numbers_is_one_statement(
    store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert store.commit_batch([Append("a", 0, (b"a1",)), Append("b", 0, (b"b1",))]) == [True, True]
    assert store.highest_sequence_number("c") == 0  # a read teaches the number too

    def general_path(writes: object) -> list[bool]:
        raise AssertionError("the batch took the general path")

    monkeypatch.setattr(store, "_commit_general", general_path)
    outcome = store.commit_batch(
        [Append("a", 1, (b"a2", b"a3")), Append("b", 1, (b"b2",)), Append("c", 0, (b"c1",))]
    )
    assert outcome == [True, True, True]
    assert store.replay_after("a", 0, 100) == [(1, b"a1"), (2, b"a2"), (3, b"a3")]
    assert store.replay_after("c", 0, 100) == [(1, b"c1")]


def _knowing_a_and_b(store: PostgresStore) -> None:
    """Write "a" 1 and "b" 1 through ``store``, which then knows both numbers."""
    assert store.commit_batch([Append("a", 0, (b"a1",)), Append("b", 0, (b"b1",))]) == [True] * 2


def test_a_known_number_another_writer_took_is_refused_and_nothing_of_the_batch_is_lost(
    store: PostgresStore, second_writer: PostgresStore
) -> None:
    _knowing_a_and_b(store)
    # Another process's writer of "a" moves past what this store knows.
    assert second_writer.commit_batch([Append("a", 1, (b"theirs-2",))]) == [True]
    outcome = store.commit_batch([Append("a", 1, (b"stale-2",)), Append("b", 1, (b"b2",))])
    assert outcome == [False, True]
    assert store.replay_after("a", 0, 100) == [(1, b"a1"), (2, b"theirs-2")]
    assert store.replay_after("b", 0, 100) == [(1, b"b1"), (2, b"b2")]


def test_a_known_number_whose_successors_were_deleted_is_refused(
    store: PostgresStore, second_writer: PostgresStore
) -> None:
    _knowing_a_and_b(store)
    # Another writer appends 2 and 3 and deletes up to 3: number 2 is free again.
    assert second_writer.commit_batch([Append("a", 1, (b"theirs-2", b"theirs-3"))]) == [True]
    second_writer.delete_up_to("a", 3)
    outcome = store.commit_batch([Append("a", 1, (b"stale-2",)), Append("b", 1, (b"b2",))])
    assert outcome == [False, True]
    assert store.replay_after("a", 0, 100) == []  # no number reused after a deletion
    assert store.highest_sequence_number("a") == 3


_step = st.one_of(
    # A batch from writer 0 or 1: distinct ids, each expecting the highest number
    # plus a small offset (0 is right; below is a stale writer, above a gap).
    st.tuples(
        st.just("append"),
        st.integers(0, 1),
        st.dictionaries(st.sampled_from("xyz"), st.sampled_from([-2, -1, 0, 0, 0, 1]), min_size=1),
    ),
    st.tuples(st.just("read"), st.integers(0, 1), st.sampled_from("xyz")),
    st.tuples(st.just("delete"), st.integers(0, 1), st.sampled_from("xyz")),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(_step, max_size=10))
def test_two_writers_with_and_without_known_numbers_agree_with_the_model(
    store: PostgresStore, second_writer: PostgresStore, steps: list[tuple[object, ...]]
) -> None:
    """An append takes effect exactly when it expects the highest number, whatever either knew."""
    prefix = uuid.uuid4().hex[:8]  # the tables outlive one example: fresh ids for each
    writers = [store, second_writer]
    highest = dict.fromkeys("xyz", 0)
    deleted = dict.fromkeys("xyz", 0)
    stored: dict[str, dict[int, bytes]] = {name: {} for name in "xyz"}
    for number, step in enumerate(steps):
        kind, writer = step[0], writers[cast(int, step[1])]
        if kind == "read":
            name = cast(str, step[2])
            assert writer.highest_sequence_number(prefix + name) == highest[name]
        elif kind == "delete":
            name = cast(str, step[2])
            writer.delete_up_to(prefix + name, highest[name])
            deleted[name] = highest[name]
            stored[name].clear()
        else:
            offsets = cast(dict[str, int], step[2])
            batch = [
                Append(prefix + name, max(0, highest[name] + offset), (f"{number}".encode(),))
                for name, offset in offsets.items()
            ]
            expected_outcome = [
                write.expected == highest[write.persistence_id[-1]] for write in batch
            ]
            assert writer.commit_batch(batch) == expected_outcome
            for write, took in zip(batch, expected_outcome, strict=True):
                if took:
                    name = write.persistence_id[-1]
                    highest[name] += 1
                    stored[name][highest[name]] = write.payloads[0]
    for name in "xyz":
        assert store.replay_after(prefix + name, 0, 100) == sorted(stored[name].items())
        assert max(highest[name], deleted[name]) == store.highest_sequence_number(prefix + name)
