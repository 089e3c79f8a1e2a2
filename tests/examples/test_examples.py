"""Every example runs to completion on both backends and tells the story it promises."""

from __future__ import annotations

import re
import sys

import pytest

from tests.example_scripts import EXAMPLES, run_example

sys.path.insert(0, str(EXAMPLES))

import bank
import event_pipeline
import service_restarts
import watchdog


def _lines(output: str, prefix: str = "") -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip().startswith(prefix)]


@pytest.mark.anyio
async def test_bank(capsys: pytest.CaptureFixture[str]) -> None:
    await bank.main()
    out = capsys.readouterr().out
    assert "opening balances: ada=100 bob=50" in out
    assert "after ada deposits 20 and sends 70 to bob: ada=50 bob=120" in out
    assert "ada resumed with her state: ada has 50, cannot pay 500" in out
    assert "after the refused transfer: ada=50 bob=120" in out
    # A restart recovers ada's balance from the journal; bob's line counts his deposit.
    assert (
        "after ada's restart (her balance recovered) and bob's deposit of 5: ada=50 bob=125" in out
    )
    assert "dead letter: Deposit(amount=30) for /user/bank/bob" in out
    assert "auditor saw 5 postings" in out
    assert "money lost to closed accounts: 30" in out
    assert "dead letters by type: {'Deposit': 1}" in out
    # The whole system exits and comes back on the same file: nothing was lost.
    assert out.rstrip().endswith("the bank reopens from bank.db: ada=20 bob=125")


@pytest.mark.anyio
async def test_event_pipeline(capsys: pytest.CaptureFixture[str]) -> None:
    await event_pipeline.main(target=12)
    out = capsys.readouterr().out
    waited = re.search(r"^sensors stopped after (\d+) readings; (\d+) sends waited", out, re.M)
    seen = re.search(r"^dashboard saw (\d+) measurements, (\d+) of them alerts$", out, re.M)
    pages = re.search(r"^pager sent (\d+) pages$", out, re.M)
    assert waited is not None, out
    assert seen is not None, out
    assert pages is not None, out
    assert int(waited[2]) > 0  # backpressure happened
    assert int(seen[1]) >= 12
    assert int(seen[2]) == int(pages[1]) > 0
    assert "nothing lost: True" in out


@pytest.mark.anyio
async def test_watchdog(capsys: pytest.CaptureFixture[str]) -> None:
    await watchdog.main()
    out = capsys.readouterr().out
    assert _lines(out, "foreman: stuck") == [
        "foreman: stuck missed its deadline; stopping it",
        "foreman: stuck terminated",
    ]
    assert "resize: done in 20 ms" in out
    assert "upload: done in 50 ms" in out
    assert "stuck: killed (deadline missed)" in out
    assert "jobs still alive: []" in out


@pytest.mark.anyio
async def test_service_restarts(capsys: pytest.CaptureFixture[str]) -> None:
    await service_restarts.main()
    out = capsys.readouterr().out
    lifecycle = [line for line in _lines(out) if line.endswith(("started", "stopped"))]
    assert lifecycle == [
        *("database started", "cache started", "api started"),
        *("api stopped", "api started"),  # RestForOne: api is the youngest
        *("api stopped", "cache stopped", "database stopped"),  # reverse start order
        *("database started", "cache started", "api started"),  # start order
        *("api stopped", "cache stopped", "database stopped"),  # intensity exceeded
    ]
    delays = [float(x) for x in re.findall(r"answered again after ([\d.]+) s", out)]
    assert len(delays) == 2
    assert delays[0] >= 0.05
    assert delays[1] >= 0.1
    assert re.search(r"^monitor: /user/service failed: RestartIntensityExceeded: ", out, re.M)
    assert "monitor: /user/service terminated" in out
    assert "service still registered: False" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["bank.py"],
        ["bank.py", "--backend", "trio"],
        ["event_pipeline.py"],
        ["watchdog.py"],
        ["service_restarts.py"],
    ],
    ids=" ".join,
)
@pytest.mark.timeout(30)
def test_runs_as_a_script(argv: list[str]) -> None:
    run_example(*argv)
