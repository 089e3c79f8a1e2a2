"""The instrumentation seam: carriers travel with messages, scopes bracket handlers."""

from __future__ import annotations

import contextvars
from typing import Any

import anyio
import pytest
from attrs import define, field

from actors import Actor, ActorRef, ActorSystem, HandlingScope

pytestmark = pytest.mark.anyio

trace: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace", default=None)


@define
class Scope:
    recorder: Recorder
    path: str
    message: object
    carrier: object
    token: contextvars.Token[str | None] | None = None

    def activate(self) -> None:
        self.token = trace.set(
            str(self.carrier) if self.carrier is not None else f"root:{self.path}"
        )

    def deactivate(self) -> None:
        assert self.token is not None
        trace.reset(self.token)
        self.token = None

    def end(self, error: BaseException | None) -> None:
        self.recorder.ended.append(
            (self.path, self.message, self.carrier, repr(error) if error else None)
        )


@define
class Recorder:
    """A toy tracer: the carrier is the sender's current trace id."""

    ended: list[tuple[str, object, object, str | None]] = field(factory=list)

    def on_send(self, target: ActorRef, message: object) -> object:
        return trace.get()

    def on_handle(self, ref: ActorRef, message: object, carrier: object) -> HandlingScope:
        return Scope(self, ref.path, message, carrier)


class Relay(Actor):
    def __init__(self, next_hop: ActorRef | None) -> None:
        self.next_hop = next_hop

    async def receive(self, message: Any) -> Any:
        if message == "slow":
            await anyio.sleep(0.001)  # suspends: the trace must survive the await
            seen = trace.get()
        else:
            seen = trace.get()
        if self.next_hop is not None:
            await self.next_hop.ask(("from", seen))
        if message == "fail":
            raise ValueError("boom")
        return seen


async def test_carriers_cross_actors_and_scopes_bracket_each_handler() -> None:
    recorder = Recorder()
    async with ActorSystem(instrumentation=recorder) as system:
        last = system.spawn(Relay, None, name="last")
        first = system.spawn(Relay, last, name="first")
        token = trace.set("T1")
        try:
            assert await first.ask("hello") == "T1"
            assert await first.ask("slow") == "T1"
        finally:
            trace.reset(token)
        # Sent from outside any trace: the handler starts a root of its own.
        assert await first.ask("plain") == "root:/user/first"
        with pytest.raises(ValueError):
            await first.ask("fail")
    assert recorder.ended[:4] == [
        ("/user/last", ("from", "T1"), "T1", None),
        ("/user/first", "hello", "T1", None),
        ("/user/last", ("from", "T1"), "T1", None),
        ("/user/first", "slow", "T1", None),
    ]
    assert recorder.ended[-1] == ("/user/first", "fail", None, "ValueError('boom')")
    assert trace.get() is None  # nothing leaked into this task


async def test_a_system_without_instrumentation_keeps_the_fast_path() -> None:
    async with ActorSystem() as system:
        ref = system.spawn(Relay, None)
        await ref.ask("warm up")
        ref.tell("x")
        assert ref._cell.open  # type: ignore[attr-defined]


def test_instrumentation_must_have_both_hooks() -> None:
    with pytest.raises(
        TypeError, match=r"^instrumentation must provide on_send\(\) and on_handle\(\)"
    ):
        ActorSystem(instrumentation=object())  # type: ignore[arg-type]


async def test_a_carried_ask_waits_for_room_under_backpressure() -> None:
    from actors import MailboxConfig

    recorder = Recorder()
    entered, release = anyio.Event(), anyio.Event()

    class Gate(Actor):
        mailbox = MailboxConfig(1, "backpressure")

        async def receive(self, message: Any) -> Any:
            entered.set()
            await release.wait()
            return message

    async with ActorSystem(instrumentation=recorder) as system:
        gate = system.spawn(Gate)
        gate.tell("first")  # in hand
        await entered.wait()
        gate.tell("second")  # fills the mailbox
        answers: list[Any] = []

        async def carried() -> None:
            answers.append(await gate._ask_carried("third", "T9"))

        async with anyio.create_task_group() as group:
            group.start_soon(carried)
            await anyio.sleep(0.01)
            assert answers == []  # waiting for room, not failed
            release.set()
        assert answers == ["third"]
    assert ("/user/$1", "third", "T9", None) in recorder.ended
