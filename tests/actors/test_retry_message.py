"""``retry_message``: the failed message is handled again after a resume or restart.

Each test runs on asyncio and trio. Failures are scripted per message from
outside the actor (a restart builds a fresh instance), so that "fails twice,
then succeeds" holds across restarts.
"""

from __future__ import annotations

import itertools
from typing import Any, ClassVar

import anyio
import pytest
from attrs import define, field, frozen
from hypothesis import given, settings
from hypothesis import strategies as st

from actors import (
    Actor,
    ActorFailed,
    ActorRef,
    ActorStopped,
    ActorSystem,
    DeadLetter,
    Supervisor,
)
from actors.routing import spawn_pool
from supervision import Backoff, Directive, InvalidStrategy, NoRetry, OneForOne, child

from .probe import Inbox, Recorder

pytestmark = pytest.mark.anyio


class Flaky(Exception):
    """A transient failure; ``attempt`` says which attempt raised it."""

    def __init__(self, message: object, attempt: int) -> None:
        super().__init__(f"{message!r} failed on attempt {attempt}")
        self.attempt = attempt


class Invalid(Exception):
    """A permanent failure: retrying cannot help."""


@define
class Script:
    """How many times each message still fails, and every attempt seen."""

    failures: dict[object, int] = field(factory=dict)
    attempts: list[object] = field(factory=list)

    def attempt(self, message: object) -> None:
        self.attempts.append(message)
        left = self.failures.get(message, 0)
        if left == -1:
            raise Invalid(message)
        if left > 0:
            self.failures[message] = left - 1
            raise Flaky(message, self.attempts.count(message))


class Worker(Actor):
    """Applies each message once it succeeds; answers with everything applied so far."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.applied: list[object] = []

    def receive(self, message: Any) -> Any:
        if message == "applied":
            return list(self.applied)
        self.script.attempt(message)
        self.applied.append(message)
        return f"done {message}"


class AsyncWorker(Worker):
    async def receive(self, message: Any) -> Any:
        await anyio.lowlevel.checkpoint()  # suspends: the failure comes from a Suspension
        return super().receive(message)


def decider_for(directive: Directive) -> Any:
    def decide(error: BaseException) -> Directive | NoRetry:
        if isinstance(error, Invalid):
            return NoRetry(directive)
        return directive

    return decide


def supervisor(
    worker: type[Actor], script: Script, *, directive: Directive, retry: int, own: int = 0
) -> type[Supervisor]:
    class Team(Supervisor):
        strategy = OneForOne(
            max_restarts=50, within=60.0, retry_message=retry, decider=decider_for(directive)
        )
        children: ClassVar = [child(worker, script, name="w", retry_message=own)]

    return Team


@define
class Events:
    inbox: Inbox = field(factory=Inbox)

    def subscribe(self, system: ActorSystem) -> None:
        ref = system.spawn(Recorder, self.inbox, name="events")
        system.event_stream.subscribe(ref, ActorFailed)
        system.event_stream.subscribe(ref, DeadLetter)

    def failed(self) -> list[ActorFailed]:
        return self.inbox.of_type(ActorFailed)

    def dead(self) -> list[DeadLetter]:
        return self.inbox.of_type(DeadLetter)


async def start_worker(
    system: ActorSystem, worker: type[Actor], script: Script, directive: Directive, retry: int
) -> ActorRef:
    system.spawn(supervisor(worker, script, directive=directive, retry=retry), name="team")
    await anyio.lowlevel.checkpoint()
    ref = system.lookup("team/w")
    assert ref is not None
    return ref


@pytest.mark.parametrize("worker", [Worker, AsyncWorker])
@pytest.mark.parametrize("directive", [Directive.RESUME, Directive.RESTART])
async def test_a_message_that_fails_twice_then_succeeds_is_answered_and_applied_once(
    worker: type[Actor], directive: Directive
) -> None:
    script = Script(failures={"pay": 2})
    events = Events()
    async with ActorSystem() as system:
        events.subscribe(system)
        ref = await start_worker(system, worker, script, directive, retry=2)
        assert await ref.ask("pay") == "done pay"
        assert await ref.ask("applied") == ["pay"]
        await events.inbox.wait_for(2)
    assert script.attempts == ["pay", "pay", "pay"]
    assert [event.message for event in events.failed()] == ["pay", "pay"]
    assert [getattr(event.error, "attempt", None) for event in events.failed()] == [1, 2]
    assert events.dead() == []


@pytest.mark.parametrize("worker", [Worker, AsyncWorker])
@pytest.mark.parametrize("directive", [Directive.RESUME, Directive.RESTART])
async def test_a_poison_message_becomes_a_dead_letter_after_n_plus_one_attempts(
    worker: type[Actor], directive: Directive
) -> None:
    script = Script(failures={"poison": 99})
    events = Events()
    async with ActorSystem() as system:
        events.subscribe(system)
        ref = await start_worker(system, worker, script, directive, retry=2)
        with pytest.raises(Flaky) as raised:
            await ref.ask("poison")
        assert raised.value.attempt == 3  # the last exception, never an earlier one
        assert await ref.ask("next") == "done next"  # the actor goes on
        await events.inbox.wait_for(4)
    assert script.attempts == ["poison"] * 3 + ["next"]
    assert len(events.failed()) == 3
    [dead] = events.dead()
    assert dead.message == "poison"
    assert dead.recipient == ref
    assert dead.reason.startswith("failed 3 times; the last attempt raised Flaky(")


async def test_the_retried_message_comes_before_the_next_queued_ones() -> None:
    script = Script(failures={"a": 1, "c": 2})
    async with ActorSystem() as system:
        ref = await start_worker(system, Worker, script, Directive.RESUME, retry=2)
        for message in "abcd":
            ref.tell(message)
        assert await ref.ask("applied") == ["a", "b", "c", "d"]
    assert script.attempts == ["a", "a", "b", "c", "c", "c", "d"]


async def test_a_decider_can_refuse_retries_for_errors_that_are_not_transient() -> None:
    script = Script(failures={"bad": -1})
    events = Events()
    async with ActorSystem() as system:
        events.subscribe(system)
        ref = await start_worker(system, Worker, script, Directive.RESTART, retry=5)
        with pytest.raises(Invalid):
            await ref.ask("bad")
        assert await ref.ask("applied") == []
        await events.inbox.wait_for(1)
    assert script.attempts == ["bad"]
    assert len(events.failed()) == 1
    assert events.dead() == []


async def test_a_child_spec_overrides_the_strategy() -> None:
    script = Script(failures={"x": 3})
    async with ActorSystem() as system:
        team = supervisor(Worker, script, directive=Directive.RESTART, retry=1, own=3)
        system.spawn(team, name="team")
        await anyio.lowlevel.checkpoint()
        ref = system.lookup("team/w")
        assert ref is not None
        assert await ref.ask("x") == "done x"
    assert script.attempts == ["x"] * 4


async def test_a_top_level_actor_retries_with_spawn_retry_message() -> None:
    script = Script(failures={"t": 1, "u": 5})
    async with ActorSystem() as system:
        ref = system.spawn(Worker, script, retry_message=1)
        ref.tell("t")
        assert await ref.ask("applied") == ["t"]  # the restarted instance applied it
        with pytest.raises(Flaky):
            await ref.ask("u")
    assert script.attempts == ["t", "t", "u", "u"]


async def test_pool_workers_retry_the_failed_message_on_the_same_worker() -> None:
    script = Script(failures={"job": 2})
    async with ActorSystem() as system:
        pool = spawn_pool(
            system,
            Worker,
            script,
            size=3,
            strategy=OneForOne(max_restarts=10, within=5.0, retry_message=2),
        )
        assert await pool.ask("job") == "done job"
    assert script.attempts == ["job"] * 3


async def test_without_retry_message_the_failed_message_is_not_redelivered() -> None:
    script = Script(failures={"once": 1})
    async with ActorSystem() as system:
        ref = await start_worker(system, Worker, script, Directive.RESTART, retry=0)
        with pytest.raises(Flaky):
            await ref.ask("once")
        assert await ref.ask("applied") == []
    assert script.attempts == ["once"]


async def test_a_stop_during_the_backoff_fails_the_waiting_ask_instead_of_hanging() -> None:
    script = Script(failures={"slow": 1})
    events = Events()
    async with ActorSystem() as system:
        events.subscribe(system)

        class Team(Supervisor):
            strategy = OneForOne(retry_message=1, backoff=Backoff(min=30.0, max=60.0))
            children: ClassVar = [child(Worker, script, name="w")]

        team = system.spawn(Team, name="team")
        await anyio.lowlevel.checkpoint()
        ref = system.lookup("team/w")
        assert ref is not None
        async with anyio.create_task_group() as group:

            async def ask() -> None:
                with pytest.raises(ActorStopped):
                    await ref.ask("slow")

            group.start_soon(ask)
            await events.inbox.wait_for(1)  # failed once; the retry waits 30 s
            await system.stop(team)
    assert script.attempts == ["slow"]
    assert [dead.message for dead in events.dead()] == ["slow"]


def test_retry_message_is_validated_where_it_is_given() -> None:
    with pytest.raises(InvalidStrategy, match=r"^OneForOne retry_message must be >= 0"):
        OneForOne(retry_message=-1)
    with pytest.raises(InvalidStrategy, match=r"^child retry_message must be an int"):
        child(Worker, retry_message=1.5)  # type: ignore[arg-type]


async def test_spawn_validates_retry_message() -> None:
    async with ActorSystem() as system:
        with pytest.raises(InvalidStrategy, match=r"^spawn\(\) retry_message must be >= 0"):
            system.spawn(Worker, Script(), retry_message=-2)


@frozen
class Step:
    message: int
    failures: int


@settings(max_examples=15, deadline=None)
@given(
    steps=st.lists(
        st.builds(Step, st.integers(0, 1000), st.integers(0, 4)),
        max_size=6,
        unique_by=lambda step: step.message,
    ),
    retry=st.integers(0, 3),
    directive=st.sampled_from([Directive.RESUME, Directive.RESTART]),
)
async def test_random_failures_match_a_model(
    steps: list[Step], retry: int, directive: Directive
) -> None:
    script = Script(failures={step.message: step.failures for step in steps})
    async with ActorSystem() as system:
        ref = await start_worker(system, Worker, script, directive, retry=retry)
        for step in steps:
            ref.tell(step.message)
        applied = await ref.ask("applied")
    # The model: each message is attempted until it succeeds or runs out of
    # retries, before the next one; it is applied only if an attempt succeeded.
    expected_attempts: list[object] = []
    expected_applied: list[object] = []
    for step in steps:
        attempts = min(step.failures + 1, retry + 1)
        expected_attempts += [step.message] * attempts
        if step.failures <= retry:
            expected_applied.append(step.message)
    assert script.attempts == expected_attempts
    if directive is Directive.RESUME:
        assert applied == expected_applied
    else:
        # A restart forgets what earlier instances applied: only the messages
        # from the last one that failed on are in the fresh instance's state.
        failed = [index for index, step in enumerate(steps) if step.failures > 0]
        first = failed[-1] if failed else 0
        assert applied == [
            step.message for step in steps[first:] if step.message in expected_applied
        ]


async def test_an_instrumented_system_sees_every_attempt_with_the_message_carrier() -> None:
    from .test_instrumentation import Recorder as Tracer

    tracer = Tracer()
    script = Script(failures={"m": 2})
    async with ActorSystem(instrumentation=tracer) as system:
        ref = await start_worker(system, AsyncWorker, script, Directive.RESTART, retry=2)
        assert await ref.ask("m") == "done m"
    attempts = [entry for entry in tracer.ended if entry[1] == "m"]
    assert [error is None for *_, error in attempts] == [False, False, True]
    assert len({carrier for _, _, carrier, _ in attempts}) == 1  # the same trace context


class TestBackoffInVirtualTime:
    @pytest.fixture
    def anyio_backend(self) -> Any:
        import trio.testing

        return ("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)})

    @pytest.mark.parametrize("directive", [Directive.RESUME, Directive.RESTART])
    async def test_each_retry_waits_for_the_backoff_delay(self, directive: Directive) -> None:
        times: list[float] = []

        class Timed(Worker):
            def receive(self, message: Any) -> Any:
                times.append(anyio.current_time())
                return super().receive(message)

        script = Script(failures={"m": 3})
        async with ActorSystem() as system:

            class Team(Supervisor):
                strategy = OneForOne(
                    max_restarts=10,
                    within=100.0,
                    retry_message=3,
                    backoff=Backoff(min=1.0, max=8.0),
                    decider=lambda error: directive,
                )
                children: ClassVar = [child(Timed, script, name="w")]

            system.spawn(Team, name="team")
            await anyio.lowlevel.checkpoint()
            ref = system.lookup("team/w")
            assert ref is not None
            with anyio.fail_after(1000):
                assert await ref.ask("m") == "done m"
        gaps = [round(later - earlier, 3) for earlier, later in itertools.pairwise(times)]
        assert gaps == [1.0, 2.0, 4.0]
