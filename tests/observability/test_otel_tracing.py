"""actors.otel tracing: one trace across actors, W3C context in the envelope, errors recorded."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext, SpanKind, StatusCode

from actors import Actor, ActorRef, ActorSystem
from actors.otel import OpenTelemetryInstrumentation


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.clear()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


class Hop(Actor):
    """Passes each request on to the next hop (by ask, after an await), or answers it."""

    def __init__(self, next_hop: ActorRef | None, sink: ActorRef | None = None) -> None:
        self.next_hop = next_hop
        self.sink = sink

    async def receive(self, message: Any) -> Any:
        if message == "fail":
            raise ValueError("bad request")
        await anyio.lowlevel.checkpoint()  # suspends: the span must stay current across the await
        if self.sink is not None:
            self.sink.tell(("seen", message))
        if self.next_hop is not None:
            return await self.next_hop.ask(message)
        return trace.get_current_span().get_span_context().trace_id


class Sink(Actor):
    def receive(self, message: Any) -> None:
        return None


def by_path(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {str(span.attributes["anyactors.actor.path"]): span for span in spans if span.attributes}


def ids(context: SpanContext | None) -> tuple[int, int]:
    """A span context's identity (a parent read from a carrier is marked remote)."""
    assert context is not None
    return context.trace_id, context.span_id


pytestmark = pytest.mark.anyio


async def test_a_request_across_actors_is_one_trace(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    tracer = provider.get_tracer("test")
    instrumentation = OpenTelemetryInstrumentation(tracer_provider=provider)
    async with ActorSystem("traced", instrumentation=instrumentation) as system:
        sink = system.spawn(Sink, name="sink")
        third = system.spawn(Hop, None, name="third")
        second = system.spawn(Hop, third, sink, name="second")
        first = system.spawn(Hop, second, name="first")
        with tracer.start_as_current_span("request") as request:
            answered_trace = await first.ask("hello")
        await sink.ask("flush")  # the sink's tell has been handled once this returns
    spans = by_path(exporter.get_finished_spans())
    trace_id = request.get_span_context().trace_id
    assert answered_trace == trace_id
    for path in ("/user/first", "/user/second", "/user/third"):
        assert spans[path].context is not None
        assert spans[path].context.trace_id == trace_id, path
    assert ids(spans["/user/first"].parent) == ids(request.get_span_context())
    assert ids(spans["/user/second"].parent) == ids(spans["/user/first"].context)
    assert ids(spans["/user/third"].parent) == ids(spans["/user/second"].context)
    seen = [
        span
        for span in exporter.get_finished_spans()
        if span.attributes and span.attributes.get("anyactors.message.type") == "tuple"
    ]
    assert [ids(span.parent) for span in seen] == [ids(spans["/user/second"].context)]  # a tell
    first_span = spans["/user/first"]
    assert first_span.name == "process str"
    assert first_span.kind is SpanKind.CONSUMER
    assert first_span.attributes is not None
    assert dict(first_span.attributes) == {
        "messaging.system": "anyactors",
        "messaging.operation.type": "process",
        "messaging.destination.name": "/user/first",
        "anyactors.actor.path": "/user/first",
        "anyactors.message.type": "str",
    }
    assert trace.get_current_span() is trace.INVALID_SPAN  # nothing leaked into this task


async def test_a_message_sent_outside_a_span_starts_a_trace_of_its_own(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    instrumentation = OpenTelemetryInstrumentation(tracer_provider=provider)
    async with ActorSystem(instrumentation=instrumentation) as system:
        with provider.get_tracer("test").start_as_current_span("around the system"):
            pass
        ref = system.spawn(Hop, None, name="solo")
        await ref.ask("one")
        await ref.ask("two")
    first, second = (span for span in exporter.get_finished_spans() if span.name == "process str")
    assert first.parent is None
    assert second.parent is None
    assert first.context is not None
    assert second.context is not None
    assert first.context.trace_id != second.context.trace_id


async def test_a_failing_handler_records_the_exception_and_an_error_status(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    instrumentation = OpenTelemetryInstrumentation(tracer_provider=provider)
    async with ActorSystem(instrumentation=instrumentation) as system:
        ref = system.spawn(Hop, None, name="fragile")
        with pytest.raises(ValueError, match=r"^bad request$"):
            await ref.ask("fail")
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "ValueError: bad request"
    assert [event.name for event in span.events] == ["exception"]
    assert span.events[0].attributes is not None
    assert span.events[0].attributes["exception.type"] == "ValueError"


def test_on_send_injects_the_w3c_trace_context(provider: TracerProvider) -> None:
    instrumentation = OpenTelemetryInstrumentation(tracer_provider=provider)
    target: Any = None
    assert instrumentation.on_send(target, "outside any span") is None
    with provider.get_tracer("test").start_as_current_span("sender") as span:
        carrier = instrumentation.on_send(target, "inside")
    assert isinstance(carrier, dict)
    context = span.get_span_context()
    flags = int(context.trace_flags)
    assert (
        carrier["traceparent"] == f"00-{context.trace_id:032x}-{context.span_id:016x}-{flags:02x}"
    )
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]", carrier["traceparent"])


@pytest.mark.parametrize("module", ["actors", "actors.observer"])
def test_importing_the_core_imports_no_optional_dependency(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "heavy = [m for m in ('opentelemetry', 'starlette', 'hypercorn') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
