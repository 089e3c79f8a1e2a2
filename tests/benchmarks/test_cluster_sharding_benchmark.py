"""The cluster sharding benchmark runs end to end at tiny sizes (its figures live in docs/sharding.md)."""

from __future__ import annotations

import pytest

from benchmarks._cluster_sharding import measure, table
from benchmarks._remote import nats_server


@pytest.fixture
def anyio_backend() -> str:
    """nats-py is asyncio-only: the remote layer runs on anyio's asyncio backend."""
    return "asyncio"


@pytest.mark.anyio
async def test_both_workloads_run_and_report_rates() -> None:
    with nats_server() as url:
        rates = await measure(url, 1, 200, owner_side=True)
    assert set(rates) == {
        "entity",
        "remote",
        "entity-cpu",
        "remote-cpu",
        "owner-entity",
        "owner-named",
    }
    assert all(len(values) == 1 and values[0] > 0 for values in rates.values())
    assert table(rates, 200).count("\n") == 5
