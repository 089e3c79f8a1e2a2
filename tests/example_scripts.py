"""Running an ``examples/`` script as a user would: a fresh interpreter, from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(script: str, *options: str) -> str:
    """Run ``examples/<script>`` with ``options``; check it exits cleanly; return its output."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *options],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout
    assert not done.stderr, done.stderr
    return done.stdout
