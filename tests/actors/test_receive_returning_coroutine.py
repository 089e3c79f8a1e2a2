"""A handler that returns a coroutine (``return other.ask(...)`` without ``await``).

The asker must get a clear error at once, naming the actor and the fix,
instead of a coroutine object as its answer and a "never awaited" warning
later (the suite runs with warnings as errors, so such a warning fails it).
"""

from __future__ import annotations

from typing import Any

import anyio.lowlevel
import pytest
from attrs import define

from actors import Actor, ActorRef, ActorSystem, HandlingScope, Instrumentation

from .probe import Inbox, Recorder

pytestmark = pytest.mark.anyio


class SyncForwarder(Actor):
    def __init__(self, target: ActorRef) -> None:
        self.target = target

    def receive(self, message: Any) -> Any:
        return self.target.ask(message)  # the mistake: a def cannot await


class AsyncForwarder(Actor):
    def __init__(self, target: ActorRef) -> None:
        self.target = target

    async def receive(self, message: Any) -> Any:
        if message == "after a pause":
            await anyio.lowlevel.checkpoint()  # really suspends: the reply is settled later
        return self.target.ask(message)  # the mistake: no await


@define
class _Scope:
    def activate(self) -> None:
        pass

    def deactivate(self) -> None:
        pass

    def end(self, error: BaseException | None) -> None:
        pass


class NoTracing:
    def on_send(self, target: ActorRef, message: object) -> object:
        return None

    def on_handle(self, ref: ActorRef, message: object, carrier: object) -> HandlingScope:
        return _Scope()


@pytest.mark.parametrize("instrumented", [False, True], ids=["plain", "instrumented"])
@pytest.mark.parametrize(
    ("forwarder", "message", "fix"),
    [
        (SyncForwarder, "hello", r"make receive an `async def` and await it"),
        (AsyncForwarder, "hello", r"await it"),
        (AsyncForwarder, "after a pause", r"await it"),
    ],
)
async def test_a_returned_coroutine_fails_the_handler_with_the_fix(
    forwarder: type[Actor], message: str, fix: str, instrumented: bool
) -> None:
    inbox = Inbox()
    instrumentation: Instrumentation | None = NoTracing() if instrumented else None
    async with ActorSystem(instrumentation=instrumentation) as system:
        target = system.spawn(Recorder, inbox, name="target")
        ref = system.spawn(forwarder, target, name="forwarder")
        with pytest.raises(
            TypeError,
            match=(
                r"^receive of /user/forwarder returned the coroutine \S*ask\(\) "
                rf"instead of a reply; {fix}"
            ),
        ):
            await ref.ask(message)
        # The coroutine was closed unstarted: nothing reached the target.
        assert await target.ask("ping") == "ping"
        assert inbox.messages == ["ping"]


async def test_returning_none_or_a_plain_value_is_unaffected() -> None:
    class Plain(Actor):
        def receive(self, message: Any) -> Any:
            return None if message == "nothing" else message

    async with ActorSystem() as system:
        ref = system.spawn(Plain)
        assert await ref.ask("nothing") is None
        assert await ref.ask(42) == 42
