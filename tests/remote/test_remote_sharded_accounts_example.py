"""``examples/sharded_accounts.py``: three hosting processes, the owner of acct-0 killed, no deposit lost."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.remote.processes import ROOT


def test_the_sharded_accounts_example_moves_accounts_and_keeps_every_deposit() -> None:
    script = ROOT / "examples" / "sharded_accounts.py"
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=90, check=False
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    shares = re.search(r"^accounts per node: a=(\d+), b=(\d+), c=(\d+)$", out, re.M)
    assert shares is not None, out
    assert sum(int(count) for count in shares.groups()) == 24
    killed = re.search(r"^killing node ([abc]) \(SIGKILL, pid \d+\) mid-run$", out, re.M)
    assert killed is not None, out
    moved = re.search(
        rf"^(\d+) accounts moved from {killed[1]} to ([abc, ]+); \d+ deposits", out, re.M
    )
    assert moved is not None, out
    assert int(moved[1]) >= 1
    assert killed[1] not in moved[2]
    assert "balances: 24 accounts, each 20 deposits, 210 cents" in out
    assert out.rstrip().endswith("state survived: True")
