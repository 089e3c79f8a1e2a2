"""``python -m benchmarks``: run the workloads against the baseline and print the table.

Usage::

    python -m benchmarks [--backend asyncio|trio|all] [--repeat N] [--quick]
                         [--only NAME ...] [--million]

Progress goes to stderr; the table (Markdown) goes to stdout.
"""

from __future__ import annotations

import argparse
import platform
import sys
from importlib.metadata import version

from ._registry import WORKLOADS
from ._report import markdown
from ._runner import RUNTIME_FINGERPRINT, Result, run, runtime_fingerprint

_BACKENDS = ("asyncio", "trio")
_MILLION = 1_000_000


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure anyactors against a minimal hand-written multiplexer in the same run.",
    )
    parser.add_argument(
        "--backend",
        choices=(*_BACKENDS, "all"),
        default="all",
        help="event loop(s) to run on (default: all)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="interleaved repetitions per system (default: 5, 3 with --quick)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a tenth of the default sizes, for a smoke run"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=tuple(WORKLOADS),
        metavar="NAME",
        help=f"run only this workload (repeatable): {', '.join(WORKLOADS)}",
    )
    parser.add_argument(
        "--million",
        action="store_true",
        help="idle-memory with 1,000,000 actors per process (about 1 GiB per sample)",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    """Parse ``argv``, run the chosen workloads, and print the table."""
    parser = _parser()
    options = parser.parse_args(argv)
    repeat = options.repeat if options.repeat is not None else (3 if options.quick else 5)
    if repeat < 1:
        parser.error(f"--repeat must be >= 1 (got {repeat})")
    backends = _BACKENDS if options.backend == "all" else (options.backend,)
    names = options.only or tuple(WORKLOADS)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    results: list[Result] = []
    for name in names:
        workload = WORKLOADS[name]
        size = workload.quick_size if options.quick else workload.size
        if options.million and name == "idle-memory":
            size = _MILLION
        results.extend(
            run(workload, backend, size=size, repeat=repeat, progress=progress)
            for backend in backends
        )
    if runtime_fingerprint() != RUNTIME_FINGERPRINT:
        progress("warning: the actors sources changed on disk during this run")
    print(
        f"anyactors {version('anyactors')} (sources {RUNTIME_FINGERPRINT}), "
        f"Python {platform.python_version()} "
        f"({platform.python_implementation()}), anyio {version('anyio')}, trio {version('trio')}, "
        f"{platform.system()} {platform.machine()}; "
        f"median [min-max] of {repeat} interleaved repetitions"
    )
    print()
    print(markdown(results))


if __name__ == "__main__":
    main()
