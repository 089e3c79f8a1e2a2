"""The README's snippets run as written."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)


def test_the_quick_start_prints_100() -> None:
    quick_start = python_blocks()[0]
    result = subprocess.run(
        [sys.executable, "-c", quick_start], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "100\n"


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_supervisor_snippet_finds_ada_at_once(backend: str) -> None:
    quick_start, supervisor = python_blocks()[:2]
    definitions = quick_start.split("async def main")[0]
    declarations, usage = supervisor.split('# inside `async with ActorSystem("bank") as system:`\n')
    program = (
        definitions
        + declarations
        + "\nasync def scenario() -> None:\n"
        + '    async with ActorSystem("bank") as system:\n'
        + textwrap.indent(usage, "        ")
        + "        assert ada is not None and ada.path == '/user/bank/ada', ada\n"
        + "        ada.tell(Deposit(5))\n"
        + "        print(await ada.ask(GetBalance(), timeout=1.0))\n"
        + f"\nanyio.run(scenario, backend={backend!r})\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "5\n"
