"""The one-writer floor benchmark runs end to end at a tiny size (its figures: docs/benchmarks.md)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from benchmarks import _sqlite_floor

pytestmark = pytest.mark.anyio


async def test_the_three_sides_run_and_report_a_time_per_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_sqlite_floor, "CHUNK", 5)
    raw, hop, ours = await _sqlite_floor.measure(tmp_path, chunks=2)
    assert min(raw, hop, ours) > 0
    for name, table in (
        ("raw", "raw_events"),
        ("hop", "raw_events"),
        ("journal", "anyactors_events"),
    ):
        with closing(sqlite3.connect(tmp_path / f"{name}.db")) as connection:
            assert connection.execute(f"SELECT count(*) FROM {table}").fetchone() == (10,)
