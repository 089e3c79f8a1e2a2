"""A hypothesis state machine over interleaved tell, ask, upgrade and restart, on both backends.

The system runs in a blocking portal (an event loop in a thread), so that
hypothesis drives it rule by rule. Each version stores the count under its own
attribute name, so every upgrade really migrates the state (``code_change``).
Whatever the interleaving, an ``ask`` must see every earlier ``tell`` exactly
once (reset only by a restart) and the version of the last upgrade.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, ClassVar, Self

import hypothesis.strategies as st
from anyio.from_thread import start_blocking_portal
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from actors import Actor, ActorRef, ActorSystem


class Version(Actor):
    version: ClassVar[str]
    field: ClassVar[str]

    def __init__(self) -> None:
        setattr(self, self.field, 0)

    @classmethod
    def code_change(cls, old: Actor, extra: Any) -> Self:
        assert isinstance(old, Version)
        new = super().code_change(old, extra)
        value = new.__dict__.pop(type(old).field)
        setattr(new, cls.field, value)
        return new

    def receive(self, message: Any) -> Any:
        if message == "get":
            return (self.version, getattr(self, self.field))
        if message == "crash":
            raise RuntimeError("crash")
        setattr(self, self.field, getattr(self, self.field) + message)
        return None


class Red(Version):
    version, field = "red", "count"


class Green(Version):
    version, field = "green", "total"


class Blue(Version):
    version, field = "blue", "tally"


class UpgradeMachine(RuleBasedStateMachine):
    backend: ClassVar[str]

    def __init__(self) -> None:
        super().__init__()
        self.stack = ExitStack()
        self.portal = self.stack.enter_context(start_blocking_portal(self.backend))
        self.system = self.stack.enter_context(
            self.portal.wrap_async_context_manager(ActorSystem(shutdown_timeout=5.0))
        )
        self.ref: ActorRef = self.portal.call(self._spawn)
        self.version = "red"
        self.value = 0
        self.restarts = 0

    async def _spawn(self) -> ActorRef:
        return self.system.spawn(Red)

    @rule(amount=st.integers(-5, 5))
    def tell(self, amount: int) -> None:
        self.portal.call(self._tell, amount)
        self.value += amount

    async def _tell(self, message: object) -> None:
        self.ref.tell(message)

    @rule()
    def ask(self) -> None:
        assert self.portal.call(self.ref.ask, "get") == (self.version, self.value)

    @rule(new_class=st.sampled_from([Red, Green, Blue]))
    def upgrade(self, new_class: type[Version]) -> None:
        self.portal.call(self.system.upgrade, self.ref, new_class)
        self.version = new_class.version

    @precondition(lambda self: self.restarts < 3)  # the default intensity: 3 in 5 s
    @rule()
    def restart(self) -> None:
        self.portal.call(self._tell, "crash")
        self.value = 0
        self.restarts += 1

    @invariant()
    def one_live_actor(self) -> None:
        assert self.portal.call(self._live) == 1

    async def _live(self) -> int:
        return len(list(self.system.walk()))

    def teardown(self) -> None:
        self.stack.close()


_settings = settings(max_examples=15, stateful_step_count=15, deadline=None)


@_settings
class OnAsyncio(UpgradeMachine):
    backend = "asyncio"


@_settings
class OnTrio(UpgradeMachine):
    backend = "trio"


TestUpgradeOnAsyncio = OnAsyncio.TestCase
TestUpgradeOnTrio = OnTrio.TestCase
