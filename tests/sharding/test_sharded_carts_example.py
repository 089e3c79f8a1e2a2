"""The sharded carts example tells its story, as a script and on both backends."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.example_scripts import EXAMPLES, run_example

sys.path.insert(0, str(EXAMPLES))

import sharded_carts

STORY = [
    "ada's cart: ['tea', 'milk']",
    "bob's cart: ['bread']",
    "live carts: ['ada', 'bob']",
    "after a quiet moment, live carts: []",
    "ada's cart comes back with: ['tea', 'milk']",
    "the shop closes with ada's and bob's expiry reminders pending",
    "the shop reopens; live carts: []",
    "expired by their reminders: ada (tea, milk); bob (bread)",
    "ada's cart now: []",
]


@pytest.mark.anyio
async def test_carts_passivate_come_back_and_expire_after_a_restart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await sharded_carts.main(tmp_path / "carts.db")
    assert capsys.readouterr().out.splitlines() == STORY


def test_the_script_runs() -> None:
    assert run_example("sharded_carts.py").splitlines() == STORY
