"""The asyncio loop of a blocking system: woken through a lock, and never a wake-up lost."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.to_thread
import pytest

from actors import Actor
from actors.blocking import BlockingActorSystem
from actors.blocking._latch_loop import LatchEventLoop, latch_loop_factory

WAIT = 10.0  # seconds before a wait fails the test instead of hanging it


@pytest.fixture(params=["asyncio", "trio"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def loop() -> Iterator[LatchEventLoop]:
    loop = LatchEventLoop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(WAIT)
    loop.close()


def test_this_python_gets_the_latch_loop() -> None:
    # If CPython renames what the latch loop overrides, this fails instead of
    # the blocking system quietly falling back to the slower wake-up.
    assert latch_loop_factory() is LatchEventLoop


def test_four_threads_waking_the_loop_at_once_lose_no_wake_up(loop: LatchEventLoop) -> None:
    failures: list[str] = []
    start = threading.Barrier(4)

    def waker(number: int) -> None:
        start.wait(WAIT)
        for i in range(1000):
            done = threading.Event()
            loop.call_soon_threadsafe(done.set)
            if not done.wait(WAIT):
                failures.append(f"thread {number}: wake-up {i} lost")
                return

    threads = [threading.Thread(target=waker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 4)
    assert failures == []


def test_a_timer_fires_while_the_loop_sleeps_on_its_latch(loop: LatchEventLoop) -> None:
    fired = threading.Event()
    loop.call_soon_threadsafe(loop.call_later, 0.02, fired.set)
    assert fired.wait(WAIT)


def test_with_another_file_watched_it_sleeps_in_the_kernel_and_still_wakes(
    loop: LatchEventLoop,
) -> None:
    ours, theirs = socket.socketpair()
    try:
        readable = threading.Event()
        loop.call_soon_threadsafe(loop.add_reader, ours.fileno(), readable.set)
        woken = threading.Event()
        loop.call_soon_threadsafe(woken.set)
        assert woken.wait(WAIT)
        theirs.send(b"x")  # file readiness wakes it (asleep in epoll by now, or soon)
        assert readable.wait(WAIT)
        for _ in range(100):  # and so does a thread, through the self-pipe
            done = threading.Event()
            loop.call_soon_threadsafe(done.set)
            assert done.wait(WAIT)
        removed = threading.Event()

        def remove() -> None:
            loop.remove_reader(ours.fileno())
            removed.set()

        loop.call_soon_threadsafe(remove)
        assert removed.wait(WAIT)
    finally:
        ours.close()
        theirs.close()


class Sleeper(Actor):
    """Waits on a timer, then on a worker thread: both wake the loop from outside a callback."""

    async def receive(self, message: Any) -> Any:
        await anyio.sleep(0.01)
        return await anyio.to_thread.run_sync(lambda: message * 2)


def test_the_blocking_system_runs_on_the_latch_loop_and_its_timers_and_threads_work(
    backend: str,
) -> None:
    with BlockingActorSystem("latched", backend=backend) as system:
        if backend == "asyncio":
            assert isinstance(system.call(asyncio.get_running_loop), LatchEventLoop)
        sleeper = system.spawn(Sleeper)
        assert [sleeper.ask(n, timeout=WAIT) for n in range(20)] == [n * 2 for n in range(20)]
