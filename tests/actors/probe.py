"""Test helpers: an inbox that tests can await, and small actors that feed it."""

from __future__ import annotations

from typing import Any

import anyio
from attrs import define, field, frozen

from actors import Actor, ActorRef, ActorSystem, Terminated

WAIT = 10.0  # seconds before a wait fails the test instead of hanging it


@define(eq=False)
class Inbox:
    """Everything some actor saw, with a way to wait until enough has arrived."""

    messages: list[Any] = field(factory=list)
    _waiters: list[tuple[int, anyio.Event]] = field(factory=list)

    def record(self, message: Any) -> None:
        self.messages.append(message)
        for count, event in self._waiters:
            if len(self.messages) >= count:
                event.set()

    async def wait_for(self, count: int, *, timeout: float = WAIT) -> list[Any]:
        """Wait until at least ``count`` messages have arrived; return them all.

        In virtual time (trio's MockClock) pass a ``timeout`` beyond the
        scenario's timers: the clock jumps straight to it when all is idle.
        """
        if len(self.messages) < count:
            event = anyio.Event()
            self._waiters.append((count, event))
            with anyio.fail_after(timeout):
                await event.wait()
        return list(self.messages)

    def of_type(self, kind: type) -> list[Any]:
        return [message for message in self.messages if isinstance(message, kind)]


class Recorder(Actor):
    """Records every message it receives in ``inbox``; answers asks with the message."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def receive(self, message: Any) -> Any:
        self.inbox.record(message)
        return message


@frozen
class Boom:
    """Makes a ``Fragile`` actor raise ``error``."""

    error: Exception


class Fragile(Actor):
    """Counts messages in its state, records lifecycle events, raises on ``Boom``."""

    def __init__(self, label: str, inbox: Inbox) -> None:
        self.label = label
        self.inbox = inbox
        self.count = 0

    def on_start(self) -> None:
        self.inbox.record(("start", self.label))

    def on_stop(self) -> None:
        self.inbox.record(("stop", self.label))

    def receive(self, message: Any) -> Any:
        if isinstance(message, Boom):
            raise message.error
        if message == "count":
            return self.count
        self.count += 1
        return self.count


class Watcher(Actor):
    """Watches ``target`` and records the ``Terminated`` it receives."""

    def __init__(self, target: ActorRef, inbox: Inbox) -> None:
        self.target = target
        self.inbox = inbox

    def on_start(self) -> None:
        self.context.watch(self.target)

    def receive(self, message: Any) -> Any:
        self.inbox.record(message)


async def terminated(system: ActorSystem, ref: ActorRef) -> None:
    """Wait until ``ref`` has stopped for good (by watching it, not by polling)."""
    inbox = Inbox()
    system.spawn(Watcher, ref, inbox)
    assert await inbox.wait_for(1) == [Terminated(ref)]
