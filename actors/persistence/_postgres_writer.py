"""The writer thread's side of ``PostgresJournal``: one batch, one transaction.

``PostgresJournal`` hands its writes to a dedicated ``StoreThread``
(``_thread.py``, as ``SqliteJournal`` does); :class:`BatchWriter` is how that
thread commits a batch through ``PostgresStore.commit_batch``.
"""

from __future__ import annotations

import select
from typing import TYPE_CHECKING, Any, cast

from ._errors import JournalError

if TYPE_CHECKING:
    import psycopg

    from ._postgres_store import PostgresStore
    from ._postgres_writes import Write
    from ._thread import Request


def journal_error(error: Exception) -> BaseException:
    """A driver or connection failure as :class:`JournalError`; anything else unchanged."""
    import psycopg  # noqa: PLC0415 - the optional driver; only reached with it installed

    if not isinstance(error, psycopg.Error | OSError):
        return error
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    journal_error = JournalError(
        f"the PostgreSQL journal failed ({type(error).__name__}: {first_line}); "
        "a write may or may not have been stored; check that the server is up and reachable"
    )
    journal_error.__cause__ = error
    return journal_error


class BatchWriter:
    """How the writer thread (``StoreThread``) commits a batch on PostgreSQL.

    The thread's "connection" is the store itself: ``commit_batch`` takes a
    pooled connection and is the whole transaction (its retry after a
    deadlock or a connection that died before ``COMMIT`` included), so there
    is nothing to begin, commit or roll back around it. A batch that fails
    fails each of its writes with the error (a ``JournalError`` for the
    driver's); it is not retried one write at a time, since after a lost
    ``COMMIT`` answer nobody knows what was stored.
    """

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        #: Transactions committed and the writes they held (failed batches are not counted).
        self.transactions = 0
        self.writes = 0

    def connect(self) -> PostgresStore:
        return self.store

    def begin(self, store: PostgresStore) -> None:
        pass  # commit_batch is the transaction

    def commit(self, store: PostgresStore) -> None:
        pass  # commit_batch has committed

    def rollback(self, store: PostgresStore) -> None:
        pass  # commit_batch has rolled back what it began

    def close(self, store: PostgresStore) -> None:
        pass  # the journal closes the pool after stopping the thread

    def run_writes(self, store: PostgresStore, writes: list[Request[PostgresStore]]) -> None:
        # Each request's operation is a Write (see PostgresJournal._write).
        batch = [cast("Write", request.operation) for request in writes]
        try:
            outcomes = store.commit_batch(batch)
        except Exception as error:
            for request in writes:
                request.error = journal_error(error)
            return
        for request, outcome in zip(writes, outcomes, strict=True):
            request.result = outcome
        self.transactions += 1
        self.writes += len(writes)


def closed_by_server(connection: psycopg.Connection[Any]) -> bool:
    """Whether an idle connection has already heard from the server: its goodbye.

    An idle connection that is readable holds the server's termination
    notice or end of file (a restart, an administrator's kill): using it
    would fail after sending, when nobody can tell whether a write was stored.
    One poll, no round trip. If the poll itself fails, the connection is used
    as before (a failure then is a ``JournalError``).
    """
    try:
        fileno = connection.fileno()
    except Exception:  # no descriptor: closed already (psycopg raises its own error)
        return True
    try:
        if hasattr(select, "poll"):  # no descriptor limit, unlike select()
            poller = select.poll()
            poller.register(fileno, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([fileno], [], [], 0)
    except (OSError, ValueError):
        return False
    return bool(readable)
