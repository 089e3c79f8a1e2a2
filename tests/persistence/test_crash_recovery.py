"""A real process SIGKILLed in the middle of 10,000 acknowledged commands loses none of them."""

from __future__ import annotations

from contextlib import aclosing
from pathlib import Path

import anyio
import pytest

from tests.persistence.crash_writer import ACCOUNTS, open_journal
from tests.persistence.events import Added, Renamed
from tests.remote.processes import LINE_TIMEOUT, kill, python_process, wait_for_line

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The child's journal: a SQLite file, or a fresh database on the real PostgreSQL."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_conninfo"))
    return str(tmp_path / "crash.db")


async def test_a_sigkill_loses_no_acknowledged_command_and_leaves_no_half_command(
    store: str, anyio_backend: str
) -> None:
    path = store
    acked: dict[int, int] = dict.fromkeys(range(ACCOUNTS), 0)
    async with python_process("-m", "tests.persistence.crash_writer", path, anyio_backend) as (
        process,
        lines,
    ):
        try:
            await wait_for_line(lines, "ready")
            total = 0
            while total < 4_000:  # in the middle of the 10,000
                line = await wait_for_line(lines, "ack ")
                _, account_text, number_text = line.split()
                assert int(number_text) == acked[int(account_text)] + 1
                acked[int(account_text)] = int(number_text)
                total += 1
            await kill(process)
            # Acks the child printed before it died but this test had not read yet.
            with anyio.fail_after(LINE_TIMEOUT):
                async for line in lines:
                    if line.startswith("ack "):
                        _, account_text, number_text = line.split()
                        assert int(number_text) == acked[int(account_text)] + 1
                        acked[int(account_text)] = int(number_text)
        finally:
            await lines.aclose()  # type: ignore[attr-defined]
    assert process.returncode == -9
    journal = open_journal(path)
    try:
        for account in range(ACCOUNTS):
            persistence_id = f"/user/account-{account}"
            async with aclosing(journal.replay(persistence_id)) as records:
                events = [(record.sequence_number, record.event) async for record in records]
            assert len(events) % 2 == 0, f"half a command stored for {persistence_id}"
            commands = len(events) // 2
            # Every acknowledged command is there; at most the one in flight beyond it.
            assert acked[account] <= commands <= acked[account] + 1
            expected = []
            for number in range(1, commands + 1):
                expected += [Added(number), Renamed(str(number))]
            assert [event for _, event in events] == expected
            assert [n for n, _ in events] == list(range(1, 2 * commands + 1))
            assert await journal.highest_sequence_number(persistence_id) == 2 * commands
    finally:
        await journal.close()
