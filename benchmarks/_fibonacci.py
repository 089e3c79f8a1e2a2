"""``fibonacci``: compute fib(n) with a tree of actors, one per call (Savina Fibonacci).

Each actor is told ``k``; for ``k < 2`` it reports ``k`` to its parent, else it
spawns two children, tells them ``k - 1`` and ``k - 2``, and reports the sum
of their answers. fib(20) spawns 21,891 actors. The rate is actors per second,
timed from the root's spawn until the root has its answer; the run's count is
the answer, which the runner checks against fib(n). It stresses spawning from
inside a handler, under a parent, and short-lived actors that each handle
three messages.
"""

from __future__ import annotations

import time
from typing import Any

import anyio

from ._sides import AsyncHost, Logic, SyncHost, anyactors, baseline
from ._systems import peers
from ._workload import ANYACTORS, BASELINE, PYKKA, THESPIAN, Sample, Workload


def fib(n: int) -> int:
    """The ``n``-th Fibonacci number, iteratively."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def actors_for(n: int) -> int:
    """How many actors the tree for fib(``n``) has: one per call of the naive recursion."""
    return 2 * fib(n + 1) - 1


class Answer:
    """Where the root actor leaves the result, and the signal it sets."""

    __slots__ = ("done", "value")

    def __init__(self, done: Any) -> None:
        self.done = done
        self.value = -1

    def deliver(self, value: int) -> None:
        self.value = value
        self.done.set()


class Fib(Logic):
    """One call of the recursion: told ``k``, reports ``(fib(k),)`` to its parent."""

    def setup(self, parent: Any, answer: Answer | None) -> None:
        self.parent = parent
        self.answer = answer
        self.pending = 0
        self.total = 0

    def receive(self, message: Any) -> Any:
        if type(message) is int:
            if message < 2:
                self._report(message)
            else:
                self.pending = 2
                cls = type(self)
                self.make_child(cls, self.me, None).tell(message - 1)
                self.make_child(cls, self.me, None).tell(message - 2)
        else:
            self.total += message[0]
            self.pending -= 1
            if not self.pending:
                self._report(self.total)

    def _report(self, value: int) -> None:
        if self.answer is not None:
            self.answer.deliver(value)
        else:
            self.parent.tell((value,))


async def drive(host: AsyncHost, n: int) -> Sample:
    """Compute fib(``n``) with a tree of actors."""
    answer = Answer(anyio.Event())
    started = time.perf_counter()
    host.spawn(Fib, None, answer).tell(n)
    await answer.done.wait()
    elapsed = time.perf_counter() - started
    return Sample(count=answer.value, value=actors_for(n) / elapsed)


def drive_sync(host: SyncHost, n: int) -> Sample:
    """The same on a peer, from the calling thread."""
    answer = Answer(host.signal())
    started = time.perf_counter()
    host.spawn(Fib, None, answer).tell(n)
    host.wait(answer.done)
    elapsed = time.perf_counter() - started
    return Sample(count=answer.value, value=actors_for(n) / elapsed)


WORKLOAD = Workload(
    name="fibonacci",
    summary="fib(n) by a tree of actors, one per call; actors/s",
    unit="actor/s",
    size=20,
    quick_size=15,
    implementations={ANYACTORS: anyactors(drive), BASELINE: baseline(drive), **peers("fibonacci")},
    peer_size={PYKKA: 12, THESPIAN: 16},
    expected=fib,
)
