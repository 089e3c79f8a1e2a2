"""Group commit: concurrent writes share one commit; each returns only after its batch."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import anyio
import pytest
from anyio import wait_all_tasks_blocked
from hypothesis import given
from hypothesis import strategies as st

from actors.persistence._group_commit import GroupCommit

pytestmark = pytest.mark.anyio


class _Store:
    """A fake blocking commit: records batches; the first blocks until released."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.committed: set[int] = set()
        self.release = threading.Event()
        self.fail_with: Exception | None = None

    def commit(self, writes: Sequence[int]) -> list[bool]:
        if not self.batches:
            self.release.wait(timeout=30)
        self.batches.append(list(writes))
        if self.fail_with is not None:
            raise self.fail_with
        self.committed.update(writes)
        return [write % 2 == 0 for write in writes]


class _Translated(Exception):
    pass


def _group(store: _Store, max_batch: int = 1000) -> GroupCommit[int, bool]:
    return GroupCommit(store.commit, max_batch=max_batch, translate=_Translated)


async def test_writes_arriving_during_a_commit_share_the_next_one() -> None:
    store = _Store()
    group = _group(store)
    outcomes: dict[int, bool] = {}

    async def write(number: int) -> None:
        outcomes[number] = await group.submit(number)
        assert number in store.committed  # returns only after its batch committed

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(write, 0)
        await wait_all_tasks_blocked()
        for number in range(1, 51):
            tasks.start_soon(write, number)
        await wait_all_tasks_blocked()
        store.release.set()
    # trio starts tasks in any order: the batch holds them all, in arrival order.
    assert [sorted(batch) for batch in store.batches] == [[0], list(range(1, 51))]
    assert outcomes == {number: number % 2 == 0 for number in range(51)}
    assert (group.batches, group.writes) == (2, 51)


async def test_batches_are_capped_and_every_writer_is_answered() -> None:
    store = _Store()
    group = _group(store, max_batch=7)
    answered: list[int] = []

    async def write(number: int) -> None:
        await group.submit(number)
        answered.append(number)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(write, 0)
        await wait_all_tasks_blocked()
        for number in range(1, 31):
            tasks.start_soon(write, number)
        await wait_all_tasks_blocked()
        store.release.set()
    assert [len(batch) for batch in store.batches] == [1, 7, 7, 7, 7, 2]
    assert sorted(write for batch in store.batches for write in batch) == list(range(31))
    assert sorted(answered) == list(range(31))


async def test_a_failed_commit_fails_every_write_of_its_batch() -> None:
    store = _Store()
    store.fail_with = OSError("disk gone")
    store.release.set()
    group = _group(store)
    failures: list[BaseException] = []

    async def write(number: int) -> None:
        try:
            await group.submit(number)
        except _Translated as error:
            failures.append(error)

    async with anyio.create_task_group() as tasks:
        for number in range(5):
            tasks.start_soon(write, number)
    assert len(failures) == 5
    assert all(isinstance(failure.args[0], OSError) for failure in failures)


async def test_a_writer_cancelled_while_queued_is_dropped_and_the_rest_go_on() -> None:
    store = _Store()
    group = _group(store)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(group.submit, 0)
        await wait_all_tasks_blocked()
        with anyio.CancelScope() as scope:
            scope.cancel()
            await group.submit(1)  # queued behind the running commit, then cancelled
        tasks.start_soon(group.submit, 2)
        await wait_all_tasks_blocked()
        store.release.set()
    assert store.batches == [[0], [2]]


async def test_a_leader_cancelled_mid_commit_still_hands_the_lead_on() -> None:
    store = _Store()
    group = _group(store)
    outcomes: list[bool] = []

    async def follower() -> None:
        outcomes.append(await group.submit(2))

    async with anyio.create_task_group() as tasks:
        leader = anyio.CancelScope()

        async def lead() -> None:
            with leader:
                await group.submit(0)

        tasks.start_soon(lead)
        await wait_all_tasks_blocked()
        tasks.start_soon(follower)
        await wait_all_tasks_blocked()
        leader.cancel()
        store.release.set()
    assert store.batches == [[0], [2]]
    assert outcomes == [True]


@given(
    writers=st.integers(1, 30),
    max_batch=st.integers(1, 8),
    cancelled=st.sets(st.integers(0, 29), max_size=10),
    failing_batch=st.sampled_from([None, 0, 1, 2]),
)
async def test_each_write_is_committed_at_most_once_and_answered_with_its_own_outcome(
    writers: int, max_batch: int, cancelled: set[int], failing_batch: int | None
) -> None:
    batches: list[list[int]] = []

    def commit(writes: Sequence[int]) -> list[int]:
        batches.append(list(writes))
        if len(batches) - 1 == failing_batch:
            raise OSError("lost")
        return [write * 10 for write in writes]

    group: GroupCommit[int, int] = GroupCommit(commit, max_batch=max_batch, translate=_Translated)
    answers: dict[int, object] = {}

    async def write(number: int) -> None:
        with anyio.CancelScope() as scope:
            if number in cancelled:
                scope.cancel()  # cancelled before it could wait: dropped, or led anyway
            try:
                answers[number] = await group.submit(number)
            except _Translated:
                answers[number] = "failed"

    async with anyio.create_task_group() as tasks:
        for number in range(writers):
            tasks.start_soon(write, number)
    committed = [write for batch in batches for write in batch]
    assert len(committed) == len(set(committed))  # nobody's write went in twice
    assert all(1 <= len(batch) <= max_batch for batch in batches)
    # Every writer that was not cancelled got an answer, and it is its own.
    assert set(range(writers)) - cancelled <= set(answers)
    failed = (
        set()
        if failing_batch is None or failing_batch >= len(batches)
        else set(batches[failing_batch])
    )
    for number, answer in answers.items():
        assert answer == ("failed" if number in failed else number * 10)
        assert number in committed  # answered only after its batch ran
