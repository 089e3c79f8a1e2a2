"""``examples/cluster/run.py``: one command, five processes, a pricing node killed, no order lost."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.remote.processes import ROOT


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_cluster_example_kills_a_pricing_node_and_loses_no_order(backend: str) -> None:
    script = ROOT / "examples" / "cluster" / "run.py"
    result = subprocess.run(
        [sys.executable, str(script), "--backend", backend],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert re.search(r"^killing pricing-2 \(SIGKILL, pid \d+\) mid-run$", out, re.M), out
    assert re.search(r"^  \[intake\] pricing-2 terminated \(", out, re.M), out
    booked = re.search(
        r"^summary: 400 orders placed; booked 400 orders 1-400, total 40000 cents, "
        r"skipped \d+ redelivered; priced by pricing-1=(\d+) pricing-2=(\d+)$",
        out,
        re.M,
    )
    assert booked is not None, out
    assert int(booked[1]) + int(booked[2]) == 400
    assert int(booked[2]) > 0  # pricing-2 served until it was killed
    assert out.rstrip().endswith("no order lost: True")
