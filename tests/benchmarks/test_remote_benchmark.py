"""The remote benchmark's tell and its floors run end to end at tiny sizes (figures: docs/benchmarks.md)."""

from __future__ import annotations

import asyncio

import anyio
import attrs
import pytest

from benchmarks import _remote
from benchmarks._remote import (
    _rate,
    actors_tell,
    codec_actor_publish,
    codec_publish,
    crossing_breakdown,
    crossing_round_trip,
    nats_server,
    pairs,
    raw_publish,
    receive_cost,
    run_receive,
    table,
)


@pytest.fixture
def anyio_backend() -> str:
    """The table against raw nats-py runs on asyncio (nats-py's own loop)."""
    return "asyncio"


@pytest.mark.anyio
async def test_tell_and_its_floors_run_and_report_rates() -> None:
    with nats_server() as url:
        rates = [
            await measure(url, 300)
            for measure in (actors_tell, codec_publish, codec_actor_publish, raw_publish)
        ]
        rates.append(await _rate(raw_publish, url, 300, cpu=True))  # per CPU second
    assert all(rate > 0 for rate in rates)
    rows = [(pair, [1.0], [2.0]) for pair in pairs(quick=True, floor=True)]
    report = table(rows)
    assert "| tell floor: codec+actor " in report
    assert report.count("floor: no target") == 2
    assert "| tell " in report
    assert ">= 0.8x: MISSED" in report


def test_the_receive_costs_run_on_both_paths_and_report_a_table() -> None:
    costs = [asyncio.run(receive_cost(fast, frames=600, rounds=2)) for fast in (False, True)]
    assert all(cost > 0 for cost in costs)  # each path received every frame (else it raises)
    report = run_receive(1, rounds=2)
    assert "| nats-py public path " in report
    assert "| receiving runs " in report


def test_the_trio_side_against_raw_nats_py_runs_and_reports_targets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tiny = [attrs.evolve(pair, size=200) for pair in pairs(quick=True)]
    monkeypatch.setattr(_remote, "pairs", lambda quick: tiny)
    with nats_server() as url:
        report = _remote.run_backends(url, 1, quick=True, raw=True)
    assert "trio: median" in report
    assert "nats-py: median" in report
    assert ">= 0.8x" in report  # tell's own target, not trio-against-asyncio's


def test_the_crossing_floor_runs_on_trio_and_breaks_one_ask_down() -> None:
    assert anyio.run(crossing_round_trip, 50, backend="trio") > 0
    # 1,000 asks/s on trio (1,000 us each), 2,000 on asyncio (500 us), round trips of 100 us.
    line = crossing_breakdown([1000.0], [2000.0], 100.0)
    assert line == (
        "one ask at a time, per ask (medians): trio 1000 us, asyncio 500 us; trio's 4 thread "
        "crossings at their floor (2 round trips of 100 us, no NATS) 200 us; the rest of "
        "trio's extra 300 us"
    )
