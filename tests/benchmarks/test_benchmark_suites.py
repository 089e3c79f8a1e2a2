"""``python -m benchmarks`` runs the layer suites after the Savina table, in one process.

Only the sharding suite runs here (under a second at ``--quick``); the heavy
suites (a nats-server, a PostgreSQL server, Pykka) are exercised by their own
tests and by the command itself, never by this file.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs
import pytest

from benchmarks import WORKLOADS
from benchmarks.__main__ import main
from benchmarks._suites import SUITES, Requirement, Suite, SuiteOptions, run_suite

_ABSENT = Requirement(name="anyactors_no_such_module", install="pip install no-such-extra")


def _recorder(ran: list[tuple[str, SuiteOptions]]) -> Callable[..., list[str]]:
    """A stand-in for ``run_suite`` that records the suite and its options, and runs nothing."""

    def run(suite: Suite, options: SuiteOptions, *, progress: object) -> list[str]:
        ran.append((suite.name, options))
        return []

    return run


def test_only_a_suite_prints_that_suites_table_and_no_savina_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["--only", "sharding", "--quick", "--repeat", "1"])
    out = capsys.readouterr().out
    assert "## Local sharding against plain refs (issue 12)" in out
    assert "Targets: entity tell >= 0.5x plain tell" in out
    assert "`python -m benchmarks._sharding --quick --repeat 1`" in out
    assert re.search(
        r"^\| tell x 20,000 to one actor \| [\d,]+ \| [\d,]+ \| [\d.]+x \|$", out, re.M
    )
    assert re.search(r"^\| first message to 2,000 new ids \(activations\) \|", out, re.M)
    assert "interleaved repetitions" not in out  # the Savina header
    assert "## " + SUITES["persistence"].title not in out


def test_a_savina_only_selection_runs_no_suite(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[tuple[str, SuiteOptions]] = []
    monkeypatch.setattr("benchmarks.__main__.run_suite", _recorder(ran))
    main(["--only", "pingpong", "--quick", "--repeat", "1", "--backend", "asyncio", "--no-peers"])
    out = capsys.readouterr().out
    assert ran == []
    assert re.search(r"^\| pingpong \| asyncio \|", out, re.M)
    assert "## " not in out


def test_no_selection_runs_every_workload_then_every_suite(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    savina: list[list[str]] = []
    suites: list[tuple[str, SuiteOptions]] = []
    monkeypatch.setattr(
        "benchmarks.__main__._savina", lambda options, names: savina.append(list(names))
    )
    monkeypatch.setattr("benchmarks.__main__.run_suite", _recorder(suites))
    main(["--quick", "--backend", "trio"])
    assert savina == [list(WORKLOADS)]
    assert [name for name, _ in suites] == list(SUITES)
    assert {options for _, options in suites} == {
        SuiteOptions(quick=True, repeat=None, backend="trio")
    }


def test_a_missing_requirement_skips_the_suite_with_the_install_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines: list[str] = []
    suite = attrs.evolve(SUITES["sharding"], requires=(_ABSENT,))
    failures = run_suite(
        suite, SuiteOptions(quick=True, repeat=1, backend=None), progress=lines.append
    )
    out = capsys.readouterr().out
    skipped = (
        "skipped sharding: not installed (anyactors_no_such_module: pip install no-such-extra)"
    )
    assert failures == []
    assert lines == [skipped]
    assert skipped in out
    assert "| tell x" not in out  # the module never ran


def test_a_missing_optional_requirement_leaves_out_only_its_part(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines: list[str] = []
    suite = attrs.evolve(SUITES["sharding"], optional=((_ABSENT, ("--backend", "asyncio")),))
    run_suite(suite, SuiteOptions(quick=True, repeat=1, backend=None), progress=lines.append)
    out = capsys.readouterr().out
    assert "sharding: part skipped, anyactors_no_such_module not installed" in lines[0]
    assert "`python -m benchmarks._sharding --quick --repeat 1 --backend asyncio`" in out
    assert "| tell x 20,000 to one actor |" in out


@pytest.mark.parametrize(
    ("name", "options", "argv"),
    [
        (
            "persistence",
            SuiteOptions(quick=True, repeat=2, backend="trio"),
            ["--quick", "--repeat", "2", "--backend", "trio"],
        ),
        ("sharding", SuiteOptions(quick=False, repeat=None, backend="asyncio+uvloop"), []),
        (
            "cluster-sharding",
            SuiteOptions(quick=True, repeat=3, backend="trio"),
            ["--messages", "5000", "--repeat", "3"],
        ),
        ("remote", SuiteOptions(quick=True, repeat=None, backend="trio"), ["--quick"]),
        (
            "blocking",
            SuiteOptions(quick=True, repeat=2, backend="asyncio"),
            ["--size", "500", "--repeat", "2"],
        ),
    ],
)
def test_each_suite_gets_only_the_options_its_module_takes(
    name: str, options: SuiteOptions, argv: list[str]
) -> None:
    assert SUITES[name].arguments(options) == argv


def test_a_suite_name_and_a_workload_name_never_clash() -> None:
    assert not set(SUITES) & set(WORKLOADS)


def test_a_suite_that_stops_is_reported_and_the_command_fails_after_the_others(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines: list[str] = []
    broken = attrs.evolve(SUITES["sharding"], arguments=lambda options: ["--backend", "nope"])
    failures = run_suite(
        broken, SuiteOptions(quick=True, repeat=1, backend=None), progress=lines.append
    )
    assert failures == ["suite sharding stopped: 2"]  # argparse's exit status
    assert lines[-1] == "suite sharding stopped: 2"
    assert "suite sharding stopped: 2" in capsys.readouterr().out

    ran: list[str] = []

    def stop_the_first(suite: Suite, options: SuiteOptions, *, progress: object) -> list[str]:
        ran.append(suite.name)
        return ["stopped"] if len(ran) == 1 else []

    monkeypatch.setattr("benchmarks.__main__.run_suite", stop_the_first)
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "persistence", "--only", "sharding"])
    assert exit_info.value.code == 1
    assert ran == ["persistence", "sharding"]
