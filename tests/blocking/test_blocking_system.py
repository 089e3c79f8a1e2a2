"""``actors.blocking``: actors from plain threads, on both event loops."""

from __future__ import annotations

import re
import threading
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from attrs import frozen

from actors import (
    Actor,
    ActorStopped,
    ActorSystemClosed,
    DeadLetter,
    MailboxConfig,
    MailboxFull,
    MessageTypeError,
)
from actors.blocking import BlockingActorSystem, BlockingCallRefused, BlockingRef

WAIT = 10.0  # seconds before a blocking wait fails the test instead of hanging it


@pytest.fixture(params=["asyncio", "trio"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@frozen
class Echo:
    caller: int
    sequence: int


class Overdrawn(Exception):
    """A handler's own exception type."""


class Counter(Actor):
    """Echoes each request; counts them; raises on a negative sequence."""

    def __init__(self, stopped: list[str] | None = None) -> None:
        self.count = 0
        self.stopped = stopped

    def on_stop(self) -> None:
        if self.stopped is not None:
            self.stopped.append(self.context.self_ref.name)

    def receive(self, message: Any) -> Any:
        match message:
            case Echo(sequence=sequence) if sequence < 0:
                raise Overdrawn(f"cannot echo {sequence}")
            case Echo():
                self.count += 1
                return (self.context.self_ref.name, message)
            case "count":
                return self.count
            case list() as seen:  # tells from one thread: the order they arrived in
                seen.append(self.count)
                self.count += 1


class Gate(Actor):
    """Answers ``"wait"`` only once ``box["opened"]`` is set: a handler that takes its time."""

    def __init__(self, box: dict[str, Any]) -> None:
        self.box = box

    def on_start(self) -> None:
        self.box["opened"] = anyio.Event()

    async def receive(self, message: Any) -> Any:
        if message == "wait":
            if "entered" in self.box:
                self.box["entered"].set()
            await self.box["opened"].wait()
        return message


class Blocker(Actor):
    """Makes blocking calls into its own system from its handler, and reports what happened."""

    def __init__(self, box: dict[str, Any]) -> None:
        self.box = box

    def receive(self, message: Any) -> Any:
        system: BlockingActorSystem = self.box["system"]
        target: BlockingRef = self.box["target"]
        calls = {
            "ask": lambda: target.ask(Echo(0, 0)),
            "stop": lambda: system.stop(target),
            "call": lambda: system.call(system.actor_system.statistics),
            "shutdown": system.shutdown,
        }
        try:
            calls[message]()
        except BlockingCallRefused as error:
            # What waits for nothing still works in place on the loop thread.
            target.tell(Echo(0, 1))
            assert system.lookup(target.name) == target
            return str(error)
        return "not refused"


def _loop_threads(system: BlockingActorSystem) -> list[threading.Thread]:
    return [
        t for t in threading.enumerate() if t.name == f"anyactors {system.name} ({system.backend})"
    ]


def test_eight_threads_ask_the_same_actors_and_each_gets_its_own_replies(backend: str) -> None:
    threads, asks = 8, 150
    with BlockingActorSystem("crowd", backend=backend) as system:
        actors = [system.spawn(Counter, name=f"c{index}") for index in range(3)]
        start = threading.Barrier(threads)
        replies: dict[int, list[Any]] = {}
        failures: list[BaseException] = []

        def caller(number: int) -> None:
            try:
                start.wait(WAIT)
                replies[number] = [
                    actors[i % 3].ask(Echo(number, i), timeout=WAIT) for i in range(asks)
                ]
            except BaseException as error:
                failures.append(error)

        workers = [threading.Thread(target=caller, args=(n,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(WAIT * 3)
        assert failures == []
        for number in range(threads):
            assert replies[number] == [(f"c{i % 3}", Echo(number, i)) for i in range(asks)]
        counts = [actor.ask("count", timeout=WAIT) for actor in actors]
        assert counts == [threads * asks // 3] * 3


def test_a_handler_exception_reaches_the_blocking_caller_with_its_type(backend: str) -> None:
    with BlockingActorSystem("errors", backend=backend) as system:
        counter = system.spawn(Counter, name="counter")
        with pytest.raises(Overdrawn, match=r"^cannot echo -5$"):
            counter.ask(Echo(1, -5), timeout=WAIT)
        # The actor failed and was restarted by its supervisor: it answers again.
        assert counter.ask(Echo(1, 2), timeout=WAIT) == ("counter", Echo(1, 2))


def test_a_timeout_raises_timeout_error_and_the_request_is_still_handled(backend: str) -> None:
    box: dict[str, Any] = {}
    with BlockingActorSystem("slow", backend=backend) as system:
        gate = system.spawn(Gate, box, name="gate")
        assert gate.ask("ready", timeout=WAIT) == "ready"
        with pytest.raises(
            TimeoutError, match=r"^no reply from /user/gate within 0.05 s to a str$"
        ):
            gate.ask("wait", timeout=0.05)
        gate.tell("queued behind the waiting request")  # returns at once: tell never blocks
        system.call(box["opened"].set)
        assert gate.ask("after", timeout=WAIT) == "after"


def test_bad_timeouts_are_refused_in_the_caller(backend: str) -> None:
    with BlockingActorSystem("timeouts", backend=backend) as system:
        counter = system.spawn(Counter)
        with pytest.raises(
            ValueError,
            match=r"^timeout must be > 0 seconds, or None to wait without limit \(got 0\)$",
        ):
            counter.ask(Echo(0, 0), timeout=0)
        with pytest.raises(
            TypeError, match=r"^timeout must be a number of seconds or None \(got '1'\)$"
        ):
            counter.ask(Echo(0, 0), timeout="1")  # type: ignore[arg-type]


def test_an_ask_to_a_stopped_actor_raises_actor_stopped(backend: str) -> None:
    stopped: list[str] = []
    with BlockingActorSystem("stops", backend=backend) as system:
        counter = system.spawn(Counter, stopped, name="counter")
        assert counter.ask(Echo(0, 0), timeout=WAIT) == ("counter", Echo(0, 0))
        system.stop(counter)
        assert stopped == ["counter"]
        assert system.lookup("counter") is None
        with pytest.raises(ActorStopped, match=r"^/user/counter has stopped; it cannot answer "):
            counter.ask(Echo(0, 1), timeout=WAIT)
        counter.tell(Echo(0, 2))  # a dead letter, never an error
        letters = system.call(system.actor_system.statistics).dead_letters
        assert letters == {"Echo": 2}  # the refused ask and the tell


def test_leaving_the_block_stops_the_actors_and_joins_the_thread(backend: str) -> None:
    stopped: list[str] = []
    system = BlockingActorSystem("leaving", backend=backend)
    with system:
        assert len(_loop_threads(system)) == 1
        parent = system.spawn(Counter, stopped, name="first")
        system.spawn(Counter, stopped, name="second")
        parent.tell(Echo(0, 0))  # accepted before the exit: delivered before the stop
    assert stopped == ["second", "first"]  # reverse spawn order
    assert _loop_threads(system) == []
    assert "closed" in repr(system)
    with pytest.raises(ActorSystemClosed, match=r"^blocking actor system 'leaving' has shut down$"):
        parent.ask(Echo(0, 1))
    with pytest.raises(ActorSystemClosed, match=r"has shut down$"):
        parent.tell(Echo(0, 1))
    with pytest.raises(ActorSystemClosed, match=r"has shut down$"):
        system.spawn(Counter)
    system.shutdown()  # idempotent
    with pytest.raises(
        ActorSystemClosed,
        match=r"^blocking actor system 'leaving' was already started once; create a new BlockingActorSystem$",
    ):
        system.start()


def test_an_exception_inside_the_block_still_stops_the_system(backend: str) -> None:
    stopped: list[str] = []
    system = BlockingActorSystem("failing", backend=backend)

    def body() -> None:
        with system:
            system.spawn(Counter, stopped, name="counter")
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        body()
    assert stopped == ["counter"]
    assert _loop_threads(system) == []


def test_blocking_calls_from_a_handler_of_the_same_system_are_refused(backend: str) -> None:
    box: dict[str, Any] = {}
    with BlockingActorSystem("selfish", backend=backend) as system:
        box["system"] = system
        box["target"] = system.spawn(Counter, name="target")
        blocker = system.spawn(Blocker, box, name="blocker")
        for call, what in [
            ("ask", r"ask\(\) to /user/target"),
            ("stop", r"stop\(<ActorRef /user/target>\)"),
            ("call", r"call\(<bound method .*statistics.*>\)"),
            ("shutdown", r"shutdown\(\)"),
        ]:
            refusal = blocker.ask(call, timeout=WAIT)
            assert re.match(
                what
                + r" blocks until the event loop of actor system 'selfish' answers, but it was "
                r"called on that loop's own thread \(from one of its actors\), where it would wait "
                r"forever; there, await the async API instead",
                refusal,
            ), refusal
        # The tells made in place from the handler arrived; the system still answers.
        assert box["target"].ask("count", timeout=WAIT) == 4


def test_tells_from_one_thread_arrive_in_order_and_before_a_later_ask(backend: str) -> None:
    with BlockingActorSystem("order", backend=backend) as system:
        counter = system.spawn(Counter)
        seen: list[int] = []
        for _ in range(200):
            counter.tell(seen)
        assert counter.ask("count", timeout=WAIT) == 200
        assert seen == list(range(200))


def test_a_tell_from_a_thread_to_a_full_mailbox_becomes_a_counted_dead_letter(backend: str) -> None:
    box: dict[str, Any] = {"entered": threading.Event()}
    letters: list[DeadLetter] = []

    class Listener(Actor):
        def receive(self, message: Any) -> None:
            if isinstance(message, DeadLetter):
                letters.append(message)

    with BlockingActorSystem("full", backend=backend) as system:
        gate = system.spawn(Gate, box, name="gate", mailbox=MailboxConfig(capacity=1))
        listener = system.spawn(Listener)
        system.call(system.actor_system.event_stream.subscribe, listener.ref, DeadLetter)
        assert gate.ask("ready", timeout=WAIT) == "ready"
        waiting = threading.Thread(target=gate.ask, args=("wait",), kwargs={"timeout": WAIT})
        waiting.start()
        assert box["entered"].wait(WAIT)  # the gate is busy with that request
        gate.tell("fills the mailbox")
        gate.tell("finds it full")
        with pytest.raises(MailboxFull):  # an ask still raises into its caller
            gate.ask("also full", timeout=WAIT)
        system.call(box["opened"].set)
        waiting.join(WAIT)
        assert gate.ask("drained", timeout=WAIT) == "drained"
        assert system.call(system.actor_system.statistics).dead_letters == {"str": 1}
        listener.ask("published before this ask", timeout=WAIT)
        assert [(letter.message, letter.reason) for letter in letters] == [
            ("finds it full", "mailbox full")
        ]


def test_lookup_wrap_and_call(backend: str) -> None:
    with BlockingActorSystem("api", backend=backend, shutdown_timeout=5) as system:
        counter = system.spawn(Counter, name="counter")
        assert system.lookup("counter") == counter
        assert system.lookup("/user/counter") == counter
        assert system.lookup("nobody") is None
        assert system.wrap(counter.ref) == counter
        assert hash(system.wrap(counter.ref)) == hash(counter)
        assert repr(counter) == "<BlockingRef /user/counter>"
        assert (counter.path, counter.name) == ("/user/counter", "counter")

        async def doubled(value: int) -> int:
            await anyio.lowlevel.checkpoint()
            return value * 2

        assert system.call(doubled, 21) == 42
        # Plain functions run where anyio knows its backend, as in a task.
        assert isinstance(system.call(anyio.current_time), float)
        assert isinstance(system.call(anyio.Event), anyio.Event)
        with pytest.raises(KeyError):
            system.call({}.__getitem__, "missing")
        with pytest.raises(
            TypeError, match=r"^wrap\(\) needs an actors.ActorRef \(got 'counter'\)$"
        ):
            system.wrap("counter")  # type: ignore[arg-type]


def test_bad_configuration_is_refused_where_it_is_made() -> None:
    with pytest.raises(ValueError, match=r"^backend must be 'asyncio' or 'trio' \(got 'curio'\)$"):
        BlockingActorSystem("bad", backend="curio")
    with pytest.raises(ValueError, match=r"^shutdown_timeout must be > 0 seconds \(got -1\)$"):
        BlockingActorSystem("bad", shutdown_timeout=-1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        BlockingActorSystem("bad", colour="red")
    system = BlockingActorSystem("unstarted")
    with pytest.raises(
        ActorSystemClosed,
        match=r"^blocking actor system 'unstarted' is not running; start it first with `with BlockingActorSystem\('unstarted'\) as system:`$",
    ):
        system.spawn(Counter)


def test_send_blocks_a_producer_thread_while_the_mailbox_is_full(backend: str) -> None:
    box: dict[str, Any] = {"entered": threading.Event()}
    with BlockingActorSystem("producer", backend=backend) as system:
        gate = system.spawn(
            Gate, box, name="gate", mailbox=MailboxConfig(capacity=1, overflow="backpressure")
        )
        assert gate.ask("ready", timeout=WAIT) == "ready"
        gate.tell("wait")
        assert box["entered"].wait(WAIT)  # the gate is busy; its mailbox is empty
        gate.send("first")  # room for one
        sent: list[str] = []

        def produce() -> None:
            for message in ("second", "third"):
                gate.send(message)  # waits for room, never drops
                sent.append(message)

        producer = threading.Thread(target=produce)
        producer.start()
        gate.tell("would not fit")  # a tell from a thread never waits: a dead letter
        assert sent == []  # the mailbox is still full: the producer waits
        system.call(box["opened"].set)
        producer.join(WAIT)
        assert sent == ["second", "third"]
        assert gate.ask("last", timeout=WAIT) == "last"
        assert system.call(system.actor_system.statistics).dead_letters == {"str": 1}


class Ledger(Actor[int]):
    """Takes only ints (for ``check_messages``); answers each with the ints seen so far."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def receive(self, message: int) -> list[int]:
        self.seen.append(message)
        return list(self.seen)


class SlowLedger(Ledger):
    """As Ledger, but ``receive`` is async, so a request always goes through the mailbox."""

    async def receive(self, message: int) -> list[int]:  # type: ignore[override]
        await anyio.lowlevel.checkpoint()
        return Ledger.receive(self, message)


@pytest.mark.parametrize("actor_class", [Ledger, SlowLedger])
def test_a_blocking_ask_is_handled_as_any_turn_in_mailbox_order_and_counted(
    backend: str, actor_class: type[Ledger]
) -> None:
    with BlockingActorSystem("turns", backend=backend) as system:
        ledger = system.spawn(actor_class)
        for number in range(5):
            ledger.tell(number)  # queued ahead of the ask below: not overtaken
        assert ledger.ask(5, timeout=WAIT) == [0, 1, 2, 3, 4, 5]
        assert [ledger.ask(n, timeout=WAIT)[-1] for n in range(6, 20)] == list(range(6, 20))
        statistics = system.call(ledger.ref.statistics)
        assert statistics.messages_handled == 20
        assert statistics.failures == 0


def test_a_message_of_the_wrong_type_is_refused_in_the_callers_thread(backend: str) -> None:
    with BlockingActorSystem("typed", backend=backend, check_messages=True) as system:
        ledger = system.spawn(Ledger)
        with pytest.raises(
            MessageTypeError, match=r"^/user/\S+ accepts int \(Ledger is an Actor\[int\]\), not str"
        ):
            ledger.ask("seven", timeout=WAIT)
        assert ledger.ask(7, timeout=WAIT) == [7]


class Tally(Actor):
    """Counts what it is told; reports the count when it stops."""

    def __init__(self, counts: list[int]) -> None:
        self.counts = counts
        self.count = 0

    def receive(self, message: Any) -> None:
        self.count += 1

    def on_stop(self) -> None:
        self.counts.append(self.count)


def test_every_tell_made_before_leaving_the_block_arrives_before_the_stop(backend: str) -> None:
    # More than one drain of the inbox takes at once (64): the stop request
    # still queues behind them all.
    counts: list[int] = []
    with BlockingActorSystem("flood", backend=backend) as system:
        tally = system.spawn(Tally, counts)
        for _ in range(1000):
            tally.tell("one")
    assert counts == [1000]
