"""become/unbecome, the stash, and priority mailboxes."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from attrs import frozen

from actors import (
    Actor,
    ActorContext,
    ActorStopped,
    ActorSystem,
    DeadLetter,
    MailboxConfig,
    StashError,
)

from .probe import Boom, Inbox, Recorder

pytestmark = pytest.mark.anyio


@frozen
class Coin:
    pass


@frozen
class Push:
    pass


class Turnstile(Actor):
    """A two-state machine: locked until a coin, unlocked until a push."""

    def receive(self, message: Any) -> Any:  # locked
        match message:
            case Coin():
                self.context.become(self.unlocked)
                return "unlocked"
            case Push():
                return "still locked"
            case Boom(error):
                raise error

    def unlocked(self, message: Any) -> Any:
        match message:
            case Coin():
                return "thanks"
            case Push():
                self.context.become(self.receive)
                return "locked"


async def test_become_switches_the_handler_from_the_next_message_on() -> None:
    async with ActorSystem() as system:
        gate = system.spawn(Turnstile)
        gate.tell(Push())
        gate.tell(Coin())  # becomes unlocked: the very next message meets it
        assert await gate.ask(Coin()) == "thanks"
        assert await gate.ask(Push()) == "locked"
        assert await gate.ask(Push()) == "still locked"


async def test_a_restart_returns_to_the_instances_own_receive() -> None:
    async with ActorSystem() as system:
        gate = system.spawn(Turnstile)
        assert await gate.ask(Coin()) == "unlocked"

        class Crash(Exception):
            pass

        # The unlocked handler ignores Boom; go back to locked and crash there.
        assert await gate.ask(Push()) == "locked"
        with pytest.raises(Crash):
            await gate.ask(Boom(Crash()))
        assert await gate.ask(Push()) == "still locked"


async def test_unbecome_pops_back_to_the_saved_handler() -> None:
    class Layered(Actor):
        def receive(self, message: Any) -> Any:
            if message == "push":
                self.context.become(self.upper, discard_old=False)
            return "base"

        async def upper(self, message: Any) -> Any:
            if message == "pop":
                self.context.unbecome()
            return "upper"

    async with ActorSystem() as system:
        ref = system.spawn(Layered)
        assert [await ref.ask(m) for m in ("x", "push", "x", "pop", "x")] == [
            "base",
            "base",
            "upper",
            "upper",
            "base",
        ]


async def test_any_callable_can_be_a_behaviour_and_the_stack_restores_it() -> None:
    class Echo:
        """A callable object, not a method: called with the message alone."""

        def __init__(self, context: ActorContext) -> None:
            self.context = context

        def __call__(self, message: Any) -> Any:
            if message == "pop":
                self.context.unbecome()
            return f"echo:{message}"

    class Flexible(Actor):
        def receive(self, message: Any) -> Any:
            if message == "partial":
                self.context.become(partial(self.tagged, "partial"), discard_old=False)
            return "own"

        def tagged(self, tag: str, message: Any) -> Any:
            if message == "echo":
                self.context.become(Echo(self.context), discard_old=False)
            elif message == "pop":
                self.context.unbecome()
            return f"{tag}:{message}"

    async with ActorSystem() as system:
        ref = system.spawn(Flexible)
        messages = ("x", "partial", "y", "echo", "z", "pop", "w", "pop", "v")
        assert [await ref.ask(m) for m in messages] == [
            "own",
            "own",
            "partial:y",
            "partial:echo",
            "echo:z",
            "echo:pop",
            "partial:w",
            "partial:pop",
            "own",
        ]


class Initialising(Actor):
    """Stashes everything until "ready", then handles it all in order."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def receive(self, message: Any) -> Any:
        if message == "ready":
            self.context.become(self.ready)
            return self.context.unstash_all()
        self.context.stash()
        return "never sent"

    def ready(self, message: Any) -> Any:
        self.inbox.record(message)
        return f"handled {message}"


async def test_stashed_messages_come_back_in_order_and_asks_get_real_answers() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        ref = system.spawn(Initialising, inbox)
        ref.tell("a")
        ref.tell("b")
        import anyio

        async with anyio.create_task_group() as group:
            answers: list[Any] = []

            async def ask_c() -> None:
                answers.append(await ref.ask("c"))

            group.start_soon(ask_c)
            await anyio.sleep(0.01)
            assert await ref.ask("ready") == 3
        ref.tell("d")
        assert await inbox.wait_for(4) == ["a", "b", "c", "d"]
        assert answers == ["handled c"]


async def test_stash_outside_a_handler_and_a_full_stash_are_clear_errors() -> None:
    class Hoarder(Actor):
        stash_capacity = 2

        def receive(self, message: Any) -> Any:
            try:
                self.context.stash()
            except StashError as error:
                return str(error)

    async with ActorSystem() as system:
        ref = system.spawn(Hoarder, name="hoarder")
        ref.tell(1)
        ref.tell(2)
        assert await ref.ask(3) == (
            "/user/hoarder: the stash is full (2 messages); unstash first, "
            "or raise the class attribute stash_capacity"
        )

        class Early(Actor):
            def __init__(self) -> None:
                self.context.stash()

        failures = Inbox()
        from actors import ActorFailed

        system.event_stream.subscribe(system.spawn(Recorder, failures), ActorFailed)
        system.spawn(Early, restart="temporary")
        (event,) = await failures.wait_for(1)
        assert isinstance(event.error, StashError)
        assert str(event.error).endswith("call it from receive(), once per message")


async def test_stashed_messages_become_dead_letters_at_a_stop() -> None:
    letters = Inbox()
    async with ActorSystem() as system:
        system.event_stream.subscribe(system.spawn(Recorder, letters), DeadLetter)
        ref = system.spawn(Initialising, Inbox())
        ref.tell("kept")
        import anyio

        outcome: list[BaseException] = []

        async def ask() -> None:
            try:
                await ref.ask("asked")
            except ActorStopped as error:
                outcome.append(error)

        async with anyio.create_task_group() as group:
            group.start_soon(ask)
            await anyio.sleep(0.01)  # "asked" is stashed by now
            await system.stop(ref)
        assert len(outcome) == 1
        assert sorted(letter.message for letter in await letters.wait_for(2)) == ["asked", "kept"]


async def test_a_priority_mailbox_orders_by_key_and_keeps_send_order_among_equals() -> None:
    import anyio

    inbox = Inbox()
    opened = anyio.Event()

    class Gate(Actor):
        mailbox = MailboxConfig(priority=lambda message: message[0])

        async def receive(self, message: Any) -> Any:
            await opened.wait()
            inbox.record(message)

    async with ActorSystem() as system:
        ref = system.spawn(Gate)
        ref.tell((5, "first, already in hand"))
        await anyio.sleep(0.01)
        for message in [(2, "a"), (1, "b"), (2, "c"), (0, "d"), (1, "e")]:
            ref.tell(message)
        opened.set()
        received = await inbox.wait_for(6)
        assert [text for _, text in received] == ["first, already in hand", "d", "b", "e", "a", "c"]


async def test_a_raising_priority_key_fails_the_send() -> None:
    async with ActorSystem() as system:
        ref = system.spawn(Recorder, Inbox(), mailbox=MailboxConfig(priority=lambda m: m["p"]))
        with pytest.raises(TypeError):
            ref.tell("no key")
        assert await ref.ask({"p": 1}) == {"p": 1}


def test_priority_must_be_callable() -> None:
    with pytest.raises(
        TypeError, match=r"^priority must be a key function of the message, or None \(got 3\)$"
    ):
        MailboxConfig(priority=3)  # type: ignore[arg-type]
