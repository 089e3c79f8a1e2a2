"""tell, send and ask: delivery, replies, ordering, failures and timeouts."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from attrs import frozen

from actors import Actor, ActorStopped, ActorSystem, DeadLetter

from .probe import Boom, Fragile, Inbox, Recorder

pytestmark = pytest.mark.anyio


@frozen
class Deposit:
    amount: int


@frozen
class GetBalance:
    pass


class Account(Actor):
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.balance = 0

    async def receive(self, message: Any) -> Any:
        match message:
            case Deposit(amount):
                if amount <= 0:
                    raise ValueError("deposit must be positive")
                self.balance += amount
            case GetBalance():
                return self.balance


class SyncAccount(Actor):
    def __init__(self) -> None:
        self.balance = 0

    def receive(self, message: Any) -> Any:
        match message:
            case Deposit(amount):
                self.balance += amount
            case GetBalance():
                return self.balance


async def test_the_readme_quick_start_runs() -> None:
    async with ActorSystem("bank") as system:
        ada = system.spawn(Account, "ada", name="ada")
        ada.tell(Deposit(100))
        assert await ada.ask(GetBalance(), timeout=1.0) == 100


@pytest.mark.parametrize("actor_class", [Account, SyncAccount])
async def test_async_and_plain_receive_both_answer_asks(actor_class: type[Actor]) -> None:
    args = ("ada",) if actor_class is Account else ()
    async with ActorSystem() as system:
        ref = system.spawn(actor_class, *args)
        for amount in (1, 2, 3):
            ref.tell(Deposit(amount))
        assert await ref.ask(GetBalance()) == 6


async def test_spawn_returns_a_ref_before_the_actor_starts() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        ref = system.spawn(Fragile, "a", inbox)
        assert inbox.messages == []  # nothing ran yet: spawn does not await
        assert ref.path.startswith("/user/$")
        assert await ref.ask("hello") == 1
        assert inbox.messages == [("start", "a")]


async def test_constructor_keywords_travel_in_kwargs() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        ref = system.spawn(Fragile, kwargs={"label": "k", "inbox": inbox}, name="k")
        await ref.ask("x")
        assert inbox.messages == [("start", "k")]
        assert ref.name == "k"


async def test_messages_from_one_sender_arrive_in_order() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        ref = system.spawn(Recorder, inbox)
        for number in range(1000):
            ref.tell(number)
        assert await inbox.wait_for(1000) == list(range(1000))


async def test_an_exception_in_receive_reaches_the_asker_with_its_own_type() -> None:
    async with ActorSystem() as system:
        ada = system.spawn(Account, "ada")
        with pytest.raises(ValueError, match=r"^deposit must be positive$"):
            await ada.ask(Deposit(-5))
        # The default strategy restarted it: a fresh instance answers.
        assert await ada.ask(GetBalance()) == 0


async def test_ask_times_out_with_timeout_error() -> None:
    class Slow(Actor):
        async def receive(self, message: Any) -> Any:
            await anyio.sleep_forever()

    async with ActorSystem(shutdown_timeout=0.5) as system:
        ref = system.spawn(Slow)
        with pytest.raises(TimeoutError):
            await ref.ask("anything", timeout=0.05)


async def test_asking_a_stopped_actor_raises_at_once() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        system.event_stream.subscribe(system.spawn(Recorder, inbox), DeadLetter)
        ref = system.spawn(SyncAccount)
        await system.stop(ref)
        with pytest.raises(ActorStopped, match=r"^/user/\$\d+ has stopped"):
            await ref.ask(GetBalance())
        ref.tell(Deposit(1))  # never raises for a stopped target
        letters = await inbox.wait_for(2)
        assert [letter.message for letter in letters] == [GetBalance(), Deposit(1)]
        assert all(
            letter.recipient is ref and letter.reason == "recipient stopped" for letter in letters
        )
        assert system.dead_letters[Deposit] == 1


async def test_an_actor_awaiting_io_does_not_stall_the_others() -> None:
    release = anyio.Event()

    class Waiter(Actor):
        async def receive(self, message: Any) -> Any:
            await release.wait()
            return "released"

    async with ActorSystem() as system:
        waiter = system.spawn(Waiter)
        counter = system.spawn(SyncAccount)
        async with anyio.create_task_group() as group:

            async def ask_waiter() -> None:
                assert await waiter.ask("go") == "released"

            group.start_soon(ask_waiter)
            # While Waiter awaits, the other actor keeps handling messages.
            for _ in range(100):
                counter.tell(Deposit(1))
            assert await counter.ask(GetBalance(), timeout=2.0) == 100
            release.set()


async def test_a_flooded_actor_does_not_starve_other_actors_or_tasks() -> None:
    class Echo(Actor):
        def receive(self, message: Any) -> Any:
            self.context.self_ref.tell(message)  # keeps itself busy forever

    async with ActorSystem(throughput=10, yield_interval=10) as system:
        echo = system.spawn(Echo)
        echo.tell("spin")
        other = system.spawn(SyncAccount)
        other.tell(Deposit(7))
        assert await other.ask(GetBalance(), timeout=2.0) == 7
        ticked = anyio.Event()

        async def ticker() -> None:
            ticked.set()

        async with anyio.create_task_group() as group:
            group.start_soon(ticker)
            with anyio.fail_after(2.0):
                await ticked.wait()
        await system.stop(echo)


async def test_send_delivers_like_tell() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        ref = system.spawn(Recorder, inbox)
        for number in range(10):
            await ref.send(number)
        assert await inbox.wait_for(10) == list(range(10))


async def test_ask_rejects_a_meaningless_timeout() -> None:
    async with ActorSystem() as system:
        ref = system.spawn(SyncAccount)
        with pytest.raises(ValueError, match=r"^timeout must be > 0 seconds, or None"):
            await ref.ask(GetBalance(), timeout=0)
        with pytest.raises(TypeError, match=r"^timeout must be a number of seconds or None"):
            await ref.ask(GetBalance(), timeout="soon")  # type: ignore[call-overload]


async def test_the_failed_message_is_not_redelivered_after_a_restart() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        ref = system.spawn(Fragile, "f", inbox)
        ref.tell("one")
        ref.tell(Boom(RuntimeError("crash")))
        ref.tell("two")
        # The restart keeps the mailbox: "two" reaches the fresh instance.
        assert await ref.ask("count") == 1
        assert inbox.messages == [("start", "f"), ("stop", "f"), ("start", "f")]


async def test_idle_actors_give_their_mailbox_queues_back() -> None:
    async with ActorSystem() as system:
        refs = [system.spawn(SyncAccount) for _ in range(200)]
        for ref in refs:
            ref.tell(Deposit(1))
        assert [await ref.ask(GetBalance()) for ref in refs] == [1] * 200
        await anyio.sleep(0.01)  # let the dispatcher run dry
        kept = sum(ref._cell.queue is not None for ref in refs)  # type: ignore[attr-defined]
        assert kept < 64  # at most a small batch of recently idle actors keeps a queue
