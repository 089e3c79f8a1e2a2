"""actors.otel metrics: the statistics as OpenTelemetry instruments, read from a snapshot."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from actors import Actor, ActorSystem, ActorSystemClosed
from actors.otel import instrument_metrics

pytestmark = pytest.mark.anyio


class Worker(Actor):
    def receive(self, message: Any) -> Any:
        if message == "crash":
            raise RuntimeError("crash")
        return message


def points(reader: InMemoryMetricReader) -> dict[str, list[tuple[dict[str, Any], float]]]:
    """Every metric's data points by name: (attributes, value)."""
    data = reader.get_metrics_data()
    assert data is not None
    found: dict[str, list[tuple[dict[str, Any], float]]] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            assert scope.scope.name == "anyactors"
            for metric in scope.metrics:
                found[metric.name] = [
                    (dict(point.attributes or {}), point.value)  # type: ignore[union-attr]
                    for point in metric.data.data_points
                ]
    return found


def value(found: dict[str, list[tuple[dict[str, Any], float]]], name: str, **match: str) -> float:
    [result] = [
        number
        for attributes, number in found[name]
        if all(
            attributes.get(f"anyactors.{key}".replace("_", ".")) == v for key, v in match.items()
        )
    ]
    return result


async def test_the_figures_are_reported_as_instruments() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    async with ActorSystem("metered") as system:
        metrics = instrument_metrics(system, meter_provider=provider, interval=0.01)
        worker = system.spawn(Worker, name="worker")
        for number in range(5):
            await worker.ask(number)
        with pytest.raises(RuntimeError):
            await worker.ask("crash")
        await worker.ask("after the restart")
        await system.stop(worker)
        worker.tell("too late")
        metrics.refresh()
        found = points(reader)
        assert value(found, "anyactors.actors.spawned") == 1
        assert value(found, "anyactors.actors.stopped") == 1
        assert value(found, "anyactors.actors.alive") == 0
        assert value(found, "anyactors.dead_letters", message_type="str") == 1
        assert value(found, "anyactors.scheduler.turns") >= 7
        assert "anyactors.actor.messages.handled" not in found  # stopped: no series left

        again = system.spawn(Worker, name="again")
        await again.ask(1)
        with pytest.raises(RuntimeError):
            await again.ask("crash")
        await anyio.sleep(0.05)  # the background task refreshes by itself
        found = points(reader)
        assert value(found, "anyactors.actor.messages.handled", actor_path="/user/again") == 2
        assert value(found, "anyactors.actor.failures", actor_path="/user/again") == 1
        assert value(found, "anyactors.actor.restarts", actor_path="/user/again") == 1
        assert value(found, "anyactors.actor.mailbox.depth", actor_path="/user/again") == 0
        [(attributes, _)] = found["anyactors.actor.restarts"]
        assert attributes == {
            "anyactors.system": "metered",
            "anyactors.actor.path": "/user/again",
            "anyactors.actor.class": "Worker",
        }
    provider.shutdown()


async def test_per_actor_series_can_be_turned_off() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    async with ActorSystem() as system:
        instrument_metrics(system, meter_provider=provider, per_actor=False)
        await system.spawn(Worker).ask("hello")
    found = points(reader)
    assert "anyactors.actors.spawned" in found
    assert not [name for name in found if name.startswith("anyactors.actor.")]
    provider.shutdown()


async def test_bad_arguments_say_what_to_do() -> None:
    with pytest.raises(ActorSystemClosed, match=r"^actor system 'idle' has not been started$"):
        instrument_metrics(ActorSystem("idle"))
    async with ActorSystem() as system:
        with pytest.raises(ValueError, match=r"^interval must be > 0 seconds \(got 0\)$"):
            instrument_metrics(system, interval=0)
