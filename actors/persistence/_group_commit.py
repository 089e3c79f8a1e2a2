"""Group commit: concurrent writes from many actors share one blocking transaction.

A writer that finds nobody committing becomes the leader: it takes the queue
(at most ``max_batch`` writes), runs the blocking ``commit`` in a worker thread
and hands each writer its outcome. Writes that arrive meanwhile wait in the
queue; when the leader's batch is done, the oldest of them leads the next
batch. So while one transaction commits, the next batch forms: one commit (one
sync) per batch, and each writer returns only after the batch holding its write
has committed. Everything runs on the caller's event loop through anyio, so it
works on asyncio and trio alike.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import anyio
from attrs import define, field

WriteT = TypeVar("WriteT")
OutcomeT = TypeVar("OutcomeT")


class _Wake:
    """A one-way wake-up: a bare future of the running asyncio loop, else an ``anyio.Event``.

    Each write makes one, so it is kept cheap: on asyncio a future costs a
    fraction of an ``anyio.Event``. Setting it twice, or after its waiter was
    cancelled, does nothing.
    """

    __slots__ = ("_event", "_future")

    def __init__(self) -> None:
        self._future: asyncio.Future[None] | None = None
        self._event: anyio.Event | None = None
        try:
            self._future = asyncio.get_running_loop().create_future()
        except RuntimeError:  # not asyncio (trio)
            self._event = anyio.Event()

    def set(self) -> None:
        future = self._future
        if future is None:
            assert self._event is not None
            self._event.set()
        elif not future.done():
            future.set_result(None)

    async def wait(self) -> None:
        if self._future is None:
            assert self._event is not None
            await self._event.wait()
        else:
            await self._future


@define(eq=False)
class _Waiter(Generic[WriteT, OutcomeT]):
    write: WriteT
    woken: _Wake = field(factory=_Wake)
    done: bool = False
    outcome: OutcomeT | None = None
    error: BaseException | None = None


class GroupCommit(Generic[WriteT, OutcomeT]):
    """Batches ``submit`` calls into calls of ``commit(writes) -> outcomes`` in a thread.

    ``commit`` returns one outcome per write, in order, or raises: then every
    write of that batch raises what ``translate`` makes of the error.
    """

    def __init__(
        self,
        commit: Callable[[Sequence[WriteT]], Sequence[OutcomeT]],
        *,
        max_batch: int,
        translate: Callable[[Exception], BaseException],
    ) -> None:
        self._commit = commit
        self._max_batch = max_batch
        self._translate = translate
        self._queue: deque[_Waiter[WriteT, OutcomeT]] = deque()
        self._leader: _Waiter[WriteT, OutcomeT] | None = None
        #: Batches committed and writes in them, for tests and statistics.
        self.batches = 0
        self.writes = 0

    async def submit(self, write: WriteT) -> OutcomeT:
        """Commit ``write`` with whatever else is waiting; its outcome once committed.

        Raises:
            BaseException: what ``translate`` made of the batch's error.

        Cancelled while queued, the write is dropped; cancelled while its batch
        runs, the batch still completes (its outcome is then lost to the caller).
        """
        waiter: _Waiter[WriteT, OutcomeT] = _Waiter(write)
        self._queue.append(waiter)
        if self._leader is None:
            self._leader = waiter
        else:
            try:
                await waiter.woken.wait()
            except BaseException:
                if self._leader is waiter:  # handed the lead as it was cancelled
                    with anyio.CancelScope(shield=True):
                        await self._lead(waiter)
                elif not waiter.done and waiter in self._queue:
                    self._queue.remove(waiter)
                raise
        if not waiter.done:
            with anyio.CancelScope(shield=True):
                await self._lead(waiter)
        if waiter.error is not None:
            raise waiter.error
        return waiter.outcome  # type: ignore[return-value]

    async def _lead(self, leader: _Waiter[WriteT, OutcomeT]) -> None:
        """Commit batches from the front of the queue until ``leader``'s is done; pass the lead."""
        try:
            while not leader.done and self._queue:
                count = min(len(self._queue), self._max_batch)
                batch = [self._queue.popleft() for _ in range(count)]
                writes = [waiter.write for waiter in batch]
                try:
                    outcomes = await anyio.to_thread.run_sync(self._commit, writes)
                except Exception as error:
                    for waiter in batch:
                        waiter.error = self._translate(error)
                else:
                    for waiter, outcome in zip(batch, outcomes, strict=True):
                        waiter.outcome = outcome
                    self.batches += 1
                    self.writes += len(batch)
                for waiter in batch:
                    waiter.done = True
                if leader.done:
                    # The next leader first: its batch (what arrived during this
                    # commit) goes to the database while the loop runs this
                    # batch's writers on.
                    self._pass_lead()
                for waiter in batch:
                    waiter.woken.set()
        finally:
            if self._leader is leader:
                self._pass_lead()

    def _pass_lead(self) -> None:
        self._leader = self._queue[0] if self._queue else None
        if self._leader is not None:
            self._leader.woken.set()
