"""Nodes as real subprocesses: started with ``python -m``, read line by line, killed by PID."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from anyio.abc import Process
from anyio.streams.text import TextReceiveStream

ROOT = Path(__file__).resolve().parents[2]

#: The environment variable that gives a node process the test's anyio backend.
BACKEND_VARIABLE = "ANYACTORS_TEST_BACKEND"

#: Seconds a process may take to print an expected line before the test fails.
LINE_TIMEOUT = 30.0


async def _lines(process: Process) -> AsyncGenerator[str]:
    assert process.stdout is not None
    buffer = ""
    async for chunk in TextReceiveStream(process.stdout):
        buffer += chunk
        *lines, buffer = buffer.split("\n")
        for line in lines:
            yield line


def _backend() -> str:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return "trio"
    return "asyncio"


@asynccontextmanager
async def python_process(*args: str) -> AsyncIterator[tuple[Process, AsyncIterator[str]]]:
    """``python *args`` from the project root; yields it and its stdout lines.

    The process finds the running anyio backend's name in ``$ANYACTORS_TEST_BACKEND``.

    On leaving, a process still running is killed with SIGKILL, by its PID.
    """
    environment = {**os.environ, BACKEND_VARIABLE: _backend()}
    process = await anyio.open_process(
        [sys.executable, *args], cwd=ROOT, stderr=None, env=environment
    )
    lines = _lines(process)
    try:
        yield process, lines
    finally:
        with anyio.CancelScope(shield=True):
            await lines.aclose()  # trio warns of an async generator left unfinished
        if process.returncode is None:
            os.kill(process.pid, signal.SIGKILL)
        with anyio.CancelScope(shield=True):
            await process.wait()
            await process.aclose()


async def kill(process: Process) -> None:
    """SIGKILL ``process`` (a crash: no goodbye) and wait until it has exited."""
    os.kill(process.pid, signal.SIGKILL)
    await process.wait()


async def wait_for_line(lines: AsyncIterator[str], prefix: str) -> str:
    """The next line starting with ``prefix``; fails if the process ends or is too slow."""
    with anyio.fail_after(LINE_TIMEOUT):
        async for line in lines:
            if line.startswith(prefix):
                return line
    raise AssertionError(f"the process ended before printing {prefix!r}")
