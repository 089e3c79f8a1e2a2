"""Durable mailboxes: JetStream work queues, acked after the handler, redelivered, dead-lettered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from actors import Actor, DeadLetter
from actors.remote import DurableRef
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.processes import python_process, wait_for_line
from tests.remote.remote_helpers import Entry, nodes

pytestmark = pytest.mark.anyio


class Picky(Actor):
    """Records every delivery; raises for odd numbers."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def receive(self, message: Any) -> Any:
        self.inbox.record(message)
        if isinstance(message, Entry) and message.number % 2:
            raise ValueError(f"odd entry {message.number}")


async def test_failed_messages_are_redelivered_then_dead_lettered(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, node_a), (_, node_b)]:
        inbox, letters = Inbox(), Inbox()
        system_a.event_stream.subscribe(system_a.spawn(Recorder, letters), DeadLetter)
        picky = system_a.spawn(Picky, inbox, name="picky")
        await node_a.serve_durable("picky", picky, max_deliveries=3, ack_wait=5.0)
        mailbox = await node_b.durable("picky")
        assert isinstance(mailbox, DurableRef)
        assert repr(mailbox) == "<DurableRef 'picky'>"
        await mailbox.send(Entry(2), message_id="two")
        await mailbox.send(Entry(2), message_id="two")  # a retry: stored once
        await mailbox.send(Entry(1), message_id="one")
        mailbox.tell(Entry(4))
        [letter] = await letters.wait_for(1)
        assert letter.message == Entry(1)
        assert letter.reason == "failed 3 deliveries: ValueError('odd entry 1')"
        received = await inbox.wait_for(5)
        assert sorted(entry.number for entry in received) == [1, 1, 1, 2, 4]
        assert received.count(Entry(1)) == 3
        assert received.count(Entry(2)) == 1
        with pytest.raises(TypeError, match=r"^durable mailbox 'picky' takes no ask"):
            await mailbox.ask(Entry(3))


@asynccontextmanager
async def ledger_process(
    url: str, node: str, record: Path, *options: str
) -> AsyncIterator[AsyncIterator[str]]:
    """The ledger helper as a real subprocess; yields its stdout lines; ends it by PID."""
    module = "tests.remote.durable_ledger"
    async with python_process("-m", module, url, node, str(record), "10000", *options) as (
        _,
        lines,
    ):
        yield lines


async def test_a_killed_receiver_loses_nothing_and_handles_each_message_once(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    record = tmp_path / "ledger.txt"
    async with nodes(nats_server.url, "intake") as [(_, intake)]:
        mailbox = await intake.durable("ledger")

        async def send(first: int) -> None:
            for number in range(first, 10_000, 16):
                await mailbox.send(Entry(number), message_id=f"entry-{number}")

        async with anyio.create_task_group() as senders:
            async with ledger_process(nats_server.url, "ledger-1", record, "3000") as lines:
                await wait_for_line(lines, "ready")
                for first in range(16):
                    senders.start_soon(send, first)
                await wait_for_line(lines, "handled 3000")
                # SIGKILL in the middle (on leaving the block): the 3000th entry is
                # recorded but not acknowledged, and more are fetched but not handled.
            async with ledger_process(nats_server.url, "ledger-2", record) as lines:
                await wait_for_line(lines, "ready")
                done = await wait_for_line(lines, "done")
                if int(done.split()[1]) == 0:
                    # Every entry is recorded before the unacknowledged one's
                    # ack_wait ran out: it is redelivered after "done".
                    await wait_for_line(lines, "skipped")
    # The 3000th entry came back after the kill, and the ledger recognised it
    # (before or after the last new entry): recorded once all the same.
    numbers = [int(line) for line in record.read_text().split()]
    assert len(numbers) == 10_000
    assert sorted(numbers) == list(range(10_000))  # every entry, exactly once
