"""OpenTelemetry for anyactors: a span per handled message, and metrics (``anyactors[otel]``).

Importing ``actors`` never imports this package, nor OpenTelemetry; only
``import actors.otel`` does::

    from actors import ActorSystem
    from actors.otel import OpenTelemetryInstrumentation, instrument_metrics

    async with ActorSystem("bank", instrumentation=OpenTelemetryInstrumentation()) as system:
        instrument_metrics(system)
"""

try:
    import opentelemetry.metrics
    import opentelemetry.trace  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on what is installed
    raise ImportError(
        "actors.otel needs OpenTelemetry's API (the otel extra): pip install 'anyactors[otel]'"
    ) from error

from ._metrics import ActorMetrics as ActorMetrics
from ._metrics import instrument_metrics as instrument_metrics
from ._tracing import OpenTelemetryInstrumentation as OpenTelemetryInstrumentation

__all__ = ["ActorMetrics", "OpenTelemetryInstrumentation", "instrument_metrics"]
