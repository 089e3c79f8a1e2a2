"""Failures are visible by default, and the ``ActorStopped`` they cause says why.

With no logging configured, a fresh interpreter shows one line on stderr per
actor failure, restart-limit escalation and top-level stop; once the
application configures logging, its handlers show the same records with
their tracebacks, and the runtime's own line steps aside (no duplicates).
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from actors import Actor, ActorStopped, ActorSystem, Supervisor
from supervision import Directive, OneForOne, child

SCRIPT = """
import logging, sys
import anyio
from actors import Actor, ActorSystem, Supervisor
from supervision import OneForOne, child

if sys.argv[2] == "configured":
    logging.basicConfig()
elif sys.argv[2] == "silenced":
    logging.lastResort = None

class Worker(Actor):
    def receive(self, message):
        raise ValueError("boom")

class Tree(Supervisor):
    strategy = OneForOne(max_restarts=1, within=60.0)
    children = [child(Worker, name="w")]

async def main():
    async with ActorSystem() as system:
        system.spawn(Tree, name="tree")
        worker = system.lookup("tree/w")
        for _ in range(2):
            try:
                await worker.ask("work")
            except ValueError:
                pass
    print("done")

anyio.run(main, backend=sys.argv[1])
"""

EXPECTED_LINES = [
    "ERROR:actors._supervising:/user/tree/w failed with ValueError('boom'); "
    "supervisor /user/tree: restart w",
    "ERROR:actors._supervising:/user/tree/w failed with ValueError('boom'); "
    "supervisor /user/tree: escalate (more than 1 restarts within 60.0 s; "
    "its children are stopped)",
    "ERROR:actors._supervising:/user/tree failed with RestartIntensityExceeded("
    "'/user/tree restarted its children more than 1 times within 60.0 s; it stopped them "
    "all and escalates'); supervisor /user: stop (a top-level actor that escalates is "
    "stopped, not restarted)",
]


def run_script(tmp_path: Path, backend: str, logging_setup: str) -> str:
    script = tmp_path / "failing.py"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), backend, logging_setup],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "done\n"
    return done.stderr


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_with_no_logging_configured_each_failure_is_one_line_on_stderr(
    tmp_path: Path, backend: str
) -> None:
    assert run_script(tmp_path, backend, "nothing").splitlines() == EXPECTED_LINES


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_configured_logging_shows_tracebacks_and_no_duplicate_lines(
    tmp_path: Path, backend: str
) -> None:
    stderr = run_script(tmp_path, backend, "configured")
    headlines = [line for line in stderr.splitlines() if line.startswith("ERROR:")]
    assert headlines == EXPECTED_LINES
    assert stderr.count("Traceback (most recent call last):") == 3
    assert stderr.count('raise ValueError("boom")') == 3


def test_the_runtime_line_respects_a_silenced_last_resort(tmp_path: Path) -> None:
    assert run_script(tmp_path, "asyncio", "silenced") == ""


class Failing(Actor):
    def receive(self, message: Any) -> Any:
        if message == "fail":
            raise KeyError("ledger")
        return message


def stop_on_key_error(error: BaseException) -> Directive:
    return Directive.STOP if isinstance(error, KeyError) else Directive.RESTART


class Branch(Supervisor):
    strategy = OneForOne(decider=stop_on_key_error)
    children = (child(Failing, name="teller"), child(Failing, name="clerk"))


@pytest.mark.anyio
async def test_actor_stopped_after_a_failure_carries_it_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with ActorSystem() as system:
        system.spawn(Branch, name="branch")
        teller = system.lookup("branch/teller")
        clerk = system.lookup("branch/clerk")
        assert teller is not None
        assert clerk is not None
        with pytest.raises(KeyError) as failure:
            await teller.ask("fail")
        with pytest.raises(
            ActorStopped,
            match=(
                r"^/user/branch/teller has stopped after a failure \(KeyError\('ledger'\)\); "
                r"it cannot answer 'anyone\?'$"
            ),
        ) as stopped:
            await teller.ask("anyone?")
        assert stopped.value.__cause__ is failure.value
        # A deliberate stop has no failure to carry.
        await system.stop(clerk)
        with pytest.raises(
            ActorStopped, match=r"^/user/branch/clerk has stopped; it cannot answer 'anyone\?'$"
        ) as deliberate:
            await clerk.ask("anyone?")
        assert deliberate.value.__cause__ is None
    # The record carries the exception, for handlers that render tracebacks.
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is not None
    assert record.exc_info[1] is failure.value


class Team(Supervisor):
    strategy = OneForOne(max_restarts=0, within=60.0)
    children = (child(Failing, name="lead"), child(Branch, name="branch"))


@pytest.mark.anyio
async def test_descendants_stopped_by_an_escalation_carry_it() -> None:
    async with ActorSystem() as system:
        system.spawn(Team, name="team")
        lead = system.lookup("team/lead")
        teller = system.lookup("team/branch/teller")
        assert lead is not None
        assert teller is not None
        with pytest.raises(KeyError):
            await lead.ask("fail")
        with pytest.raises(
            ActorStopped,
            match=r"^/user/team/branch/teller has stopped after a failure "
            r"\(RestartIntensityExceeded\('/user/team restarted its children more than 0 times",
        ) as stopped:
            await teller.ask("anyone?")
        assert isinstance(stopped.value.__cause__.__cause__, KeyError)  # type: ignore[union-attr]
