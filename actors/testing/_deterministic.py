"""Deterministic mode: one event loop, seeded actor order, virtual time; replayable."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

from actors import ActorSystem

from ._virtual_time import VirtualTimeLoop

T = TypeVar("T")


def run_deterministic(
    main: Callable[[ActorSystem], Awaitable[T]],
    *,
    seed: int,
    name: str = "deterministic",
    **system_options: Any,
) -> T:
    """Run ``main(system)`` in a new ``ActorSystem(seed=seed)`` in virtual time; return the result.

    What makes a run replayable:

    * the system's scheduler draws the next runnable actor from ``seed``
      (``ActorSystem(seed=...)``), instead of FIFO, so different seeds
      explore different interleavings of actors;
    * it runs on a :class:`VirtualTimeLoop` (asyncio, whose ready queue is
      FIFO), so timers, backoff and timeouts take no real time and fire at
      the same virtual instants every run;
    * the runtime's dispatcher is one task, so there is no other source of
      scheduling order as long as handlers await nothing outside the system.

    The same ``seed`` and the same program give the same interleaving, and so
    the same result. Pair it with ``actors.testing.protocols.seeds()`` in a
    hypothesis test: a failing interleaving shrinks to a small seed that
    replays. It runs its own event loop, so call it from synchronous code
    (a plain test function), not from inside ``anyio.run``.

    Trio is not used here on purpose: trio's run loop shuffles each batch of
    runnable tasks at random, which a seed of ours cannot control.

    Raises:
        Exception: whatever ``main`` raises, unchanged.
    """

    async def run() -> T:
        async with ActorSystem(name, seed=seed, **system_options) as system:
            return await main(system)

    runner = functools.partial(
        anyio.run, run, backend="asyncio", backend_options={"loop_factory": VirtualTimeLoop}
    )
    return runner()
