"""docs/embedding.md's snippets run as written, and the promises it makes beyond the unit tests."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
import threading
import types
from pathlib import Path
from typing import Any

import pytest

from actors import Actor, ActorStopped, ActorSystemClosed
from actors.blocking import BlockingActorSystem

ROOT = Path(__file__).resolve().parents[2]


def _block(containing: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "embedding.md").read_text(), re.S)
    [block] = [block for block in blocks if containing in block]
    return str(block)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )


def test_the_blocking_snippet_prints_the_balance_and_the_handler_error() -> None:
    done = _run(_block('BlockingActorSystem("bank")'))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "100\ndeposit must be positive (got -1)\n"


async def _run_cell(cell: str, namespace: dict[str, Any]) -> Any:
    """Run ``cell`` as IPython does: top-level ``await`` allowed; the last expression is its value."""
    tree = ast.parse(cell)
    last = tree.body[-1]
    if isinstance(last, ast.Expr):
        target = ast.Name(id="_cell_value", ctx=ast.Store())
        tree.body[-1] = ast.copy_location(ast.Assign(targets=[target], value=last.value), last)
        ast.fix_missing_locations(tree)
    namespace.pop("_cell_value", None)
    code = compile(tree, "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    outcome = types.FunctionType(code, namespace)()
    if outcome is not None:
        await outcome
    return namespace.get("_cell_value")


# IPython's autoawait keeps one loop across cells on asyncio only (see the page).
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_the_notebook_cells_run_with_top_level_await(anyio_backend: str) -> None:
    namespace: dict[str, Any] = {"__name__": "notebook"}
    exec(_block('BlockingActorSystem("bank")').split("\n\nwith ")[0], namespace)
    assert await _run_cell(_block("AsyncExitStack"), namespace) == 100
    assert namespace["system"].lookup("ada") is not None
    await _run_cell("await stack.aclose()", namespace)
    assert namespace["system"].lookup("ada") is None  # stopped gracefully


def test_a_system_never_shut_down_stops_gracefully_at_interpreter_exit() -> None:
    script = textwrap.dedent(
        """
        from actors import Actor
        from actors.blocking import BlockingActorSystem

        class Worker(Actor):
            def on_stop(self):
                print("worker stopped", flush=True)

            def receive(self, message):
                return message

        system = BlockingActorSystem("forgotten", backend="trio").start()
        print(system.spawn(Worker).ask("working"), flush=True)
        """
    )
    done = _run(script)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "working\nworker stopped\n"


class Fatal(BaseException):
    """Not an Exception: it escapes the runtime and ends the loop."""


class Doomed(Actor):
    def __init__(self, release: threading.Event) -> None:
        self.release = release

    def receive(self, message: Any) -> Any:
        if message == "die":
            raise Fatal("the loop dies")
        return message


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_when_the_loop_dies_callers_get_actor_system_closed_and_shutdown_raises(
    backend: str,
) -> None:
    system = BlockingActorSystem("dying", backend=backend).start()
    doomed = system.spawn(Doomed, threading.Event())
    assert doomed.ask("alive", timeout=10) == "alive"
    with pytest.raises((ActorSystemClosed, Fatal)):
        doomed.ask("die", timeout=10)
    with pytest.raises((ActorStopped, ActorSystemClosed)):  # as far as the loop got
        doomed.ask("after", timeout=10)
    with pytest.raises(BaseException) as raised:
        system.shutdown()
    assert (
        raised.group_contains(Fatal)
        if isinstance(raised.value, BaseExceptionGroup)
        else (isinstance(raised.value, Fatal))
    )
