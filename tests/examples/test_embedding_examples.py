"""The examples of embedding actors in other code: a synchronous script and a web service."""

from __future__ import annotations

import sys

import pytest

from tests.example_scripts import EXAMPLES, run_example

sys.path.insert(0, str(EXAMPLES))

import payroll_sync

PAYROLL = """\
booked 120 for ada
booked 80 for bob
rejected 'ada,not a number': invalid literal for int() with base 10: 'not a number'
booked 45 for cy
booked 20 for bob
rejected 'dee': no amount in 'dee'
booked 15 for cy
booked 30 for ada
totals: {'ada': 150, 'bob': 100, 'cy': 60}
parser restarts: 2 (the pool kept 3 workers)
ledger closed after 6 entries
payroll stopped
"""


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_payroll_sync(backend: str, capsys: pytest.CaptureFixture[str]) -> None:
    payroll_sync.main(backend)
    assert capsys.readouterr().out == PAYROLL


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.timeout(30)
def test_payroll_sync_runs_as_a_script(backend: str) -> None:
    assert run_example("payroll_sync.py", "--backend", backend) == PAYROLL
