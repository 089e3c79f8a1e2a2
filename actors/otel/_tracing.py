"""Tracing: a span per handled message, with the W3C trace context in the envelope."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import Token
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.trace import SpanKind, Status, StatusCode

from ._version import package_version

if TYPE_CHECKING:
    from actors import ActorRef, HandlingScope

#: The instrumentation scope name of every span and instrument anyactors makes.
SCOPE_NAME = "anyactors"

_EMPTY = Context()


class _HandlingSpan:
    """The span of one handler run; attached while the handler's code runs."""

    __slots__ = ("_context", "_span", "_token")

    def __init__(self, span: trace.Span, context: Context) -> None:
        self._span = span
        self._context = context
        self._token: Token[Context] | None = None

    def activate(self) -> None:
        self._token = otel_context.attach(self._context)

    def deactivate(self) -> None:
        token, self._token = self._token, None
        if token is not None:
            otel_context.detach(token)

    def end(self, error: BaseException | None) -> None:
        span = self._span
        if error is not None:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        span.end()


class OpenTelemetryInstrumentation:
    """An :class:`actors.Instrumentation` on OpenTelemetry: one span per handled message.

    Pass it to ``ActorSystem(instrumentation=...)``. When a message is sent,
    the sender's current OpenTelemetry context (its active span, and baggage)
    is injected with the propagator into a small dict that travels with the
    message in its envelope (with the default propagator, the W3C
    ``traceparent``/``tracestate`` headers). When the actor handles it, a span
    named ``process <MessageType>`` (kind ``CONSUMER``) is started as a child
    of that context and is the current span while the handler's code runs,
    across its awaits; so a request that crosses ten actors, by ``tell`` or
    ``ask``, is one trace. A message sent from outside any span starts a new
    trace. An exception escaping the handler is recorded on the span, whose
    status becomes ``ERROR``.

    Span attributes: ``messaging.system`` (``"anyactors"``),
    ``messaging.operation.type`` (``"process"``), ``messaging.destination.name``
    and ``anyactors.actor.path`` (the actor's path), and
    ``anyactors.message.type`` (the message's class name).

    Args:
        tracer_provider: where spans go; ``None`` uses the global provider
            (``opentelemetry.trace.set_tracer_provider``), which records nothing
            until one is configured.
        propagator: how the context is written into the envelope and read back;
            ``None`` uses the global one (W3C trace context and baggage by default).

    A system instrumented this way takes the slower delivery path for every
    message (the carrier must be made in the sender's context); see
    ``docs/observability.md`` for the cost.
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        propagator: TextMapPropagator | None = None,
    ) -> None:
        self._tracer = trace.get_tracer(
            SCOPE_NAME, package_version(), tracer_provider=tracer_provider
        )
        self._propagator = propagator

    def on_send(self, target: ActorRef, message: object) -> object:
        """Capture the sender's context as a W3C carrier (``None``: nothing to carry)."""
        carrier: dict[str, str] = {}
        if self._propagator is None:
            propagate.inject(carrier)
        else:
            self._propagator.inject(carrier)
        return carrier or None

    def on_handle(self, ref: ActorRef, message: object, carrier: object) -> HandlingScope:
        """Start the span of one handler run, as a child of the context in ``carrier``."""
        parent = _EMPTY
        if isinstance(carrier, Mapping):
            propagator = self._propagator or propagate.get_global_textmap()
            parent = propagator.extract(carrier, context=_EMPTY)
        message_type = type(message).__qualname__
        path = ref.path
        span = self._tracer.start_span(
            f"process {message_type}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "anyactors",
                "messaging.operation.type": "process",
                "messaging.destination.name": path,
                "anyactors.actor.path": path,
                "anyactors.message.type": message_type,
            },
        )
        return _HandlingSpan(span, trace.set_span_in_context(span, parent))
