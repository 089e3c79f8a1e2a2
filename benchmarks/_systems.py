"""The systems under comparison, the backends, and how each one is run.

anyactors and the baseline run inside an event loop that :func:`run_async`
opens per sample; ``asyncio+uvloop`` is asyncio with uvloop's loop. The peers
(Pykka, Thespian) are synchronous: they run in the calling thread, outside any
event loop, and are imported only when a sample of theirs is taken, so that
``benchmarks`` imports without the optional ``bench`` extra.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Awaitable, Callable
from typing import Any, TypeVarTuple, Unpack

import anyio

from ._workload import ANYACTORS, BASELINE, PYKKA, THESPIAN, Implementation, Sample

#: Every backend this package knows, in report order.
BACKENDS = ("asyncio", "asyncio+uvloop", "trio")
#: Peers and the module that provides each.
PEERS = {PYKKA: "pykka", THESPIAN: "thespian"}
#: Every system, in the order each repetition runs them.
SYSTEMS = (ANYACTORS, BASELINE, PYKKA, THESPIAN)

_Args = TypeVarTuple("_Args")


def available(name: str) -> bool:
    """Whether a backend or peer system can run here (its package is installed)."""
    module = {"asyncio+uvloop": "uvloop", "trio": "trio", **PEERS}.get(name)
    return module is None or importlib.util.find_spec(module) is not None


def available_backends() -> tuple[str, ...]:
    """The backends of :data:`BACKENDS` that can run here."""
    return tuple(backend for backend in BACKENDS if available(backend))


def run_async(
    fn: Callable[[Unpack[_Args]], Awaitable[Sample]], *args: *_Args, backend: str
) -> Sample:
    """Run ``fn(*args)`` in a new event loop of ``backend`` (one of :data:`BACKENDS`)."""
    if backend == "asyncio+uvloop":
        return anyio.run(fn, *args, backend="asyncio", backend_options={"use_uvloop": True})
    return anyio.run(fn, *args, backend=backend)


def peer(module: str, function: str) -> Implementation:
    """An implementation that imports ``benchmarks.<module>`` only when a sample is taken.

    Peers ignore the backend: they never run inside an event loop.
    """

    def implementation(size: int, _backend: str) -> Sample:
        run: Any = getattr(importlib.import_module(f"benchmarks.{module}"), function)
        sample: Sample = run(size)
        return sample

    implementation.__name__ = f"{module}.{function}"
    return implementation


def peers(function: str) -> dict[str, Implementation]:
    """Both peers' implementations of one workload, by system name."""
    return {PYKKA: peer("_pykka", function), THESPIAN: peer("_thespian", function)}
