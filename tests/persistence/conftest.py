"""The journals the persistence tests run against, in one place.

Each entry of :data:`JOURNALS` builds a :data:`JournalFactory` for one test:
called again with a registry, the factory opens the same store again (a
process restart). Add a journal here (PostgreSQL, say) and the conformance
suite and the actor tests run against it too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from actors.persistence import (
    InMemoryJournal,
    Journal,
    MessageRegistry,
    PostgresJournal,
    SqliteJournal,
)
from tests.persistence.postgres_server import postgres_conninfo, postgres_server

__all__ = ["JOURNALS", "JournalFactory", "journal_factory", "postgres_conninfo", "postgres_server"]

#: Opens the test's store (the same one at every call) with the given registry.
JournalFactory = Callable[[MessageRegistry], Journal]


def memory_journals(request: pytest.FixtureRequest) -> JournalFactory:
    journal: InMemoryJournal | None = None

    def make(registry: MessageRegistry) -> Journal:
        nonlocal journal
        if journal is None:
            journal = InMemoryJournal(registry=registry)
        return journal

    return make


def sqlite_journals(request: pytest.FixtureRequest) -> JournalFactory:
    path: Path = request.getfixturevalue("tmp_path") / "journal.db"

    def make(registry: MessageRegistry) -> Journal:
        return SqliteJournal(path, registry=registry, synchronous="NORMAL")

    return make


def postgres_journals(request: pytest.FixtureRequest) -> JournalFactory:
    # A fresh database on the session's real PostgreSQL server.
    conninfo: str = request.getfixturevalue("postgres_conninfo")

    def make(registry: MessageRegistry) -> Journal:
        return PostgresJournal(conninfo, registry=registry)

    return make


#: Every journal the suite runs against, by name.
JOURNALS: dict[str, Callable[[pytest.FixtureRequest], JournalFactory]] = {
    "memory": memory_journals,
    "postgres": postgres_journals,
    "sqlite": sqlite_journals,
}


@pytest.fixture(params=sorted(JOURNALS))
def journal_factory(request: pytest.FixtureRequest) -> JournalFactory:
    """Parametrizes a test over every journal in :data:`JOURNALS`."""
    return JOURNALS[request.param](request)
