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


async def test_a_killed_process_loses_nothing_and_books_each_order_once_on_postgres(
    anyio_backend: str, postgres_conninfo: str
) -> None:
    journal = ["--postgres", postgres_conninfo]
    acknowledged = await _run_and_kill(anyio_backend, journal)
    recovered, booked = await _run_to_the_end(anyio_backend, journal)
    assert recovered >= acknowledged  # every acknowledged order was in the journal
    assert booked == list(range(1, COUNT + 1))
