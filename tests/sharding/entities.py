"""Entities used by the sharding tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import anyio
from attrs import frozen

from actors import Actor
from actors.persistence import DurableStateActor, MessageRegistry
from tests.actors.probe import Inbox


@frozen
class Remind:
    """Ask the entity to set a reminder (``after`` seconds from now, or ``at``)."""

    name: str
    message: object
    after: float | None
    every: float | None = None
    at: datetime | None = None


@frozen
class Cancel:
    name: str


class Counter(Actor):
    """Counts what it handled; records ``(id, message)`` in the inbox; replies with its count."""

    def __init__(self, entity_id: str, inbox: Inbox, stop_delay: float = 0.0) -> None:
        self.entity_id = entity_id
        self.inbox = inbox
        self.stop_delay = stop_delay
        self.count = 0

    async def receive(self, message: Any) -> Any:
        match message:
            case Remind(name, payload, after, every, at):
                await self.context.remind(name, payload, after=after, at=at, every=every)
                return "set"
            case Cancel(name):
                return await self.context.cancel_reminder(name)
            case "stop yourself":
                self.context.stop(self.context.self_ref)
                return None
        self.count += 1
        self.inbox.record((self.entity_id, message))
        return self.count

    async def on_stop(self) -> None:
        if self.stop_delay:
            await anyio.sleep(self.stop_delay)


class Total(DurableStateActor):
    """A durable sum: ``int`` adds, ``"total"`` replies."""

    def __init__(self, entity_id: str) -> None:
        self.state = 0

    async def receive(self, message: Any) -> Any:
        if isinstance(message, int):
            await self.save(self.state + message)
        return self.state


def registry() -> MessageRegistry:
    found = MessageRegistry()
    found.register(Remind, Cancel)
    return found
