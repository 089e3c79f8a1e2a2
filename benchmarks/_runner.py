"""Running a workload: warm up, then interleaved repetitions of every system.

Within a repetition every system runs once, in the workload's order (A, B, A,
B, ...), so slow drift of the machine (thermal throttling, a noisy neighbour)
lands on every system alike, and each repetition yields one paired ratio.
In-process samples each run their own event loop after a full garbage
collection; isolated workloads run every sample in a fresh interpreter.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from attrs import frozen

import actors

from ._workload import Sample, Workload

#: The directory that holds the ``benchmarks`` package, for the child interpreters.
_ROOT = str(Path(__file__).resolve().parent.parent)


def runtime_fingerprint() -> str:
    """A short hash of the ``actors`` sources on disk, to tell runs of different code apart."""
    digest = hashlib.sha256()
    for source in sorted(Path(actors.__file__).parent.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


#: The sources this process imported (it imports ``actors`` before this module).
RUNTIME_FINGERPRINT = runtime_fingerprint()


class BenchmarkError(RuntimeError):
    """A run did not complete what it was asked to, or its interpreter failed."""


@frozen(kw_only=True)
class Result:
    """Every sample of one workload on one backend, by system, in repetition order."""

    workload: Workload
    backend: str
    size: int
    samples: Mapping[str, tuple[Sample, ...]]


def measure(workload: Workload, system: str, backend: str, size: int) -> Sample:
    """Take one sample, and check that the run completed ``size`` units of work.

    Raises:
        BenchmarkError: the count is wrong, or an isolated interpreter failed.
    """
    if workload.isolated:
        sample = _measure_isolated(workload, system, backend, size)
    else:
        gc.collect()
        sample = workload.implementations[system](size, backend)
    if sample.count != size:
        raise BenchmarkError(
            f"{workload.name} on {system}/{backend} completed {sample.count} of {size}; "
            "the workload or the system under test is broken"
        )
    return sample


def _measure_isolated(workload: Workload, system: str, backend: str, size: int) -> Sample:
    if runtime_fingerprint() != RUNTIME_FINGERPRINT:
        raise BenchmarkError(
            "the actors sources changed on disk during this run, so a fresh interpreter would "
            "measure other code than the rest of the table; run the benchmarks again"
        )
    command = [sys.executable, "-m", "benchmarks._child", workload.name, system, backend, str(size)]
    # Same working directory and PYTHONPATH as this process, so the child imports the
    # same ``actors``; the package's own directory last, so ``benchmarks`` is found.
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": _ROOT if not path else os.pathsep.join((path, _ROOT))}
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise BenchmarkError(
            f"{workload.name} on {system}/{backend} failed in its own interpreter "
            f"(exit status {completed.returncode}):\n{completed.stderr[-2000:]}"
        )
    data = json.loads(completed.stdout.splitlines()[-1])
    return Sample(count=int(data["count"]), value=float(data["value"]))


def run(
    workload: Workload,
    backend: str,
    *,
    size: int,
    repeat: int,
    progress: Callable[[str], None] = lambda _line: None,
) -> Result:
    """Warm up each system at the quick size, then take ``repeat`` interleaved samples of each.

    Isolated workloads skip the warm-up: every sample starts cold by design.
    """
    systems = tuple(workload.implementations)
    if not workload.isolated:
        for system in systems:
            measure(workload, system, backend, min(size, workload.quick_size))
    samples: dict[str, list[Sample]] = {system: [] for system in systems}
    for repetition in range(1, repeat + 1):
        for system in systems:
            sample = measure(workload, system, backend, size)
            samples[system].append(sample)
            progress(
                f"{workload.name} {backend} #{repetition} {system}: "
                f"{sample.value:,.0f} {workload.unit}"
            )
    return Result(
        workload=workload,
        backend=backend,
        size=size,
        samples={system: tuple(taken) for system, taken in samples.items()},
    )
