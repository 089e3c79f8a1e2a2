"""Bounded mailboxes and their overflow policies; backpressure with send."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from actors import Actor, ActorSystem, DeadLetter, MailboxConfig, MailboxFull, Overflow

from .probe import Inbox, Recorder

pytestmark = pytest.mark.anyio


class Gate(Actor):
    """Handles nothing until ``opened`` is set; then records every message."""

    def __init__(self, opened: anyio.Event, inbox: Inbox) -> None:
        self.opened = opened
        self.inbox = inbox

    async def receive(self, message: Any) -> Any:
        await self.opened.wait()
        self.inbox.record(message)


async def blocked_gate(
    system: ActorSystem, mailbox: MailboxConfig
) -> tuple[Any, anyio.Event, Inbox]:
    """A Gate that is busy with message 0, so the next ``capacity`` messages fill its mailbox."""
    opened, inbox = anyio.Event(), Inbox()
    ref = system.spawn(Gate, opened, inbox, mailbox=mailbox)
    ref.tell(0)
    await anyio.sleep(0.01)  # let it take message 0 and block on the gate
    return ref, opened, inbox


async def test_fail_policy_raises_mailbox_full() -> None:
    async with ActorSystem() as system:
        ref, opened, inbox = await blocked_gate(system, MailboxConfig(2, "fail"))
        ref.tell(1)
        ref.tell(2)
        with pytest.raises(
            MailboxFull, match=r"^the mailbox of /user/\$\d+ is full \(2 messages\)"
        ):
            ref.tell(3)
        opened.set()
        assert await inbox.wait_for(3) == [0, 1, 2]


async def test_drop_policy_turns_the_overflow_into_dead_letters() -> None:
    letters = Inbox()
    async with ActorSystem() as system:
        system.event_stream.subscribe(system.spawn(Recorder, letters), DeadLetter)
        ref, opened, inbox = await blocked_gate(system, MailboxConfig(1, Overflow.DROP))
        ref.tell(1)
        ref.tell(2)
        with pytest.raises(MailboxFull):
            await ref.ask(3)
        (first, second) = await letters.wait_for(2)
        assert (first.message, first.reason) == (2, "mailbox full")
        assert second.message == 3
        opened.set()
        assert await inbox.wait_for(2) == [0, 1]


async def test_backpressure_makes_send_wait_for_room_and_loses_nothing() -> None:
    async with ActorSystem() as system:
        ref, opened, inbox = await blocked_gate(system, MailboxConfig(3, "backpressure"))
        sent: list[int] = []

        async def producer() -> None:
            for number in range(1, 50):
                await ref.send(number)
                sent.append(number)

        async with anyio.create_task_group() as group:
            group.start_soon(producer)
            await anyio.sleep(0.01)
            assert sent == [1, 2, 3]  # the mailbox is full: the producer waits
            with pytest.raises(MailboxFull):
                ref.tell(99)  # tell never waits
            opened.set()
        assert await inbox.wait_for(50) == list(range(50))


async def test_ask_waits_for_room_under_backpressure() -> None:
    async with ActorSystem() as system:
        ref, opened, inbox = await blocked_gate(system, MailboxConfig(1, "backpressure"))
        ref.tell(1)
        with pytest.raises(TimeoutError):
            await ref.ask("no room", timeout=0.05)  # waited for room, then timed out
        async with anyio.create_task_group() as group:
            group.start_soon(ref.ask, "room soon")
            await anyio.sleep(0.01)
            opened.set()
        assert await inbox.wait_for(3) == [0, 1, "room soon"]


async def test_the_class_attribute_sets_the_default_mailbox() -> None:
    class Small(Gate):
        mailbox = MailboxConfig(1)

    async with ActorSystem() as system:
        opened, inbox = anyio.Event(), Inbox()
        ref = system.spawn(Small, opened, inbox)
        ref.tell(0)
        await anyio.sleep(0.01)
        ref.tell(1)
        with pytest.raises(MailboxFull):
            ref.tell(2)
        opened.set()
        await inbox.wait_for(2)


def test_mailbox_config_rejects_nonsense() -> None:
    with pytest.raises(
        ValueError, match=r"^mailbox capacity must be a whole number >= 1, or None \(got 0\)$"
    ):
        MailboxConfig(0)
    with pytest.raises(
        ValueError, match=r"^overflow must be one of 'fail', 'drop', 'backpressure' \(got 'x'\)$"
    ):
        MailboxConfig(1, "x")


class Latch(Actor):
    """Records every message; the first one waits for ``opened`` after setting ``entered``."""

    def __init__(self, entered: anyio.Event, opened: anyio.Event, inbox: Inbox) -> None:
        self.entered, self.opened, self.inbox = entered, opened, inbox

    async def receive(self, message: Any) -> Any:
        if not self.entered.is_set():
            self.entered.set()
            await self.opened.wait()
        self.inbox.record(message)


async def test_a_lone_waiting_message_keeps_its_place_counts_and_is_never_lost() -> None:
    # A message to an actor without a queue waits in the cell; the next ones
    # make the queue behind it (see ActorCell.single).
    async with ActorSystem() as system:
        entered, opened, inbox = anyio.Event(), anyio.Event(), Inbox()
        ref = system.spawn(Latch, entered, opened, inbox)
        ref.tell(0)
        await entered.wait()
        ref.tell(1)
        assert ref.statistics().mailbox_depth == 1
        ref.tell(2)
        await ref.send(3)
        assert ref.statistics().mailbox_depth == 3
        opened.set()
        assert await ref.ask(4) is None
        assert await inbox.wait_for(5) == [0, 1, 2, 3, 4]
        # Idle again, the next lone message and a second one still come in order.
        ref.tell(5)
        ref.tell(6)
        assert await inbox.wait_for(7) == [0, 1, 2, 3, 4, 5, 6]


async def test_a_lone_waiting_message_becomes_a_dead_letter_when_the_actor_stops() -> None:
    letters = Inbox()
    async with ActorSystem() as system:
        system.event_stream.subscribe(system.spawn(Recorder, letters), DeadLetter)
        entered, opened, inbox = anyio.Event(), anyio.Event(), Inbox()
        ref = system.spawn(Latch, entered, opened, inbox)
        ref.tell(0)
        await entered.wait()
        ref.tell("lone")
        with anyio.fail_after(5):
            async with anyio.create_task_group() as group:
                group.start_soon(system.stop, ref)
                opened.set()
        (letter,) = await letters.wait_for(1)
        assert (letter.message, letter.reason) == ("lone", "recipient stopped")
        assert inbox.messages == [0]
