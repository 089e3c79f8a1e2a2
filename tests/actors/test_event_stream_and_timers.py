"""The event stream, and timers (also in virtual time on trio's MockClock)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from attrs import frozen

from actors import Actor, ActorFailed, ActorSystem, Timer

from .probe import Boom, Fragile, Inbox, Recorder

pytestmark = pytest.mark.anyio


@frozen
class Event:
    name: str


@frozen
class Special(Event):
    pass


async def test_subscribers_get_events_of_the_type_and_its_subclasses() -> None:
    general, special = Inbox(), Inbox()
    async with ActorSystem() as system:
        stream = system.event_stream
        general_ref = system.spawn(Recorder, general)
        stream.subscribe(general_ref, Event)
        stream.subscribe(general_ref, Event)  # twice: still once per event
        stream.subscribe(system.spawn(Recorder, special), Special)
        stream.publish(Event("a"))
        stream.publish(Special("b"))
        stream.publish("not an event")
        assert await general.wait_for(2) == [Event("a"), Special("b")]
        assert await special.wait_for(1) == [Special("b")]
        stream.unsubscribe(general_ref, Event)
        stream.publish(Event("c"))
        general_ref.tell("marker")
        assert await general.wait_for(3) == [Event("a"), Special("b"), "marker"]


async def test_a_stopped_subscriber_is_unsubscribed() -> None:
    async with ActorSystem() as system:
        ref = system.spawn(Recorder, Inbox())
        system.event_stream.subscribe(ref, Event)
        assert system.event_stream.subscribers(Event) == (ref,)
        await system.stop(ref)
        assert system.event_stream.subscribers(Event) == ()


async def test_every_failure_is_published_as_actor_failed() -> None:
    failures = Inbox()
    async with ActorSystem() as system:
        system.event_stream.subscribe(system.spawn(Recorder, failures), ActorFailed)
        ref = system.spawn(Fragile, "f", Inbox())
        error = LookupError("gone")
        with pytest.raises(LookupError):
            await ref.ask(Boom(error))
        (event,) = await failures.wait_for(1)
        assert event == ActorFailed(ref=ref, error=error, message=Boom(error))


def test_subscribe_rejects_what_is_not_a_ref_or_a_type() -> None:
    from actors import EventStream

    stream = EventStream()
    with pytest.raises(TypeError, match=r"^subscribe\(\) needs an ActorRef as the subscriber"):
        stream.subscribe("me", Event)  # type: ignore[arg-type]


class Ticker(Actor):
    """Starts a repeating tick and a one-shot alarm; records what arrives."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.timer: Timer | None = None

    def on_start(self) -> None:
        self.timer = self.context.schedule_repeatedly(10.0, "tick")
        self.context.schedule_once(25.0, "alarm")

    def receive(self, message: Any) -> Any:
        if message == "cancel" and self.timer is not None:
            self.timer.cancel()
        elif isinstance(message, Boom):
            raise message.error
        else:
            self.inbox.record((message, round(anyio.current_time() - self.inbox.messages[0][1])))


class TestVirtualTime:
    """Timers and backoff on trio's MockClock: a minute of actor time in milliseconds."""

    @pytest.fixture
    def anyio_backend(self) -> Any:
        import trio.testing

        return ("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)})

    async def test_timers_fire_at_their_virtual_times_and_cancel(self) -> None:
        inbox = Inbox()
        async with ActorSystem() as system:
            inbox.record(("t0", anyio.current_time()))
            ref = system.spawn(Ticker, inbox)
            await inbox.wait_for(5, timeout=1000)
            ref.tell("cancel")
            await anyio.sleep(100)
        assert inbox.messages[1:] == [("tick", 10), ("tick", 20), ("alarm", 25), ("tick", 30)]

    async def test_stopping_an_actor_cancels_its_live_timers(self) -> None:
        inbox = Inbox()
        async with ActorSystem() as system:
            inbox.record(("t0", anyio.current_time()))
            ref = system.spawn(Ticker, inbox)
            await inbox.wait_for(2, timeout=1000)
            await system.stop(ref)
            await anyio.sleep(100)
        assert inbox.messages[1:] == [("tick", 10)]

    async def test_timers_are_cancelled_by_a_restart(self) -> None:
        inbox = Inbox()
        async with ActorSystem() as system:
            inbox.record(("t0", anyio.current_time()))
            ref = system.spawn(Ticker, inbox)
            await anyio.sleep(5)
            with pytest.raises(ValueError):
                await ref.ask(Boom(ValueError()))
            await anyio.sleep(21)
        # The first instance's alarm (due at 25) was cancelled; the new one's is due at 30.
        assert inbox.messages[1:] == [("tick", 15), ("tick", 25)]

    async def test_backoff_delays_restarts_in_virtual_time(self) -> None:
        from actors import Supervisor
        from supervision import Backoff, OneForOne, child

        starts = Inbox()

        class Worker(Actor):
            def on_start(self) -> None:
                starts.record(anyio.current_time())

            def receive(self, message: Any) -> Any:
                raise RuntimeError("always")

        class Patient(Supervisor):
            strategy = OneForOne(max_restarts=10, within=1000.0, backoff=Backoff(min=1.0, max=8.0))
            children = [child(Worker, name="w")]  # noqa: RUF012

        async with ActorSystem() as system:
            system.spawn(Patient, name="p")
            worker = system.lookup("p/w")
            assert worker is not None
            for count in range(2, 7):
                await starts.wait_for(count - 1, timeout=1000)
                worker.tell("fail")
                await starts.wait_for(count, timeout=1000)
        gaps = [round(b - a) for a, b in zip(starts.messages, starts.messages[1:], strict=False)]
        assert gaps == [1, 2, 4, 8, 8]


async def test_a_full_subscriber_gets_dead_letters_and_the_runtime_carries_on() -> None:
    from actors import DeadLetter, MailboxConfig

    letters = Inbox()
    release, handling = anyio.Event(), anyio.Event()

    class Stuck(Actor):
        mailbox = MailboxConfig(1, "fail")

        async def receive(self, message: Any) -> Any:
            handling.set()
            await release.wait()

    async with ActorSystem() as system:
        system.event_stream.subscribe(system.spawn(Recorder, letters), DeadLetter)
        stuck = system.spawn(Stuck)
        system.event_stream.subscribe(stuck, Event)
        try:
            system.event_stream.publish(Event("a"))
            await handling.wait()
            system.event_stream.publish(Event("b"))  # fills the mailbox
            system.event_stream.publish(Event("c"))  # refused: a dead letter, not an error
            (letter,) = await letters.wait_for(1)
            assert (letter.message, letter.reason) == (Event("c"), "mailbox full")
        finally:
            release.set()
        assert await system.spawn(Fragile, "alive", Inbox()).ask("x") == 1
