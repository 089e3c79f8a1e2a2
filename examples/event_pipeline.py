"""An event pipeline built only from actors, shut down cleanly after N events.

* Two ``Sensor`` sources emit a ``Reading`` on a timer (``schedule_repeatedly``).
* A ``Normalizer`` handler drops glitched readings, converts the rest to
  Fahrenheit, and publishes them on ``system.event_stream``. Its mailbox is
  bounded (2 messages, ``Overflow.BACKPRESSURE``): when it stalls, a sensor's
  ``tell`` raises ``MailboxFull`` and the sensor falls back to
  ``await send(...)``, which waits for room instead of flooding the pipeline.
* Listeners subscribe by type: the ``Dashboard`` to every ``Measurement``
  (which includes its subclass ``Alert``), the ``Pager`` to ``Alert`` only,
  and the ``Archive`` to every ``Measurement``, which it writes to a store.
* The store is flaky: every fifth write fails with ``StoreBusy``, and it can
  never store a measurement above ``CORRUPT_FAHRENHEIT`` (``CorruptRecord``).
  The archive runs under a ``Supervisor`` whose strategy says
  ``retry_message=2``: after each failure it is restarted and the failed
  measurement is written again, first; one that fails three times becomes a
  ``DeadLetter`` (a poison message), counted by the program. Each retry counts
  toward the strategy's restart intensity, which is sized for it. Every
  measurement is stored or dead-lettered, none twice.

Once the dashboard has seen N measurements it sets an ``anyio.Event``; the
program then stops the sensors (their timers are cancelled), drains the
normalizer with an ``ask`` (one sender's messages arrive in order), and checks
that every reading was either dropped or delivered.
"""

from __future__ import annotations

from typing import ClassVar

import anyio
from attrs import frozen

from actors import (
    Actor,
    ActorRef,
    ActorSystem,
    DeadLetter,
    MailboxConfig,
    MailboxFull,
    Request,
    Supervisor,
    props,
)
from supervision import OneForOne, child

HOT_FAHRENHEIT = 86.0
CORRUPT_FAHRENHEIT = 93.0


@frozen
class Tick:
    """A sensor's own timer message."""


@frozen(kw_only=True)
class Reading:
    sensor: str
    seq: int
    celsius: float | None  # None: the sensor glitched


@frozen(kw_only=True)
class Measurement:
    sensor: str
    seq: int
    fahrenheit: float


@frozen(kw_only=True)
class Alert(Measurement):
    """A measurement above ``HOT_FAHRENHEIT``; dashboard and pager both get it."""


@frozen
class Halt(Request[tuple[int, int]]):
    """Tell a sensor to stop emitting; it answers (readings emitted, sends that waited)."""


@frozen
class Flush:
    """Set ``flushed`` once every message sent before this one is handled."""

    flushed: anyio.Event


@frozen
class Stats:
    """Ask an actor for its counters."""


class Sensor(Actor[Tick | Halt]):
    def __init__(self, interval: float, sink: ActorRef[Reading]) -> None:
        self.interval, self.sink = interval, sink
        self.emitted = self.waited = 0
        self.halted = False

    def on_start(self) -> None:
        self.timer = self.context.schedule_repeatedly(self.interval, Tick())

    async def receive(self, message: Tick | Halt) -> tuple[int, int] | None:
        if isinstance(message, Halt):
            # Stopping the sensor would cancel the timer too; halting first
            # makes the counts final before they are reported.
            self.timer.cancel()
            self.halted = True  # a Tick may already be queued behind this message
            return self.emitted, self.waited
        if isinstance(message, Tick) and not self.halted:
            self.emitted += 1
            seq = self.emitted
            celsius = None if seq % 4 == 0 else 20.0 + (seq * 7) % 15
            reading = Reading(sensor=self.context.self_ref.name, seq=seq, celsius=celsius)
            try:
                self.sink.tell(reading)  # never waits: raises MailboxFull when full
            except MailboxFull:
                self.waited += 1
                await self.sink.send(reading)  # waits for room: backpressure
        return None


class Normalizer(Actor[Reading | Flush | Stats]):
    mailbox = MailboxConfig(2, "backpressure")

    def __init__(self) -> None:
        self.received = self.dropped = self.published = 0

    async def receive(self, message: Reading | Flush | Stats) -> tuple[int, int, int] | None:
        if isinstance(message, Stats):
            return self.received, self.dropped, self.published
        if isinstance(message, Flush):
            message.flushed.set()
            return None
        self.received += 1
        # Usually fast, but every sixth reading hits a slow flush to disk:
        # meanwhile the bounded mailbox fills up and the sensors must wait.
        await anyio.sleep(0.03 if self.received % 6 == 0 else 0.001)
        if message.celsius is None:
            self.dropped += 1
            return None
        fahrenheit = message.celsius * 9 / 5 + 32
        kind = Alert if fahrenheit > HOT_FAHRENHEIT else Measurement
        event = kind(sensor=message.sensor, seq=message.seq, fahrenheit=fahrenheit)
        self.context.system.event_stream.publish(event)
        self.published += 1
        return None


class Dashboard(Actor[Measurement | Stats]):
    def __init__(self, target: int, done: anyio.Event) -> None:
        self.target, self.done = target, done
        self.measurements = self.alerts = 0

    def receive(self, message: Measurement | Stats) -> tuple[int, int] | None:
        if isinstance(message, Stats):
            return self.measurements, self.alerts
        if isinstance(message, Measurement):
            self.measurements += 1
            self.alerts += isinstance(message, Alert)
            if self.measurements == self.target:
                self.done.set()
        return None


class StoreBusy(Exception):
    """A transient failure of the store: the same write will succeed later."""


class CorruptRecord(Exception):
    """A write that can never succeed."""


class FlakyStore:
    """Outlives the archive's restarts (it is a constructor argument)."""

    def __init__(self) -> None:
        self.writes = 0
        self.records: list[tuple[str, int]] = []

    def write(self, measurement: Measurement) -> None:
        self.writes += 1
        if measurement.fahrenheit > CORRUPT_FAHRENHEIT:
            raise CorruptRecord(f"{measurement.sensor} #{measurement.seq}")
        if self.writes % 5 == 0:
            raise StoreBusy(f"write {self.writes}")
        key = (measurement.sensor, measurement.seq)
        assert key not in self.records, "stored twice"
        self.records.append(key)


class Archive(Actor[Measurement | Stats]):
    def __init__(self, store: FlakyStore) -> None:
        self.store = store

    def receive(self, message: Measurement | Stats) -> int | None:
        if isinstance(message, Stats):
            return len(self.store.records)
        if isinstance(message, Measurement):
            self.store.write(message)  # raises: restart, then this message again
        return None


def archiving(store: FlakyStore) -> type[Supervisor]:
    class Archiving(Supervisor):
        strategy = OneForOne(max_restarts=30, within=5.0, retry_message=2)
        children: ClassVar = [child(Archive, store, name="archive")]

    return Archiving


class Poisoned(Actor[DeadLetter | Stats]):
    """Counts the measurements the archive gave up on."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    def receive(self, message: DeadLetter | Stats) -> list[str] | None:
        if isinstance(message, Stats):
            return self.reasons
        if isinstance(message, DeadLetter) and isinstance(message.message, Measurement):
            self.reasons.append(message.reason)
        return None


class Pager(Actor[Alert | Stats]):
    def __init__(self) -> None:
        self.pages = 0

    def receive(self, message: Alert | Stats) -> int | None:
        if isinstance(message, Alert):
            self.pages += 1
            if self.pages <= 3:
                print(f"  page: {message.sensor} #{message.seq} at {message.fahrenheit:.1f} F")
        return self.pages if isinstance(message, Stats) else None


async def main(target: int = 20) -> None:
    done = anyio.Event()
    async with ActorSystem("pipeline") as system:
        dashboard = system.spawn(props(Dashboard, target, done), name="dashboard")
        pager = system.spawn(Pager, name="pager")
        system.event_stream.subscribe(dashboard, Measurement)
        system.event_stream.subscribe(pager, Alert)
        system.spawn(archiving(FlakyStore()), name="archiving")
        archive = system.lookup("archiving/archive")
        assert archive is not None
        system.event_stream.subscribe(archive, Measurement)
        poisoned = system.spawn(Poisoned, name="poisoned")
        system.event_stream.subscribe(poisoned, DeadLetter)
        normalizer = system.spawn(Normalizer, name="normalizer")
        sensors = [
            system.spawn(props(Sensor, 0.010, normalizer), name="north"),
            system.spawn(props(Sensor, 0.012, normalizer), name="south"),
        ]
        print(f"pipeline running until the dashboard has {target} measurements")
        with anyio.fail_after(5):
            await done.wait()
        emitted = waited = 0
        for sensor in sensors:
            sent, blocked = await sensor.ask(Halt())
            emitted, waited = emitted + sent, waited + blocked
            await system.stop(sensor)
        # ask() on a full mailbox raises MailboxFull even under backpressure,
        # so first drain it with send(), which waits for room.
        flushed = anyio.Event()
        await normalizer.send(Flush(flushed))
        await flushed.wait()
        received, dropped, published = await normalizer.ask(Stats())
        measurements, alerts = await dashboard.ask(Stats())
        pages = await pager.ask(Stats())
        stored = await archive.ask(Stats())  # after every published measurement
        reasons = await poisoned.ask(Stats())
        print(f"sensors stopped after {emitted} readings; {waited} sends waited for room")
        print(f"normalizer received {received} readings")
        print(f"dropped {dropped} glitches, published {published} measurements")
        print(f"dashboard saw {measurements} measurements, {alerts} of them alerts")
        print(f"pager sent {pages} pages")
        print(f"archive stored {stored} measurements; {len(reasons)} poison messages")
        for reason in reasons[:1]:
            print(f"  poison: {reason}")
        lost = (
            emitted != received
            or received != dropped + published
            or measurements != published
            or pages != alerts
            or stored + len(reasons) != published
        )
        print(f"nothing lost: {not lost}")


if __name__ == "__main__":
    anyio.run(main)
