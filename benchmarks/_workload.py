"""What a workload is: a size, a unit, and one implementation per system.

A workload is data. The runner calls each implementation with a size and a
backend name; the implementation runs its own event loop, times only the part
that matters, and returns a :class:`Sample`. Systems are keyed by name, and
every ratio is against the one named :data:`BASELINE`, so adding a peer (say
Pykka) to a workload is one more entry in its ``implementations``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

import anyio
from attrs import field, frozen

#: The system every ratio is measured against.
BASELINE = "baseline"
#: The system under test.
ANYACTORS = "anyactors"
#: The peers: Pykka's threading actors and Thespian's in-process ``simpleSystemBase``.
PYKKA = "pykka"
THESPIAN = "thespian"


@frozen(kw_only=True)
class Sample:
    """One measurement of one system.

    Args:
        count: how much the run completed (messages, replies, started actors);
            the runner checks it equals the size it asked for.
        value: the number the workload reports, in its ``unit``.
    """

    count: int
    value: float


#: ``implementation(size, backend) -> Sample``; it runs (and closes) its own event loop.
Implementation = Callable[[int, str], Sample]


@frozen(kw_only=True)
class Target:
    """A goal from the issue tracker: a bound on the ratio, on the absolute value, or both.

    A bound is a minimum for workloads where higher is better, else a maximum.
    """

    ratio: float | None = None
    value: float | None = None
    #: anyactors on another backend over anyactors on asyncio (trio >= 0.8x asyncio).
    backend_ratio: float | None = None
    #: anyactors over each peer, by peer name (e.g. ``{"pykka": 10.0}``).
    peers: Mapping[str, float] = field(factory=dict)


def _same(size: int) -> int:
    return size


def _check_implementations(
    _instance: object, _attribute: object, value: Mapping[str, Implementation]
) -> None:
    if BASELINE not in value:
        raise ValueError(f"a workload needs a {BASELINE!r} implementation (got {sorted(value)})")


@frozen(kw_only=True)
class Workload:
    """One benchmark: what it measures and how each system does it.

    Args:
        name: the name ``--only`` selects.
        summary: one line on what it measures and what it stresses.
        unit: the unit of :attr:`Sample.value`, e.g. ``"msg/s"``.
        size: the default size (messages, asks, actors).
        quick_size: the size under ``--quick``.
        implementations: system name to implementation; must include the baseline.
        higher_is_better: ``True`` for rates, ``False`` for costs such as bytes.
        isolated: run every sample in a fresh interpreter (memory workloads).
        target: the goal the report checks, if any.
        peer_size: the size each peer runs at, when its must be smaller (Pykka
            runs a thread per actor); rates are per second, so they compare.
        expected: the count a correct run of size ``n`` reports (``n`` itself,
            or ``fib(n)`` for Fibonacci).
    """

    name: str
    summary: str
    unit: str
    size: int
    quick_size: int
    implementations: Mapping[str, Implementation] = field(validator=_check_implementations)
    higher_is_better: bool = True
    isolated: bool = False
    target: Target = Target()
    peer_size: Mapping[str, int] = field(factory=dict)
    expected: Callable[[int], int] = _same

    def size_for(self, system: str, size: int) -> int:
        """The size ``system`` runs at when the others run at ``size``."""
        return min(size, self.peer_size.get(system, size))


class Countdown:
    """Counts events down to zero and then sets an ``anyio.Event`` that a host task awaits.

    Shared by the implementations of both systems so they signal completion the
    same way; create it inside the event loop that awaits it.
    """

    __slots__ = ("done", "remaining")

    def __init__(self, count: int) -> None:
        self.remaining = count
        self.done = anyio.Event()

    def tick(self) -> None:
        """Count one event; the last one sets :attr:`done`."""
        self.remaining -= 1
        if self.remaining == 0:
            self.done.set()


class Signal(Protocol):
    """Something a run sets once when it is done (``anyio.Event``, ``threading.Event``)."""

    def set(self) -> None: ...


class Latch:
    """Counts events down to zero, then sets ``done``; like :class:`Countdown`, for any signal."""

    __slots__ = ("done", "remaining")

    def __init__(self, count: int, done: Signal) -> None:
        self.remaining = count
        self.done = done

    def tick(self) -> None:
        """Count one event; the last one sets :attr:`done`."""
        self.remaining -= 1
        if self.remaining == 0:
            self.done.set()
