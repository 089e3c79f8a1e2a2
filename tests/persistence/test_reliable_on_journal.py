"""Reliable delivery on a journal: a process killed with SIGKILL loses and duplicates nothing.

A child process holds a journal-backed sender and receiver (a ledger that
books each order by recording an event with the delivery's mark). It is
killed in the middle of accepting orders, with deliveries and acks in flight,
then started again: the new process recovers both from the journal, goes on
from the last accepted order, and its ledger ends with every order booked
exactly once, in order.
"""

from __future__ import annotations

import json
from contextlib import aclosing
from pathlib import Path

import pytest

from tests.remote.processes import kill, python_process, wait_for_line

pytestmark = pytest.mark.anyio

COUNT = 300
KILL_AT = 120


async def _run_and_kill(anyio_backend: str, journal: list[str]) -> int:
    args = ["-m", "tests.persistence.reliable_node", "--backend", anyio_backend]
    async with (
        python_process(*args, "--count", str(COUNT), *journal) as (process, lines),
        aclosing(lines),  # type: ignore[type-var]
    ):
        await wait_for_line(lines, "recovered 0")
        last = await wait_for_line(lines, f"accepted {KILL_AT}")
        await kill(process)
    return int(last.split()[1])


async def _run_to_the_end(anyio_backend: str, journal: list[str]) -> tuple[int, list[int]]:
    args = ["-m", "tests.persistence.reliable_node", "--backend", anyio_backend]
    async with (
        python_process(*args, "--count", str(COUNT), *journal) as (process, lines),
        aclosing(lines),  # type: ignore[type-var]
    ):
        recovered = int((await wait_for_line(lines, "recovered")).split()[1])
        booked = json.loads((await wait_for_line(lines, "booked")).removeprefix("booked "))
        assert await process.wait() == 0
    return recovered, booked


@pytest.fixture(params=["postgres", "sqlite"])
def journal_arguments(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    """The child's journal: a fresh PostgreSQL database, or a SQLite file."""
    if request.param == "postgres":
        return ["--postgres", request.getfixturevalue("postgres_conninfo")]
    return ["--sqlite", str(tmp_path / "journal.db")]


async def test_a_killed_process_loses_nothing_and_books_each_order_once(
    anyio_backend: str, journal_arguments: list[str]
) -> None:
    acknowledged = await _run_and_kill(anyio_backend, journal_arguments)
    recovered, booked = await _run_to_the_end(anyio_backend, journal_arguments)
    assert recovered >= acknowledged  # every acknowledged order was in the journal
    assert booked == list(range(1, COUNT + 1))
