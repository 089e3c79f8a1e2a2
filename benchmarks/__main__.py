"""``python -m benchmarks``: run the workloads against the baseline and print the table.

Usage::

    python -m benchmarks [--backend asyncio|asyncio+uvloop|trio|all] [--repeat N]
                         [--quick] [--only NAME ...] [--million] [--no-peers]

Each repetition runs anyactors and the baseline on every backend in turn, then
each peer once (peers use no event loop; their samples show on every row).
Then the layer suites (``benchmarks/_suites.py``: persistence, sharding,
cluster-sharding, remote, blocking) run in the same process, each printing its
own table against its own baseline. ``--only`` takes a workload or a suite
name; with none, everything runs. Progress goes to stderr; the tables
(Markdown) go to stdout.
"""

from __future__ import annotations

import argparse
import platform
import sys
from importlib.metadata import version

from ._registry import WORKLOADS
from ._report import markdown
from ._runner import RUNTIME_FINGERPRINT, Result, run_backends, runtime_fingerprint
from ._suites import SUITES, SuiteOptions, run_suite
from ._systems import BACKENDS, PEERS, available, available_backends
from ._workload import ANYACTORS, BASELINE

_BACKENDS = BACKENDS
_MILLION = 1_000_000


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Measure anyactors against Pykka, Thespian and a minimal hand-written "
            "multiplexer in the same run, then each layer suite against its own baseline."
        ),
    )
    parser.add_argument(
        "--backend",
        choices=(*_BACKENDS, "all"),
        default="all",
        help=(
            "event loop(s) to run on (default: all that are installed); the suites "
            "persistence and sharding take asyncio or trio, any other choice leaves "
            "them on their default (asyncio); cluster-sharding runs on asyncio, remote "
            "and blocking on both, whatever this says"
        ),
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help=(
            "interleaved repetitions per system (default: 5, 3 with --quick); "
            "passed to every suite, which otherwise uses its own default"
        ),
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a tenth of the default sizes, for a smoke run (suites too)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=(*WORKLOADS, *SUITES),
        metavar="NAME",
        help=(
            f"run only this workload or suite (repeatable; default: all): "
            f"{', '.join(WORKLOADS)}; suites: {', '.join(SUITES)}"
        ),
    )
    parser.add_argument(
        "--million",
        action="store_true",
        help=(
            "idle-memory and idle-memory-used with 1,000,000 actors per process "
            "(about 1 GiB per sample)"
        ),
    )
    parser.add_argument(
        "--no-peers", action="store_true", help="skip Pykka and Thespian (anyactors and the limit)"
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    """Parse ``argv``, run the chosen workloads and suites, and print their tables.

    Raises:
        SystemExit: with status 1 after every table is printed, if a suite stopped
            with an error (a suite skipped for a missing extra is not an error).
    """
    parser = _parser()
    options = parser.parse_args(argv)
    if options.repeat is not None and options.repeat < 1:
        parser.error(f"--repeat must be >= 1 (got {options.repeat})")
    chosen = options.only or (*WORKLOADS, *SUITES)
    names = [name for name in chosen if name in WORKLOADS]
    if names:
        _savina(options, names)
    suite_options = SuiteOptions(
        quick=options.quick,
        repeat=options.repeat,
        backend=None if options.backend == "all" else options.backend,
    )
    failures = [
        failure
        for name in chosen
        if name in SUITES
        for failure in run_suite(SUITES[name], suite_options, progress=_progress)
    ]
    if failures:
        raise SystemExit(1)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _savina(options: argparse.Namespace, names: list[str]) -> None:
    """The Savina workloads, ask, spawn and memory against the baseline and the peers."""
    repeat = options.repeat if options.repeat is not None else (3 if options.quick else 5)
    backends = available_backends() if options.backend == "all" else (options.backend,)
    peers = () if options.no_peers else tuple(peer for peer in PEERS if available(peer))
    results: list[Result] = []
    for name in names:
        workload = WORKLOADS[name]
        size = workload.quick_size if options.quick else workload.size
        if options.million and name.startswith("idle-memory"):
            size = _MILLION
        systems = tuple(
            system for system in (ANYACTORS, BASELINE, *peers) if system in workload.implementations
        )
        results += run_backends(
            workload, backends, size=size, repeat=repeat, systems=systems, progress=_progress
        )
    if runtime_fingerprint() != RUNTIME_FINGERPRINT:
        _progress(
            "note: the actors sources changed on disk during this run; every sample "
            f"measured the sources {RUNTIME_FINGERPRINT} imported (or copied) at its start"
        )
    peer_versions = "".join(f", {PEERS[peer]} {version(PEERS[peer])}" for peer in peers)
    uvloop = f", uvloop {version('uvloop')}" if "asyncio+uvloop" in backends else ""
    print(
        f"anyactors {version('anyactors')} (sources {RUNTIME_FINGERPRINT}), "
        f"Python {platform.python_version()} "
        f"({platform.python_implementation()}), anyio {version('anyio')}, trio {version('trio')}"
        f"{uvloop}{peer_versions}, {platform.system()} {platform.machine()}; "
        f"median [min-max] of {repeat} interleaved repetitions"
    )
    print()
    print(markdown(results))


if __name__ == "__main__":
    main()
