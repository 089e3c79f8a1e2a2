"""Trace context across NATS: a remote message's handling continues the sender's trace."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from actors import ActorRef, ActorSystem, Instrumentation
from actors.otel import OpenTelemetryInstrumentation
from actors.remote import Address, NatsCluster, NatsNode, attach_cluster
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import WAIT, Echoer, Entry, Ping, ReplyTo, make_registry
from tests.sharding.entities import Counter

pytestmark = pytest.mark.anyio


class Traced:
    """One node's tracing: an SDK provider that keeps its finished spans in memory."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.instrumentation = OpenTelemetryInstrumentation(
            tracer_provider=self.provider, propagator=TraceContextTextMapPropagator()
        )

    @property
    def tracer(self) -> Tracer:
        return self.provider.get_tracer("tests")

    def spans(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.exporter.get_finished_spans() if span.name == name]


@asynccontextmanager
async def attached(
    url: str, *nodes: tuple[str, Instrumentation | None]
) -> AsyncIterator[list[tuple[ActorSystem, NatsNode]]]:
    """Systems of the cluster ``shop``, each with its own instrumentation (or none)."""
    async with AsyncExitStack() as stack:
        result = []
        for name, instrumentation in nodes:
            system = await stack.enter_async_context(
                ActorSystem("shop", shutdown_timeout=5, instrumentation=instrumentation)
            )
            config = NatsCluster(url, node=name, registry=make_registry())
            node = await stack.enter_async_context(attach_cluster(system, config))
            result.append((system, node))
        yield result


def only(spans: Sequence[ReadableSpan]) -> ReadableSpan:
    assert len(spans) == 1, spans
    return spans[0]


def parent_id(span: ReadableSpan) -> int | None:
    return None if span.parent is None else span.parent.span_id


def ids(span: ReadableSpan) -> tuple[int, int]:
    context = span.get_span_context()
    assert context is not None
    return context.trace_id, context.span_id


async def test_ask_then_tell_across_two_nodes_is_one_trace(nats_server: NatsServer) -> None:
    traced_a, traced_b = Traced(), Traced()
    async with attached(
        nats_server.url, ("a", traced_a.instrumentation), ("b", traced_b.instrumentation)
    ) as [(system_a, node_a), (system_b, _)]:
        inbox = Inbox()
        sink = system_a.spawn(Recorder, inbox, name="sink")
        system_b.spawn(Echoer, name="echo")
        echo = node_a.ref_at(Address("b", "/user/echo"))
        with traced_a.tracer.start_as_current_span("request") as root:
            # A asks B's echo, whose handler tells A's sink: A -> B -> A.
            assert await echo.ask(ReplyTo(sink, 7), timeout=WAIT) is None
        assert await inbox.wait_for(1) == [Ping(7)]
    trace_id, root_id = root.get_span_context().trace_id, root.get_span_context().span_id
    on_b = only(traced_b.spans("process ReplyTo"))
    on_a = only(traced_a.spans("process Ping"))
    assert on_b.attributes is not None
    assert on_b.attributes["anyactors.actor.path"] == "/user/echo"
    assert ids(on_b)[0] == ids(on_a)[0] == trace_id
    assert parent_id(on_b) == root_id
    assert parent_id(on_a) == ids(on_b)[1]
    assert on_b.parent is not None
    assert on_b.parent.is_remote


async def test_an_uninstrumented_sender_starts_a_fresh_trace_on_the_receiver(
    nats_server: NatsServer,
) -> None:
    traced_a, traced_b = Traced(), Traced()
    async with AsyncExitStack() as stack:
        [(_, node_a)] = await stack.enter_async_context(attached(nats_server.url, ("a", None)))
        # B attaches inside a span: its NATS callbacks inherit that context, and
        # still a message that came without a carrier must not join that trace.
        with traced_b.tracer.start_as_current_span("attaching b") as attaching:
            [(system_b, _)] = await stack.enter_async_context(
                attached(nats_server.url, ("b", traced_b.instrumentation))
            )
        inbox = Inbox()
        system_b.spawn(Recorder, inbox, name="sink")
        sink = node_a.ref_at(Address("b", "/user/sink"))
        with traced_a.tracer.start_as_current_span("request") as root:
            sink.tell(Ping(1))
            assert await sink.ask(Ping(2), timeout=WAIT) == Ping(2)
    handled = traced_b.spans("process Ping")
    assert len(handled) == 2
    trace_ids = {ids(span)[0] for span in handled}
    assert len(trace_ids) == 2  # two fresh traces
    assert root.get_span_context().trace_id not in trace_ids
    assert attaching.get_span_context().trace_id not in trace_ids
    assert [span.parent for span in handled] == [None, None]


async def test_pool_and_durable_messages_continue_the_trace(nats_server: NatsServer) -> None:
    traced_a, traced_b = Traced(), Traced()
    async with attached(
        nats_server.url, ("a", traced_a.instrumentation), ("b", traced_b.instrumentation)
    ) as [(_, node_a), (system_b, node_b)]:
        pooled, stored = Inbox(), Inbox()
        await node_b.join_pool("pings", system_b.spawn(Recorder, pooled, name="member"))
        await node_b.serve_durable("entries", system_b.spawn(Recorder, stored, name="ledger"))
        pool = node_a.pool("pings")
        mailbox = await node_a.durable("entries")
        with traced_a.tracer.start_as_current_span("request") as root:
            assert await pool.ask(Ping(1), timeout=WAIT) == Ping(1)
            await pool.send(Ping(2))
            await mailbox.send(Entry(1), message_id="entry-1")
            mailbox.tell(Entry(2))
        assert await pooled.wait_for(2) == [Ping(1), Ping(2)]
        assert sorted(entry.number for entry in await stored.wait_for(2)) == [1, 2]
    trace_id, root_id = root.get_span_context().trace_id, root.get_span_context().span_id
    handled = traced_b.spans("process Ping") + traced_b.spans("process Entry")
    assert len(handled) == 4
    assert {(ids(span)[0], parent_id(span)) for span in handled} == {(trace_id, root_id)}


class OddCarrier:
    """An instrumentation whose carrier cannot travel as NATS headers."""

    def __init__(self) -> None:
        self.sent = 0

    def on_send(self, target: ActorRef, message: object) -> object:
        self.sent += 1
        return {"traceparent": self.sent}  # not a mapping of strings

    def on_handle(self, ref: ActorRef, message: object, carrier: object) -> NoScope:
        return NoScope()


class NoScope:
    def activate(self) -> None:
        return None

    def deactivate(self) -> None:
        return None

    def end(self, error: BaseException | None) -> None:
        return None


async def test_a_carrier_that_is_not_a_mapping_of_strings_is_not_sent(
    nats_server: NatsServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="actors.remote._tracing")
    odd, traced_b = OddCarrier(), Traced()
    async with attached(nats_server.url, ("a", odd), ("b", traced_b.instrumentation)) as [
        (_, node_a),
        (system_b, _),
    ]:
        inbox = Inbox()
        system_b.spawn(Recorder, inbox, name="sink")
        sink = node_a.ref_at(Address("b", "/user/sink"))
        sink.tell(Ping(1))
        assert await sink.ask(Ping(2), timeout=WAIT) == Ping(2)
    assert odd.sent == 2
    assert [span.parent for span in traced_b.spans("process Ping")] == [None, None]
    logged = [r.getMessage() for r in caplog.records if r.name == "actors.remote._tracing"]
    assert len(logged) == 1
    assert logged[0].startswith("trace carriers are not sent over NATS: {'traceparent': 1}")


async def test_an_instrumented_node_sends_entity_tells_with_their_carrier(
    nats_server: NatsServer,
) -> None:
    # The entity envelope's frame is written without the general walk; with tracing on,
    # it still goes out with the instrumentation's carrier, and arrives.
    odd = OddCarrier()
    async with AsyncExitStack() as stack:
        systems = []
        for name, instrumentation in (("host", None), ("sender", odd)):
            cluster = NatsCluster(nats_server.url, node=name, registry=make_registry())
            system = ActorSystem("shop", cluster=cluster, instrumentation=instrumentation)
            systems.append(await stack.enter_async_context(system))
        host, sender = systems
        inbox = Inbox()
        await host.start_sharding("counter", Counter, inbox, shards=4)
        ref = sender.entity("counter", "x")
        ref.tell(1)
        ref.tell(2)
        assert await inbox.wait_for(2) == [("x", 1), ("x", 2)]
    assert odd.sent == 3  # the two envelopes, and the proxy's notice to its host
