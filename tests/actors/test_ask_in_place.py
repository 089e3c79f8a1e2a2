"""An ``ask`` from outside the actors to an idle actor with a plain ``receive``.

It is answered in the asking task (no task switch), so these pin what must not
change because of that: the handler's context variables, cancellation, the
order against messages already waiting, and fairness to other tasks.
"""

from __future__ import annotations

import contextvars
from typing import Any

import anyio
import pytest

from actors import Actor, ActorSystem

from .probe import Inbox

pytestmark = pytest.mark.anyio

CALLER = contextvars.ContextVar("CALLER", default="unset")


class Echo(Actor):
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def receive(self, message: Any) -> Any:
        self.inbox.record(message)
        if message == "var":
            return CALLER.get()
        return message


async def test_the_handler_sees_the_runtime_context_not_the_callers() -> None:
    async with ActorSystem() as system:
        ref = system.spawn(Echo, Inbox())
        await ref.ask("started")
        token = CALLER.set("caller")
        try:
            assert await ref.ask("var") == "unset"
        finally:
            CALLER.reset(token)


async def test_a_cancelled_ask_delivers_nothing() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        ref = system.spawn(Echo, inbox)
        await ref.ask("started")
        with anyio.CancelScope() as scope:
            scope.cancel()
            await ref.ask("never")
        assert scope.cancelled_caught
        assert await ref.ask("after") == "after"
        assert inbox.messages == ["started", "after"]


async def test_asks_in_a_loop_let_other_tasks_run() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await anyio.lowlevel.checkpoint()

    async with ActorSystem(yield_interval=10) as system:
        ref = system.spawn(Echo, Inbox())
        await ref.ask("started")
        async with anyio.create_task_group() as group:
            group.start_soon(ticker)
            await anyio.lowlevel.checkpoint()
            before = ticks
            for i in range(100):
                assert await ref.ask(i) == i
            assert ticks - before >= 100 // 10 - 1
            group.cancel_scope.cancel()


async def test_an_actor_asked_only_from_outside_has_handling_times() -> None:
    async with ActorSystem() as system:
        system.spawn(Echo, Inbox())
        # Second in the dispatcher's batch, so its start turn is not the
        # batch's timed sample: only the asks answered in place time it.
        ref = system.spawn(Echo, Inbox())
        for i in range(3):
            assert await ref.ask(i) == i
        stats = ref.statistics()
        assert stats.messages_handled == 3
        assert stats.handling_time > 0
        assert stats.handling_time_p90 is not None
