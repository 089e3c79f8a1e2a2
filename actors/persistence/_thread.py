"""One dedicated thread for a blocking store, batching concurrent writes into one transaction.

Callers on any anyio backend submit a request and wait (on a future of their
asyncio loop, or an ``anyio.Event``);
the thread takes every request queued at that moment (up to a batch size),
runs the writes in one transaction (group commit: one sync for the batch),
then the reads, and wakes the waiters of each event loop with one call. A
write that raises inside the batch is rolled back with the batch, and then the
batch is retried one write per transaction, so one bad write never fails the
others.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread

from ._errors import JournalError, PersistenceError

logger = logging.getLogger(__name__)

Connection = TypeVar("Connection")


class Store(Protocol[Connection]):
    """What the thread needs of a blocking store: connect, and transactions."""

    def connect(self) -> Connection:
        """Open a connection (in the thread)."""
        ...

    def begin(self, connection: Connection) -> None:
        """Begin a write transaction."""
        ...

    def commit(self, connection: Connection) -> None:
        """Commit it (durably, at the store's setting)."""
        ...

    def rollback(self, connection: Connection) -> None:
        """Roll it back."""
        ...

    def close(self, connection: Connection) -> None:
        """Close the connection."""
        ...

    def run_writes(self, connection: Connection, writes: list[Request[Connection]]) -> None:
        """Run the writes of one transaction, setting each request's result or error.

        A store may combine them (fewer statements: each one releases and
        retakes the GIL, which is slow while the event loop is busy). A write
        refused without writing anything gets its ``PersistenceError``; any
        other exception escapes, and the thread rolls the batch back and
        retries it one write per transaction.
        """
        ...


def run_one_by_one(connection: Any, writes: list[Request[Any]]) -> None:
    """The plain :meth:`Store.run_writes`: each write's operation, in order."""
    for request in writes:
        try:
            request.result = request.operation(connection)
        except PersistenceError as error:  # refused before writing anything
            request.error = error


class Request(Generic[Connection]):
    """One operation waiting for the thread.

    On asyncio its caller waits on a bare future of its loop: creating one
    and waking it costs a fraction of an ``anyio.Event`` and its token, and a
    persist makes one request. Elsewhere (trio) it waits on an ``anyio.Event``.
    """

    __slots__ = ("error", "loop", "operation", "result", "waiter", "write")

    def __init__(self, operation: Callable[[Connection], Any], *, write: bool) -> None:
        self.operation = operation
        self.write = write
        self.result: Any = None
        self.error: BaseException | None = None
        self.waiter: asyncio.Future[None] | anyio.Event
        self.loop: object
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio: anyio's portable event and token
            self.loop = anyio.lowlevel.current_token()
            self.waiter = anyio.Event()
        else:
            self.loop = loop
            self.waiter = loop.create_future()

    async def wait(self) -> None:
        """Wait until the thread has run the operation."""
        waiter = self.waiter
        if isinstance(waiter, asyncio.Future):
            await waiter
        else:
            await waiter.wait()


_STOP: Any = object()

#: Seconds the thread waits for more writes when the last batch had several...
LINGER = 0.0005
#: ...as long as more keep coming, up to this many seconds.
LINGER_LIMIT = 0.02


class StoreThread(Generic[Connection]):
    """The dedicated thread of one store (started on first use; see the module docstring)."""

    def __init__(self, store: Store[Connection], *, name: str, max_batch: int) -> None:
        self._store = store
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Request[Connection]] = queue.SimpleQueue()
        #: Transactions committed, and the writes they held (group commit: fewer of the first).
        self.transactions = 0
        self.writes = 0
        self._last_batch = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    async def call(self, operation: Callable[[Connection], Any], *, write: bool) -> Any:
        """Run ``operation(connection)`` in the thread; return its result or raise its error.

        A write returns only after the transaction holding it has committed.
        Cancelled while waiting, the operation still runs (or has run).
        """
        return await self.result(self.submit(operation, write=write))

    def submit(self, operation: Callable[[Connection], Any], *, write: bool) -> Request[Connection]:
        """Queue ``operation`` now (to prefetch); :meth:`result` waits for it."""
        request: Request[Connection] = Request(operation, write=write)
        self._queue.put(request)
        return request

    @staticmethod
    async def result(request: Request[Connection]) -> Any:
        """Wait for a submitted request; return its result or raise its error."""
        await request.wait()
        if request.error is not None:
            raise request.error
        return request.result

    async def stop(self) -> None:
        """Finish every request queued so far, close the connection, end the thread."""
        self._queue.put(_STOP)
        await anyio.to_thread.run_sync(self._thread.join)

    # -- in the thread ----------------------------------------------------------

    def _run(self) -> None:
        connection: Connection | None = None
        opening_error: JournalError | None = None
        try:
            connection = self._store.connect()
        except Exception as error:
            opening_error = JournalError(f"cannot open the journal: {error}")
        try:
            while True:
                batch = self._take()
                stop = batch and batch[-1] is _STOP
                if stop:
                    batch.pop()
                if batch:
                    if connection is None:
                        for request in batch:
                            request.error = opening_error
                    else:
                        self._serve(connection, batch)
                    self._wake(batch)
                if stop:
                    return
        finally:
            if connection is not None:
                self._store.close(connection)

    def _take(self) -> list[Request[Connection]]:
        batch = [self._queue.get()]
        self._drain(batch)
        if self._last_batch > 1:
            # Many writers are active: while the ones just woken keep queueing
            # their next writes, wait for them (up to LINGER_LIMIT), so that one
            # transaction takes them all. Each transaction costs the thread
            # several waits for the GIL held by the busy event loop.
            deadline = time.monotonic() + LINGER_LIMIT
            while batch[-1] is not _STOP and len(batch) < self._max_batch:
                size = len(batch)
                time.sleep(LINGER)
                self._drain(batch)
                if len(batch) == size or time.monotonic() > deadline:
                    break
        self._last_batch = len(batch)
        return batch

    def _drain(self, batch: list[Request[Connection]]) -> None:
        # This thread is the queue's only reader, so a queue not empty has an
        # item (and a lone writer's queue is empty: no exception to raise).
        pending = self._queue
        while len(batch) < self._max_batch and batch[-1] is not _STOP and not pending.empty():
            batch.append(pending.get_nowait())

    def _serve(self, connection: Connection, batch: list[Request[Connection]]) -> None:
        writes = [request for request in batch if request.write]
        if writes and not self._transaction(connection, writes) and len(writes) > 1:
            for request in writes:  # isolate the write that failed the batch
                self._transaction(connection, [request])
        for request in batch:
            if not request.write:
                try:
                    request.result = request.operation(connection)
                except Exception as error:
                    request.error = journal_error(error)

    def _transaction(self, connection: Connection, writes: list[Request[Connection]]) -> bool:
        """Run ``writes`` in one transaction; ``False`` if it was rolled back."""
        try:
            self._store.begin(connection)
        except Exception as error:
            for request in writes:
                request.error = journal_error(error)
            return True
        for request in writes:
            request.error = None
            request.result = None
        try:
            self._store.run_writes(connection, writes)
        except Exception as error:
            for request in writes:
                request.error = journal_error(error)
            self._rollback(connection)
            return False
        try:
            self._store.commit(connection)
        except Exception as error:
            self._rollback(connection)
            for request in writes:
                request.error = journal_error(error)
        else:
            self.transactions += 1
            self.writes += len(writes)
        return True

    def _rollback(self, connection: Connection) -> None:
        try:
            self._store.rollback(connection)
        except Exception:
            logger.exception("rolling back a journal transaction failed")

    @staticmethod
    def _wake(batch: list[Request[Connection]]) -> None:
        by_loop: dict[object, list[asyncio.Future[None] | anyio.Event]]
        if len(batch) == 1:  # a lone writer: no grouping by loop
            by_loop = {batch[0].loop: [batch[0].waiter]}
        else:
            by_loop = defaultdict(list)
            for request in batch:
                by_loop[request.loop].append(request.waiter)
        for loop, waiters in by_loop.items():
            # Schedule the wake-up without waiting for it (the thread goes on to
            # the next batch at once): asyncio's call_soon_threadsafe, or trio's
            # run_sync_soon through anyio's token; other backends block briefly.
            try:
                if isinstance(loop, asyncio.AbstractEventLoop):
                    loop.call_soon_threadsafe(_set_all, waiters)
                    continue
                native = getattr(loop, "native_token", None)
                if hasattr(native, "run_sync_soon"):
                    native.run_sync_soon(_set_all, waiters)  # type: ignore[union-attr]
                else:
                    anyio.from_thread.run_sync(_set_all, waiters, token=loop)  # type: ignore[arg-type]
            except Exception:  # that event loop has ended: nobody waits any more
                logger.debug("a journal caller's event loop has ended", exc_info=True)


def _set_all(waiters: list[asyncio.Future[None] | anyio.Event]) -> None:
    for waiter in waiters:
        if isinstance(waiter, asyncio.Future):
            if not waiter.done():  # its caller may have been cancelled
                waiter.set_result(None)
        else:
            waiter.set()


def journal_error(error: Exception) -> BaseException:
    """``error`` as a caller should see it: a persistence error as is, others as JournalError."""
    if isinstance(error, PersistenceError | TypeError | ValueError) and not isinstance(
        error, OSError
    ):
        return error
    return JournalError(f"the journal failed: {type(error).__name__}: {error}")
