"""The typed API, proven with both type checkers and once for real.

``accepted.py`` holds spellings that must type-check; ``rejected.py`` holds
mistakes, each marked with the exact error mypy (``# type: ignore[code]``)
and basedpyright (``# pyright: ignore[rule]``) must report on that line.
Both run strict with unused ignores as errors, so a mistake that stopped
being caught, or caught as another error, fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from . import accepted

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CASES = [str(HERE / name) for name in ("_bank.py", "accepted.py", "rejected.py")]
MARKED = re.compile(r"# type: ignore\[([\w-]+)\]  # pyright: ignore\[(\w+(?:, \w+)*)\]$")


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_every_rejected_line_names_the_error_of_each_checker() -> None:
    lines = (HERE / "rejected.py").read_text().splitlines()
    marked = [
        line for line in lines if "  # type: ignore[" in line or "  # pyright: ignore[" in line
    ]
    # Wrong messages (5), wrong reply types (2), an unaccepted request (1),
    # wrong constructor arguments (4), narrowing (1), a mistyped receive (1).
    assert len(marked) == 14
    for line in marked:
        assert MARKED.search(line), f"mark both checkers' errors: {line.strip()}"


def test_mypy_strict_accepts_the_typed_spellings_and_reports_each_mistake() -> None:
    done = _run(sys.executable, "-m", "mypy", "--strict", "--warn-unused-ignores", *CASES)
    assert done.returncode == 0, done.stdout + done.stderr


def test_basedpyright_accepts_the_typed_spellings_and_reports_each_mistake() -> None:
    done = _run(
        sys.executable,
        "-m",
        "basedpyright",
        "--project",
        str(HERE / "pyrightconfig.json"),
        "--pythonpath",
        sys.executable,
        *CASES,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 errors" in done.stdout


def test_the_readme_quick_start_is_typed_and_passes_both_checkers(tmp_path: Path) -> None:
    quick_start = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)[0]
    assert "Actor[Deposit | GetBalance]" in quick_start
    assert "class GetBalance(Request[int])" in quick_start
    script = tmp_path / "quick_start.py"
    script.write_text(quick_start)
    mypy = _run(sys.executable, "-m", "mypy", "--strict", str(script))
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    pyright = _run(
        sys.executable,
        "-m",
        "basedpyright",
        "--project",
        str(HERE / "pyrightconfig.json"),
        "--pythonpath",
        sys.executable,
        str(script),
    )
    assert pyright.returncode == 0, pyright.stdout + pyright.stderr


@pytest.mark.anyio
async def test_the_accepted_spellings_run() -> None:
    await accepted.main()
