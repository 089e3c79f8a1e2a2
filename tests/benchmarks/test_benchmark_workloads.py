"""Each benchmark workload, at a tiny size, completes exactly what it was asked, on both backends.

No timing here: speed lives in ``benchmarks/`` as ratios measured in one run.
"""

from __future__ import annotations

import pytest

from benchmarks import ANYACTORS, BASELINE, WORKLOADS, measure


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("system", [ANYACTORS, BASELINE])
@pytest.mark.parametrize("name", list(WORKLOADS))
def test_workload_completes_its_count(name: str, system: str, backend: str) -> None:
    sample = measure(
        WORKLOADS[name], system, backend, 200
    )  # raises BenchmarkError on a wrong count
    assert sample.count == 200
    if WORKLOADS[name].higher_is_better:
        assert sample.value > 0
