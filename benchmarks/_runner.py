"""Running a workload: warm up, then interleaved repetitions of every system.

Within a repetition every system runs once, in the workload's order (A, B, A,
B, ...), so slow drift of the machine (thermal throttling, a noisy neighbour)
lands on every system alike, and each repetition yields one paired ratio.
In-process samples each run their own event loop after a full garbage
collection; isolated workloads run every sample in a fresh interpreter.
"""

from __future__ import annotations

import atexit
import gc
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from attrs import frozen

import actors

from ._workload import ANYACTORS, BASELINE, Sample, Workload

#: The packages a child interpreter imports, copied when this module is imported.
_SNAPSHOT_PACKAGES = ("actors", "supervision", "benchmarks")


def runtime_fingerprint(root: Path | None = None) -> str:
    """A short hash of the ``actors`` sources (on disk, or under ``root``)."""
    package = Path(actors.__file__).parent if root is None else root / "actors"
    digest = hashlib.sha256()
    for source in sorted(package.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def _snapshot() -> Path:
    """Copy the packages this process imported, so fresh interpreters run the same code.

    Other people may edit ``actors/`` while a long run goes on; the memory
    samples, taken in fresh interpreters, import this copy instead, so every
    row of one table measures one version of the runtime.
    """
    root = Path(tempfile.mkdtemp(prefix="anyactors-bench-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    for name in _SNAPSHOT_PACKAGES:
        source = Path(importlib.import_module(name).__file__ or "").parent
        shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


#: The copy that child interpreters import (made as this module is imported, right
#: after ``actors``), and the hash of its ``actors`` sources, printed in the header.
_SNAPSHOT = _snapshot()
RUNTIME_FINGERPRINT = runtime_fingerprint(_SNAPSHOT)


class BenchmarkError(RuntimeError):
    """A run did not complete what it was asked to, or its interpreter failed."""


@frozen(kw_only=True)
class Result:
    """Every sample of one workload on one backend, by system, in repetition order."""

    workload: Workload
    backend: str
    size: int
    samples: Mapping[str, tuple[Sample, ...]]
    #: The size each system ran at (peers may run smaller: see ``Workload.peer_size``).
    sizes: Mapping[str, int]


def measure(workload: Workload, system: str, backend: str, size: int) -> Sample:
    """Take one sample at ``size`` (exactly: no peer cap), and check its count.

    A correct run of size ``n`` reports ``workload.expected(n)``: ``n`` units
    of work for most workloads, fib(n) for Fibonacci.

    Raises:
        BenchmarkError: the count is wrong, or an isolated interpreter failed.
    """
    if workload.isolated:
        sample = _measure_isolated(workload, system, backend, size)
    else:
        gc.collect()
        sample = workload.implementations[system](size, backend)
    expected = workload.expected(size)
    if sample.count != expected:
        raise BenchmarkError(
            f"{workload.name} on {system}/{backend} at size {size} counted {sample.count}, "
            f"not {expected}; the workload or the system under test is broken"
        )
    return sample


def _measure_isolated(workload: Workload, system: str, backend: str, size: int) -> Sample:
    command = [sys.executable, "-m", "benchmarks._child", workload.name, system, backend, str(size)]
    # The snapshot is the working directory (first on the child's sys.path, ahead of
    # the editable install), so the child runs the code this process imported.
    path = os.environ.get("PYTHONPATH")
    snapshot = str(_SNAPSHOT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (snapshot, path)))}
    completed = subprocess.run(
        command, cwd=snapshot, env=env, capture_output=True, text=True, check=False
    )
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
    systems: Sequence[str] | None = None,
    progress: Callable[[str], None] = lambda _line: None,
) -> Result:
    """:func:`run_backends` on one backend: ``repeat`` interleaved samples of each system."""
    (result,) = run_backends(
        workload, (backend,), size=size, repeat=repeat, systems=systems, progress=progress
    )
    return result


def run_backends(
    workload: Workload,
    backends: Sequence[str],
    *,
    size: int,
    repeat: int,
    systems: Sequence[str] | None = None,
    progress: Callable[[str], None] = lambda _line: None,
) -> list[Result]:
    """Warm up, then take ``repeat`` interleaved samples of every system on every backend.

    Each repetition runs anyactors and the baseline on each backend in turn,
    then each peer once (peers do not use an event loop; their samples are
    shared by every backend's :class:`Result`). So every ratio, between
    systems or between backends, is paired within a repetition. ``systems``
    defaults to every implementation of the workload; each runs at
    ``workload.size_for(system, size)``. Isolated workloads skip the warm-up:
    every sample starts cold by design.
    """
    systems = tuple(workload.implementations) if systems is None else tuple(systems)
    sizes = {system: workload.size_for(system, size) for system in systems}
    in_loop = [system for system in systems if system in (ANYACTORS, BASELINE)]
    pairs = [(backend, system) for backend in backends for system in in_loop]
    pairs += [(backends[0], system) for system in systems if system not in in_loop]
    if not workload.isolated:
        for backend, system in pairs:
            measure(workload, system, backend, workload.size_for(system, workload.quick_size))
    samples: dict[tuple[str, str], list[Sample]] = {pair: [] for pair in pairs}
    for repetition in range(1, repeat + 1):
        for backend, system in pairs:
            sample = measure(workload, system, backend, sizes[system])
            samples[backend, system].append(sample)
            where = backend if system in in_loop else "no event loop"
            progress(
                f"{workload.name} #{repetition} {system} ({where}): "
                f"{sample.value:,.0f} {workload.unit}"
            )
    return [
        Result(
            workload=workload,
            backend=backend,
            size=size,
            samples={
                system: tuple(taken)
                for (on, system), taken in samples.items()
                if on == backend or system not in in_loop
            },
            sizes=sizes,
        )
        for backend in backends
    ]
