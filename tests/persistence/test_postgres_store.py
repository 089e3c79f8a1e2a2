"""The blocking PostgreSQL layer of ``PostgresJournal``, against a real server.

What the journal conformance suite cannot see from outside: how one batch
(one transaction) mixes winning and losing writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from actors.persistence._postgres_store import Append, PostgresStore, StateSave


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
