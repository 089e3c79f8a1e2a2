"""``probe.within(min, max)``, as Akka TestKit's ``within``: in real and in virtual time."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from actors import Actor, ActorRef, ActorSystem
from actors.testing import Probe, spawn_probe, virtual_time_backend

pytestmark = pytest.mark.anyio


class Delayed(Actor):
    """Sends ``message`` to ``listener`` ``delay`` seconds after it starts."""

    def __init__(self, listener: ActorRef, delay: float, message: str) -> None:
        self.listener = listener
        self.delay = delay
        self.message = message

    def on_start(self) -> None:
        self.context.schedule_once(self.delay, self.message)

    def receive(self, message: Any) -> Any:
        self.listener.tell(message)


# Real time, both backends. The bounds are far from what the blocks take, so
# that a loaded machine cannot make these fail.


async def test_a_block_inside_its_bounds_passes(actor_system: ActorSystem, probe: Probe) -> None:
    async with probe.within(0.05, 30.0):
        actor_system.spawn(Delayed, probe.ref, 0.1, "late")
        assert await probe.expect(str) == "late"


async def test_a_block_that_finishes_before_min_fails(probe: Probe) -> None:
    probe.ref.tell("early")
    with pytest.raises(
        AssertionError, match=r"^the block must take at least min=30.0 s but finished after \S+ s$"
    ):
        async with probe.within(30.0, 60.0):
            assert await probe.expect(str) == "early"


async def test_a_block_still_running_at_max_is_cancelled_and_fails(probe: Probe) -> None:
    reached_the_end = False

    async def overrun() -> None:
        nonlocal reached_the_end
        async with probe.within(0.05):
            await anyio.sleep_forever()
            reached_the_end = True

    with pytest.raises(
        AssertionError,
        match=r"^the block must finish within max=0.05 s but was still running then; "
        r"it was cancelled$",
    ):
        await overrun()
    assert not reached_the_end


async def test_an_expect_for_the_time_left_fails_the_block_alike_on_both_backends(
    probe: Probe,
) -> None:
    with pytest.raises(AssertionError, match=r"^the block must finish within max=0.05 s"):
        async with probe.within(0.05):
            await probe.expect()  # nothing comes


async def test_the_block_s_own_exception_propagates(probe: Probe) -> None:
    with pytest.raises(KeyError, match="mine"):
        async with probe.within(30.0, 60.0):
            raise KeyError("mine")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((-1.0, 2.0), r"^min must be >= 0 seconds \(got -1.0\)$"),
        ((float("inf"),), r"^max must be a finite number of seconds \(got inf\)$"),
        ((3.0, 2.0), r"^min must not exceed max \(got min=3.0, max=2.0\); swap them$"),
        (("1", 2.0), r"^min must be a finite number of seconds \(got '1'\)$"),
    ],
)
async def test_bad_bounds_are_refused_where_they_are_given(
    probe: Probe, arguments: tuple[Any, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        probe.within(*arguments)


class TestVirtualTime:
    @pytest.fixture
    def anyio_backend(self) -> Any:
        return virtual_time_backend()

    async def test_the_bounds_hold_exactly_and_inclusively(self) -> None:
        async with ActorSystem() as system:
            probe = spawn_probe(system)
            async with probe.within(30.0, 30.5):
                system.spawn(Delayed, probe.ref, 30.0, "tick")
                assert await probe.expect(str) == "tick"

            async def too_soon() -> None:
                async with probe.within(30.5, 40.0):
                    system.spawn(Delayed, probe.ref, 30.0, "tick")
                    await probe.expect(str)

            with pytest.raises(
                AssertionError,
                match=r"^the block must take at least min=30.5 s but finished after 30 s$",
            ):
                await too_soon()

    async def test_expect_inside_waits_for_the_time_left(self) -> None:
        async with ActorSystem() as system:
            probe = spawn_probe(system)
            start = anyio.current_time()

            async def wait_in_block() -> None:
                async with probe.within(100.0) as block:
                    await anyio.sleep(40.0)
                    assert block.remaining == 60.0
                    await probe.expect()  # nothing comes: it waits the 60 s left, not 5

            with pytest.raises(AssertionError, match=r"^the block must finish within max=100.0 s"):
                await wait_in_block()
            assert anyio.current_time() - start == 100.0
            # Outside a block the default is the kit's WAIT again.
            start = anyio.current_time()
            with pytest.raises(TimeoutError):
                await probe.fish(str)
            assert anyio.current_time() - start == 5.0

    async def test_nested_blocks_default_to_the_innermost(self) -> None:
        async with ActorSystem() as system:
            probe = spawn_probe(system)
            start = anyio.current_time()
            async with probe.within(50.0):
                with pytest.raises(
                    AssertionError, match=r"^the block must finish within max=10.0 s"
                ):
                    async with probe.within(10.0):
                        await probe.expect()
                assert anyio.current_time() - start == 10.0
                system.spawn(Delayed, probe.ref, 20.0, "later")
                assert await probe.expect(str) == "later"
            assert anyio.current_time() - start == 30.0
