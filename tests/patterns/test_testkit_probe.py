"""The test kit: probes, fixtures, virtual time, wait_idle."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from actors import Actor, ActorRef, ActorSystem
from actors.testing import Probe, spawn_probe, virtual_time_backend, wait_idle

pytestmark = pytest.mark.anyio


class Greeter(Actor):
    def __init__(self, listener: ActorRef) -> None:
        self.listener = listener

    async def receive(self, message: Any) -> Any:
        if message == "ask-listener":
            return await self.listener.ask("what is your name?", timeout=5)
        self.listener.tell(f"hello {message}")
        self.listener.tell(len(message))


async def test_expect_returns_the_next_message_of_a_type(
    actor_system: ActorSystem, probe: Probe
) -> None:
    greeter = actor_system.spawn(Greeter, probe.ref)
    greeter.tell("ada")
    assert await probe.expect(str) == "hello ada"
    assert await probe.expect(int) == 3


async def test_expect_fails_on_a_message_of_another_type(
    actor_system: ActorSystem, probe: Probe
) -> None:
    actor_system.spawn(Greeter, probe.ref).tell("ada")
    with pytest.raises(
        AssertionError, match=r"^probe expected a int but the next message is 'hello ada'$"
    ):
        await probe.expect(int)


async def test_fish_skips_until_a_match(actor_system: ActorSystem, probe: Probe) -> None:
    greeter = actor_system.spawn(Greeter, probe.ref)
    greeter.tell("ada")
    greeter.tell("bob")
    assert await probe.fish(lambda m: m == "hello bob") == "hello bob"
    assert await probe.expect(int) == 3
    assert probe.received == ["hello ada", 3, "hello bob", 3]


async def test_replies_queued_automatic_and_held(actor_system: ActorSystem) -> None:
    queued = spawn_probe(actor_system)
    queued.reply("ada")
    greeter = actor_system.spawn(Greeter, queued.ref)
    assert await greeter.ask("ask-listener") == "ada"

    automatic = spawn_probe(actor_system, autoreply=lambda m: m.upper())
    assert (
        await actor_system.spawn(Greeter, automatic.ref).ask("ask-listener") == "WHAT IS YOUR NAME?"
    )

    held = spawn_probe(actor_system, hold=True)
    async with anyio.create_task_group() as group:
        answers: list[Any] = []

        async def ask() -> None:
            answers.append(await actor_system.spawn(Greeter, held.ref).ask("ask-listener"))

        group.start_soon(ask)
        assert await held.expect(str) == "what is your name?"
        held.reply("bob")  # answered only now, after the test saw the question
    assert answers == ["bob"]


async def test_wait_idle_returns_once_everything_is_handled(
    actor_system: ActorSystem, probe: Probe
) -> None:
    greeter = actor_system.spawn(Greeter, probe.ref)
    for name in ("a", "bb", "ccc"):
        greeter.tell(name)
    await wait_idle(actor_system)
    assert len(probe.received) == 6


class TestVirtualTime:
    @pytest.fixture
    def anyio_backend(self) -> Any:
        return virtual_time_backend()

    async def test_expect_no_message_waits_in_virtual_time(self) -> None:
        class Later(Actor):
            def __init__(self, listener: ActorRef) -> None:
                self.listener = listener

            def on_start(self) -> None:
                self.context.schedule_once(60.0, "wake")

            def receive(self, message: Any) -> Any:
                self.listener.tell(message)

        async with ActorSystem() as system:
            probe = spawn_probe(system)
            start = anyio.current_time()
            system.spawn(Later, probe.ref)
            await probe.expect_no_message(59.0)
            assert await probe.expect(str, timeout=1000) == "wake"
            assert anyio.current_time() - start == 60.0
            with pytest.raises(TimeoutError):
                await probe.expect(timeout=3600)
            assert anyio.current_time() - start == 3660.0

    async def test_expect_no_message_fails_when_one_arrives(self) -> None:
        async with ActorSystem() as system:
            probe = spawn_probe(system)
            probe.ref.tell("surprise")
            with pytest.raises(
                AssertionError, match=r"^probe expected no message for 1.0 s but got 'surprise'$"
            ):
                await probe.expect_no_message(1.0)
