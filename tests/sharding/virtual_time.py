"""Running a scenario in virtual time on both backends (trio's MockClock, asyncio's VirtualTimeLoop)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from actors.testing import VirtualTimeLoop

BACKENDS = ["trio", "asyncio"]


def run_in_virtual_time(backend: str, scenario: Callable[[], Awaitable[None]]) -> None:
    """Run ``scenario`` to completion on ``backend`` with a clock that jumps when all is idle."""
    if backend == "trio":
        import trio
        import trio.testing

        trio.run(scenario, clock=trio.testing.MockClock(autojump_threshold=0))
    else:
        anyio.run(scenario, backend="asyncio", backend_options={"loop_factory": VirtualTimeLoop})
