"""Each benchmark workload, at a tiny size, completes exactly what it was asked.

No timing here: speed lives in ``benchmarks/`` as ratios measured in one run.
anyactors and the baseline run on every backend; the peers (Pykka, Thespian,
the optional ``bench`` extra) run only where they are installed.
"""

from __future__ import annotations

import importlib.util

import pytest

from benchmarks import ANYACTORS, BASELINE, WORKLOADS, measure
from benchmarks._fibonacci import fib
from benchmarks._report import markdown
from benchmarks._runner import run
from benchmarks._workload import PYKKA, THESPIAN

#: Small enough to be quick, large enough for every workload's shape (rings, 200 actors).
TINY = 200
#: Fibonacci's size is n in fib(n): fib(10) spawns 177 actors.
TINY_FIB = 10

_UVLOOP = pytest.param(
    "asyncio+uvloop",
    marks=pytest.mark.skipif(
        importlib.util.find_spec("uvloop") is None, reason="uvloop (the bench extra) not installed"
    ),
)


def _tiny(name: str) -> int:
    return TINY_FIB if name == "fibonacci" else TINY


def _peer(system: str) -> object:
    return pytest.param(
        system,
        marks=pytest.mark.skipif(
            importlib.util.find_spec(system) is None,
            reason=f"{system} (the optional bench extra) is not installed",
        ),
    )


@pytest.mark.parametrize("backend", ["asyncio", "trio", _UVLOOP])
@pytest.mark.parametrize("system", [ANYACTORS, BASELINE])
@pytest.mark.parametrize("name", list(WORKLOADS))
def test_workload_completes_its_count(name: str, system: str, backend: str) -> None:
    workload = WORKLOADS[name]
    sample = measure(workload, system, backend, _tiny(name))  # raises on a wrong count
    assert sample.count == workload.expected(_tiny(name))
    if workload.higher_is_better:
        assert sample.value > 0


@pytest.mark.parametrize("system", [_peer(PYKKA), _peer(THESPIAN)])
@pytest.mark.parametrize("name", list(WORKLOADS))
def test_peer_completes_its_count(name: str, system: str) -> None:
    workload = WORKLOADS[name]
    sample = measure(workload, system, "asyncio", _tiny(name))
    assert sample.count == workload.expected(_tiny(name))


def test_counting_counts_exactly_n() -> None:
    sample = measure(WORKLOADS["counting"], ANYACTORS, "asyncio", 1234)
    assert sample.count == 1234


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_fibonacci_returns_fib_n(backend: str) -> None:
    assert fib(12) == 144
    assert measure(WORKLOADS["fibonacci"], ANYACTORS, backend, 12).count == 144


def test_report_renders_every_backend_row() -> None:
    results = [
        run(WORKLOADS["pingpong"], backend, size=TINY, repeat=1, systems=[ANYACTORS, BASELINE])
        for backend in ("asyncio", "trio")
    ]
    table = markdown(results).splitlines()
    assert len(table) == 4
    assert table[2].startswith("| pingpong | asyncio")
    assert "x limit" in table[0]
