"""The circuit breaker: closed, open, half-open, in virtual time, with events."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from actors import Actor, ActorSystem
from actors.reliable import (
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    CircuitStateChanged,
    InvalidSetting,
)
from actors.testing import spawn_probe, virtual_time_backend

pytestmark = pytest.mark.anyio


class Flaky:
    """A resource that fails while ``broken`` is set."""

    def __init__(self) -> None:
        self.broken = True
        self.calls = 0

    async def charge(self, amount: int) -> str:
        self.calls += 1
        if self.broken:
            raise ConnectionError("payment service down")
        return f"charged {amount}"


class Payments(Actor):
    def __init__(self, breaker: CircuitBreaker, service: Flaky) -> None:
        self.breaker = breaker
        self.service = service

    async def receive(self, message: Any) -> Any:
        try:
            return await self.breaker.call(self.service.charge, message)
        except (ConnectionError, CircuitOpenError) as error:
            return type(error).__name__


class TestVirtualTime:
    @pytest.fixture
    def anyio_backend(self) -> Any:
        return virtual_time_backend()

    async def test_it_opens_fails_fast_half_opens_and_closes(self) -> None:
        service = Flaky()
        async with ActorSystem() as system:
            events = spawn_probe(system)
            system.event_stream.subscribe(events.ref, CircuitStateChanged)
            breaker = CircuitBreaker(
                "payments",
                failure_threshold=3,
                reset_timeout=30.0,
                event_stream=system.event_stream,
            )
            payments = system.spawn(Payments, breaker, service)
            assert [await payments.ask(i) for i in range(5)] == ["ConnectionError"] * 3 + [
                "CircuitOpenError"
            ] * 2
            assert service.calls == 3  # failing fast: the open breaker did not call
            opened = await events.expect(CircuitStateChanged)
            assert (opened.previous, opened.current, opened.failures) == (
                CircuitState.CLOSED,
                CircuitState.OPEN,
                3,
            )
            start = anyio.current_time()
            await anyio.sleep(30)  # virtual: returns at once
            assert anyio.current_time() - start == 30
            assert await payments.ask(5) == "ConnectionError"  # the trial fails: open again
            assert [
                (e.previous, e.current)
                for e in [await events.expect(CircuitStateChanged) for _ in range(2)]
            ] == [
                (CircuitState.OPEN, CircuitState.HALF_OPEN),
                (CircuitState.HALF_OPEN, CircuitState.OPEN),
            ]
            await anyio.sleep(30)
            service.broken = False
            assert await payments.ask(6) == "charged 6"
            assert breaker.state is CircuitState.CLOSED
            assert [
                (e.previous, e.current)
                for e in [await events.expect(CircuitStateChanged) for _ in range(2)]
            ] == [
                (CircuitState.OPEN, CircuitState.HALF_OPEN),
                (CircuitState.HALF_OPEN, CircuitState.CLOSED),
            ]

    async def test_a_slow_call_times_out_and_counts_as_a_failure(self) -> None:
        breaker = CircuitBreaker("slow", failure_threshold=1, reset_timeout=5.0, call_timeout=2.0)

        async def hang() -> None:
            await anyio.sleep(3600)

        with pytest.raises(TimeoutError):
            await breaker.call(hang)
        assert breaker.state is CircuitState.OPEN
        with pytest.raises(
            CircuitOpenError,
            match=r"^circuit 'slow' is open after 1 consecutive failures; calls fail fast for 5 s more \(reset_timeout=5.0\); retry later or handle the error$",
        ):
            await breaker.call(hang)


async def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    breaker = CircuitBreaker("b", failure_threshold=2)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED
    assert await breaker.call(lambda: 42) == 42


def test_bad_settings_are_refused() -> None:
    with pytest.raises(
        InvalidSetting, match=r"^failure_threshold must be a whole number >= 1 \(got 0\)$"
    ):
        CircuitBreaker("b", failure_threshold=0)
    with pytest.raises(
        InvalidSetting, match=r"^reset_timeout must be a finite number of seconds > 0 \(got -1\)$"
    ):
        CircuitBreaker("b", reset_timeout=-1)
