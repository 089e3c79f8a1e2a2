"""The pattern examples run on both backends and tell the story they promise."""

from __future__ import annotations

import re
import sys

import pytest

from tests.example_scripts import EXAMPLES, run_example

sys.path.insert(0, str(EXAMPLES))

import order_pipeline
import turnstile_fsm


@pytest.mark.anyio
async def test_order_pipeline(capsys: pytest.CaptureFixture[str]) -> None:
    await order_pipeline.main()
    out = capsys.readouterr().out
    assert re.search(
        r"^orders handled: 120, declined while payments were down: [1-9]\d*$", out, re.M
    ), out
    transitions = re.search(r"^breaker transitions: (.*)$", out, re.M)
    assert transitions is not None
    steps = transitions[1].split()
    assert steps[0] == "closed->open"
    assert steps[-1] == "half-open->closed"
    assert "open->half-open" in steps
    booked = re.search(r"^ledger crashes: 2, bookings: (\d+), accepted: (\d+)$", out, re.M)
    assert booked is not None, out
    assert booked[1] == booked[2]
    assert "booked exactly once: True" in out
    assert "deliveries sent again after a crash: True" in out
    assert "handler restarted in its slot: True" in out
    assert "/user/handlers/w0 crashed on purpose" in out


@pytest.mark.anyio
async def test_turnstile_fsm(capsys: pytest.CaptureFixture[str]) -> None:
    await turnstile_fsm.main()
    out = capsys.readouterr().out
    assert "state after boot: locked" in out
    assert "state after maintenance: unlocked" in out
    assert "people passed: 2" in out
    assert [line.strip() for line in out.splitlines() if line.startswith("  ")] == [
        "ready; 3 stashed messages back",
        "locked + coin -> unlocked",
        "unlocked + push -> locked (one passed)",
        "locked + push -> refused",
        "locked -> maintenance",
        "maintenance: Coin refused",
        "maintenance done",
        "locked + coin -> unlocked",
        "emergency open while unlocked",
        "unlocked + push -> locked (one passed)",
        "locked + push -> refused",
    ]


@pytest.mark.parametrize(
    "argv", [["order_pipeline.py"], ["turnstile_fsm.py", "--backend", "trio"]], ids=" ".join
)
@pytest.mark.timeout(30)
def test_runs_as_a_script(argv: list[str]) -> None:
    run_example(*argv)
