"""Running an ``examples/`` script as a user would: a fresh interpreter, from the command line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: The one line the runtime writes to stderr per failure when no logging is
#: configured (see actors/_logging.py); anything else on stderr is a fault.
RUNTIME_LOG_LINE = re.compile(r"(WARNING|ERROR|CRITICAL):actors(\.\w+)*:\S.*")


def run_example(script: str, *options: str) -> str:
    """Run ``examples/<script>`` with ``options``; check it exits cleanly; return its output.

    Exiting cleanly: status 0, and nothing on stderr but the runtime's
    one-line failure reports (the examples show failures on purpose).
    """
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *options],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout
    unexpected = [line for line in done.stderr.splitlines() if not RUNTIME_LOG_LINE.fullmatch(line)]
    assert not unexpected, done.stderr
    return done.stdout
