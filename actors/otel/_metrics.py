"""Metrics: OpenTelemetry observable instruments over ``system.statistics()``.

The figures are read on the system's event loop by a small background task
(every ``interval`` seconds) and kept as one immutable snapshot; the
instruments' callbacks, which an exporter may call from any thread, only read
that snapshot. So an exporter never touches the runtime's structures while
the event loop mutates them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import anyio
from attrs import frozen
from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from ._tracing import SCOPE_NAME
from ._version import package_version

if TYPE_CHECKING:
    from actors import ActorStatistics, ActorSystem, SystemStatistics

logger = logging.getLogger(__name__)

_Figure = Callable[["_Snapshot"], Iterable[Observation]]


@frozen
class _Snapshot:
    system: SystemStatistics
    actors: tuple[ActorStatistics, ...]


def walk_statistics(system: ActorSystem) -> tuple[ActorStatistics, ...]:
    """Every live actor's statistics, parents before children (guardians excluded)."""
    return tuple(ref.statistics() for ref in system.walk())


class ActorMetrics:
    """What :func:`instrument_metrics` returns: the instruments and their latest snapshot.

    Attributes:
        interval: seconds between two snapshots taken by the background task.
        per_actor: whether per-actor instruments are reported.
    """

    def __init__(self, system: ActorSystem, *, interval: float, per_actor: bool) -> None:
        self.interval = interval
        self.per_actor = per_actor
        self._system = system
        self._closed = False
        self._snapshot = _Snapshot(system.statistics(), ())
        self.refresh()

    def refresh(self) -> None:
        """Take a snapshot now; call it from the system's event loop (the task does, regularly).

        After the system has shut down, the last snapshot stays and this does nothing.
        """
        if self._closed:
            return
        system = self._system
        try:
            stats = system.statistics()
            actors = walk_statistics(system) if self.per_actor else ()
        except Exception:  # a figure must never take the system down
            logger.exception("could not read the statistics of actor system %s", system.name)
            return
        self._snapshot = _Snapshot(stats, actors)

    def close(self) -> None:
        """Stop refreshing: the instruments keep reporting the last snapshot."""
        self._closed = True

    async def _run(self) -> None:
        while not self._closed:
            await anyio.sleep(self.interval)
            self.refresh()

    def _observe(self, figure: _Figure) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def callback(_options: CallbackOptions) -> Iterable[Observation]:
            return list(figure(self._snapshot))

        return callback


def _system_value(name: str) -> _Figure:
    def figure(snapshot: _Snapshot) -> Iterable[Observation]:
        stats = snapshot.system
        yield Observation(getattr(stats, name), {"anyactors.system": stats.name})

    return figure


def _dead_letters(snapshot: _Snapshot) -> Iterable[Observation]:
    system = snapshot.system.name
    for kind, count in snapshot.system.dead_letters.items():
        yield Observation(count, {"anyactors.system": system, "anyactors.message.type": kind})


def _actor_value(name: str) -> _Figure:
    def figure(snapshot: _Snapshot) -> Iterable[Observation]:
        system = snapshot.system.name
        for stats in snapshot.actors:
            value = getattr(stats, name)
            if value is None:
                continue
            yield Observation(
                value,
                {
                    "anyactors.system": system,
                    "anyactors.actor.path": stats.path,
                    "anyactors.actor.class": stats.actor_class,
                },
            )

    return figure


# (name, kind, unit, description, figure); kind is "counter" or "gauge".
_SYSTEM_INSTRUMENTS: tuple[tuple[str, str, str, str, _Figure], ...] = (
    ("anyactors.actors.alive", "gauge", "{actor}", "Actors spawned and not yet stopped.",
     _system_value("actors_alive")),
    ("anyactors.actors.spawned", "counter", "{actor}", "Actors spawned, ever.",
     _system_value("actors_spawned")),
    ("anyactors.actors.stopped", "counter", "{actor}", "Actors stopped for good, ever.",
     _system_value("actors_stopped")),
    ("anyactors.dead_letters", "counter", "{message}", "Dead letters, by message type.",
     _dead_letters),
    ("anyactors.scheduler.run_queue.length", "gauge", "{actor}",
     "Actors waiting for a scheduler turn.", _system_value("run_queue_length")),
    ("anyactors.scheduler.turns", "counter", "{turn}", "Scheduler turns given, ever.",
     _system_value("turns")),
    ("anyactors.scheduler.suspended_handlers", "gauge", "{handler}",
     "Handlers waiting on something.", _system_value("suspended_handlers")),
    ("anyactors.scheduler.batch_latency.max", "gauge", "s",
     "Longest recent stretch the scheduler ran without yielding to the event loop.",
     _system_value("batch_latency_max")),
)  # fmt: skip

_ACTOR_INSTRUMENTS: tuple[tuple[str, str, str, str, _Figure], ...] = (
    ("anyactors.actor.mailbox.depth", "gauge", "{message}", "User messages waiting.",
     _actor_value("mailbox_depth")),
    ("anyactors.actor.messages.handled", "counter", "{message}", "Messages handled, ever.",
     _actor_value("messages_handled")),
    ("anyactors.actor.failures", "counter", "{failure}", "Failures, ever.",
     _actor_value("failures")),
    ("anyactors.actor.restarts", "counter", "{restart}", "Restarts, ever.",
     _actor_value("restarts")),
    ("anyactors.actor.handling_time", "counter", "s", "Estimated time spent in handlers.",
     _actor_value("handling_time")),
    ("anyactors.actor.handling_time.p90", "gauge", "s",
     "90th percentile of recent timed handler turns.", _actor_value("handling_time_p90")),
)  # fmt: skip


def instrument_metrics(
    system: ActorSystem,
    *,
    meter_provider: metrics.MeterProvider | None = None,
    interval: float = 1.0,
    per_actor: bool = True,
) -> ActorMetrics:
    """Report ``system``'s statistics as OpenTelemetry metrics; one call, while it runs.

    Creates observable instruments (names under ``anyactors.``; see
    ``docs/observability.md`` for the list) on a meter of ``meter_provider``
    (``None``: the global one), and starts a background task with
    ``system.start_soon`` that snapshots the figures every ``interval``
    seconds; exporters read the latest snapshot. The task ends with the system.

    Args:
        system: a running :class:`actors.ActorSystem`.
        meter_provider: where the instruments live; ``None`` uses the global
            provider (``opentelemetry.metrics.set_meter_provider``).
        interval: seconds between snapshots; must be > 0.
        per_actor: also report one series per actor (attributes
            ``anyactors.actor.path`` and ``anyactors.actor.class``). Turn it
            off for systems with very many short-lived actors, whose paths
            would make too many series.

    Raises:
        ValueError: ``interval`` is not > 0.
        ActorSystemClosed: the system is not running.
    """
    if isinstance(interval, bool) or not isinstance(interval, int | float) or not interval > 0:
        raise ValueError(f"interval must be > 0 seconds (got {interval!r})")
    handle = ActorMetrics(system, interval=float(interval), per_actor=per_actor)
    system.start_soon(handle._run, name=f"anyactors metrics of {system.name}")
    provider = meter_provider if meter_provider is not None else metrics.get_meter_provider()
    meter = provider.get_meter(SCOPE_NAME, package_version())
    instruments = _SYSTEM_INSTRUMENTS + (_ACTOR_INSTRUMENTS if per_actor else ())
    for name, kind, unit, description, figure in instruments:
        create = (
            meter.create_observable_counter if kind == "counter" else meter.create_observable_gauge
        )
        create(name, callbacks=[handle._observe(figure)], unit=unit, description=description)
    return handle
