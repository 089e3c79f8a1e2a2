"""Benchmarks of anyactors, each against a minimal baseline measured in the same run.

Run them with ``python -m benchmarks`` (or ``make bench``); see
``docs/benchmarks.md``. Each :class:`Workload` has one implementation per
system; :data:`WORKLOADS` lists them; :func:`run` takes interleaved
repetitions and :func:`markdown` renders the table of medians and ratios.
"""

from ._registry import WORKLOADS as WORKLOADS
from ._report import markdown as markdown
from ._runner import BenchmarkError as BenchmarkError
from ._runner import Result as Result
from ._runner import measure as measure
from ._runner import run as run
from ._workload import ANYACTORS as ANYACTORS
from ._workload import BASELINE as BASELINE
from ._workload import Sample as Sample
from ._workload import Target as Target
from ._workload import Workload as Workload

__all__ = [
    "ANYACTORS",
    "BASELINE",
    "WORKLOADS",
    "BenchmarkError",
    "Result",
    "Sample",
    "Target",
    "Workload",
    "markdown",
    "measure",
    "run",
]
