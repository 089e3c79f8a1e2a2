"""Persistence test fixtures: the session's real PostgreSQL server and a fresh database per test."""

from tests.persistence.postgres_server import postgres_conninfo, postgres_server

__all__ = ["postgres_conninfo", "postgres_server"]
