"""Protocol properties, checked by hypothesis on both backends.

- No loss, no duplication, FIFO per sender, whatever the interleaving of senders
  and the scheduler's fairness settings.
- Restart bookkeeping: after any sequence of messages and failures handled by
  resume or restart, the actor's state and counters match a plain model.
"""

from __future__ import annotations

from typing import Any

import pytest
from attrs import frozen
from hypothesis import given
from hypothesis import strategies as st

from actors import Actor, ActorRef, ActorSystem
from supervision import Directive, OneForOne

from .probe import Inbox, Recorder

pytestmark = pytest.mark.anyio


@frozen
class Burst:
    """Tell the target ``count`` numbered messages, ``chunk`` at a time between yields."""

    target: ActorRef
    count: int
    chunk: int


class Sender(Actor):
    def __init__(self, label: int) -> None:
        self.label = label
        self.sent = 0

    def receive(self, message: Any) -> Any:
        match message:
            case Burst(target, count, chunk):
                for _ in range(min(chunk, count - self.sent)):
                    target.tell((self.label, self.sent))
                    self.sent += 1
                if self.sent < count:
                    self.context.self_ref.tell(message)  # interleave with other senders


@given(
    counts=st.lists(st.integers(0, 60), min_size=1, max_size=5),
    chunks=st.lists(st.integers(1, 7), min_size=5, max_size=5),
    throughput=st.integers(1, 20),
    yield_interval=st.integers(1, 20),
    host_messages=st.integers(0, 30),
)
async def test_nothing_is_lost_or_duplicated_and_each_sender_keeps_its_order(
    counts: list[int], chunks: list[int], throughput: int, yield_interval: int, host_messages: int
) -> None:
    inbox = Inbox()
    async with ActorSystem(throughput=throughput, yield_interval=yield_interval) as system:
        receiver = system.spawn(Recorder, inbox)
        for label, count in enumerate(counts):
            system.spawn(Sender, label).tell(Burst(receiver, count, chunks[label]))
        for number in range(host_messages):
            if number % 2:
                receiver.tell(("host", number))
            else:
                await receiver.send(("host", number))
        total = sum(counts) + host_messages
        received = await inbox.wait_for(total)
    assert len(received) == total
    for label, count in enumerate(counts):
        assert [n for (who, n) in received if who == label] == list(range(count))
    assert [n for (who, n) in received if who == "host"] == list(range(host_messages))


@frozen
class Crash:
    directive: Directive


class Counter(Actor):
    strategy = None

    def __init__(self) -> None:
        self.count = 0

    def receive(self, message: Any) -> Any:
        if isinstance(message, Crash):
            raise _ERRORS[message.directive]
        if message == "count":
            return self.count
        self.count += 1
        return self.count


class _Resume(Exception):
    pass


class _Restart(Exception):
    pass


_ERRORS = {Directive.RESUME: _Resume("resume"), Directive.RESTART: _Restart("restart")}


class Parent(Actor):
    strategy = OneForOne(
        max_restarts=10_000,
        within=60.0,
        decider=lambda error: Directive.RESUME if isinstance(error, _Resume) else Directive.RESTART,
    )

    def on_start(self) -> None:
        self.context.spawn(Counter, name="counter")

    def receive(self, message: Any) -> Any:
        return self.context.children[0]


@given(
    steps=st.lists(
        st.one_of(
            st.just("bump"), st.sampled_from([Crash(Directive.RESUME), Crash(Directive.RESTART)])
        ),
        max_size=40,
    )
)
async def test_restart_bookkeeping_matches_a_model(steps: list[Any]) -> None:
    async with ActorSystem() as system:
        parent = system.spawn(Parent)
        counter: ActorRef = await parent.ask("child?")
        expected, restarts = 0, 0
        for step in steps:
            counter.tell(step)
            if step == "bump":
                expected += 1
            elif step.directive is Directive.RESTART:
                expected, restarts = 0, restarts + 1
        assert await counter.ask("count") == expected
        statistics = counter.statistics()
        assert statistics.restarts == restarts
        assert statistics.failures == sum(isinstance(step, Crash) for step in steps)
