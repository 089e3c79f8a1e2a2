"""The persistence benchmark runs end to end at tiny sizes (its figures live in docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks._persistence import (
    WORKLOADS,
    SqliteStore,
    many_actors,
    many_actors_floor,
    one_actor,
    recovery,
    table,
)

pytestmark = pytest.mark.anyio


async def test_every_workload_runs_and_reports_rates(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    results = [
        await many_actors(store, 5, 3),
        await many_actors_floor(store, 5, 3),
        await one_actor(store, 5),
        await recovery(store, 50),
    ]
    assert all(ours > 0 and raw > 0 for ours, raw in results)
    rendered = table(
        [
            ("SQLite", workload, [ours], [raw])
            for workload, (ours, raw) in zip(WORKLOADS, results, strict=True)
        ]
    )
    assert rendered.count("\n") == 5
    assert "recover 1,000,000 events" in rendered
    assert "(a floor, no target)" in rendered  # the floor row has no target to meet


async def test_every_workload_runs_on_postgresql_against_raw_psycopg(tmp_path: Path) -> None:
    from benchmarks._persistence import registry
    from benchmarks._persistence_postgres import PostgresBench

    store = PostgresBench(tmp_path, registry)
    try:
        results = [
            await many_actors(store, 5, 3),
            await one_actor(store, 5),
            await recovery(store, 50),
        ]
    finally:
        store.close()
    assert all(ours > 0 and raw > 0 for ours, raw in results)
