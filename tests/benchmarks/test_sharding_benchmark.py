"""The sharding benchmark runs end to end at tiny sizes (its figures live in docs/sharding.md)."""

from __future__ import annotations

import pytest

from benchmarks._sharding import measure, table

pytestmark = pytest.mark.anyio


async def test_every_workload_runs_and_reports_rates() -> None:
    rates = await measure(1, 200, 50)
    assert all(value > 0 for values in rates.values() for value in values)
    assert table(rates, 200, 50).count("\n") == 3
