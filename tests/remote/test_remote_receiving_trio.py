"""Receiving runs on trio: cut on the client's loop, each run crossing whole, routed on trio.

``actors/remote/_crossing.py`` hands each run the receiver cuts on the
client's loop across to the trio thread in one hand-over. These tests pin
that a run that has crossed still counts against the subscription's pending
limits until trio has routed it (so a trio side that falls behind costs
counted slow-consumer drops, never unbounded memory), that nothing crossed is
routed once the subscription is unsubscribed, and that a node on trio takes
this path (the ordering under interleaved tells and asks, on both paths and
backends, is in ``test_remote_receiving.py``).
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import anyio
import nats.errors
import pytest
from nats.aio.client import Client
from nats.aio.subscription import Subscription

from actors import DeadLetter
from actors.remote import Address, NatsNode
from actors.remote._bridge import target_of
from actors.remote._crossing import Held
from actors.remote._receiving import RunReceiver, receive_runs
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import Ping, nodes

SID = 1
SLOW = "slow consumer: the NATS client dropped it (pending limits reached)"


def _frame(number: int, *, headers: bool = False) -> bytes:
    data = b"%d" % number
    if headers:  # nats-py's own parser takes it: the receiver's ``_process_msg``
        head = b"NATS/1.0\r\nX-Key: v\r\n\r\n"
        total = len(head) + len(data)
        return b"HMSG app.a.x %d %d %d\r\n%b%b\r\n" % (SID, len(head), total, head, data)
    return b"MSG app.a.x %d %d\r\n%b\r\n" % (SID, len(data), data)


class _StalledInbox:
    """The trio side that has not routed anything yet: it only records what crossed."""

    def __init__(self) -> None:
        self.runs: list[list[Any]] = []

    def receive_run(self, run: list[Any], size: int) -> None:
        assert size == sum(len(arrival[2]) for arrival in run)
        self.runs.append(run)


@pytest.mark.parametrize(("messages", "size"), [(5, 0), (0, 12)], ids=["messages", "bytes"])
def test_a_run_that_crossed_counts_against_the_pending_limits_until_routed(
    messages: int, size: int
) -> None:
    async def main() -> None:
        nc = Client()
        errors: list[int] = []

        async def error_cb(error: Exception) -> None:
            assert isinstance(error, nats.errors.SlowConsumerError)
            errors.append(int(error.subject == "app.a.x"))

        nc._error_cb = error_cb
        subscription = Subscription(
            nc, SID, "app.>", pending_msgs_limit=messages, pending_bytes_limit=size
        )
        nc._subs[SID] = subscription
        inbox = _StalledInbox()
        held = Held(cast(Any, inbox))
        receiver = receive_runs(nc, subscription, _never, fast=True, crossing=held)
        assert isinstance(receiver, RunReceiver)
        sent = 0
        for _ in range(6):  # trio routes nothing: each read's run crosses and stays held
            frames = [_frame(sent + n, headers=(n == 1)) for n in range(4)]
            sent += len(frames)
            await nc._ps.parse(b"".join(frames))
            await asyncio.sleep(0)  # (the run crossed at the end of its read)
            crossed = sum(len(run) for run in inbox.runs)
            held_messages, held_bytes = held.held()
            assert held_messages == crossed
            if messages:
                assert crossed <= messages  # the bound holds across the crossing
            if size:
                assert held_bytes < size
            assert crossed + len(errors) == sent  # every other one dropped, and reported
        assert nc.stats["in_msgs"] == sent  # counted as nats-py counts them
        assert errors == [1] * len(errors)
        assert len(errors) > 0
        # Once trio has routed what crossed, the subscription has room again.
        crossed = sum(len(run) for run in inbox.runs)
        held.routed(crossed, held.handed_bytes)
        await nc._ps.parse(_frame(sent))
        await asyncio.sleep(0)
        assert sum(len(run) for run in inbox.runs) == crossed + 1
        assert [arrival[2] for arrival in inbox.runs[0]][:1] == [b"0"]

    asyncio.run(main())


def test_a_run_crosses_at_the_end_of_the_read_that_brought_it() -> None:
    async def main() -> None:
        nc = Client()
        subscription = Subscription(nc, SID, "app.>")
        nc._subs[SID] = subscription
        inbox = _StalledInbox()
        held = Held(cast(Any, inbox))
        receive_runs(nc, subscription, _never, fast=True, crossing=held)
        # No turn of the loop between the read and the hand-over: a lone request
        # or reply reaches the trio side as soon as its read is parsed.
        await nc._ps.parse(_frame(0) + _frame(1))
        assert [[arrival[2] for arrival in run] for run in inbox.runs] == [[b"0", b"1"]]
        # One that nats-py's own parser handles (headers) joins the read's run, in order.
        await nc._ps.parse(_frame(2) + _frame(3, headers=True) + _frame(4))
        assert [[arrival[2] for arrival in run] for run in inbox.runs][1:] == [[b"2", b"3", b"4"]]
        await asyncio.sleep(0)  # the callback scheduled for the headers' message
        assert len(inbox.runs) == 2  # finds nothing left: no empty run crosses
        assert held.held() == (5, 5)

    asyncio.run(main())


def _never(_: Any) -> None:
    raise AssertionError("with a crossing, runs go through Held.hand")


def _stall(node: NatsNode) -> tuple[anyio.Event, Held]:
    """Make the node's trio side route nothing until the returned event is set."""
    assert node.hosted is not None
    assert node._receiver is not None
    inbox = node.hosted.inboxes[id(target_of(node._subscription))]
    route = inbox.route_run
    assert route is not None
    release = anyio.Event()

    async def stalled(run: Any, size: int) -> None:
        await release.wait()
        await route(run, size)

    inbox.route_run = stalled
    crossing = node._receiver._crossing
    assert crossing is not None
    return release, crossing


async def _arrived(sender: NatsNode, receiver: NatsNode) -> None:
    """Return once what ``sender`` told so far has reached ``receiver``'s client.

    The server answers each connection in order: once the sender's ``PONG`` is
    back it has routed the sender's frames, and the receiver's ``PONG`` then
    comes after them on the receiver's connection.
    """
    await sender._outbound.wait_drained()
    assert sender._publisher is not None
    await sender._publisher.wait_published()
    await sender.nc.flush()
    await receiver.nc.flush()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_a_trio_side_that_falls_behind_costs_counted_drops_not_memory(
    nats_server: NatsServer,
) -> None:
    batches, batch, limit = 6, 20, 8
    sent = batches * batch
    async with (
        nodes(nats_server.url, "a", pending_messages=limit) as [(system_a, node_a)],
        nodes(nats_server.url, "b") as [(_, node_b)],
    ):
        release, held = _stall(node_a)
        outcomes = Inbox()
        system_a.event_stream.subscribe(system_a.spawn(Recorder, outcomes), DeadLetter)
        system_a.spawn(Recorder, outcomes, name="sink")
        sink = node_b.ref_at(Address("a", "/user/sink"))
        for number in range(sent):  # in batches: each arrives in reads of its own
            sink.tell(Ping(number))
            if number % batch == batch - 1:
                await _arrived(node_b, node_a)
        # While trio routes nothing, at most ``limit`` are held; the rest are dead letters.
        assert held.handed_messages - held.routed_messages <= limit
        letters = await outcomes.wait_for(sent - held.handed_messages)
        assert all(isinstance(letter, DeadLetter) for letter in letters)
        release.set()
        seen = await outcomes.wait_for(sent)  # each handled once or dead-lettered, none lost
        handled = [item.number for item in seen if isinstance(item, Ping)]
        dropped = [item for item in seen if isinstance(item, DeadLetter)]
        assert len(handled) + len(dropped) == sent
        assert handled == sorted(set(handled))  # in order, none twice
        assert {letter.reason for letter in dropped} == {SLOW}
        assert system_a.dead_letters.get(Ping, 0) == 0


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_nothing_that_crossed_is_routed_once_unsubscribed(nats_server: NatsServer) -> None:
    async with (
        nodes(nats_server.url, "a") as [(system_a, node_a)],
        nodes(nats_server.url, "b") as [(_, node_b)],
    ):
        release, held = _stall(node_a)
        inbox = Inbox()
        system_a.spawn(Recorder, inbox, name="sink")
        sink = node_b.ref_at(Address("a", "/user/sink"))
        for number in range(20):
            sink.tell(Ping(number))
        await _arrived(node_b, node_a)  # node a's client has all 20: they have crossed
        assert held.handed_messages >= 20
        assert node_a._subscription is not None
        await node_a._subscription.unsubscribe()
        release.set()
        assert node_a.hosted is not None
        await node_a.hosted.inboxes[id(target_of(node_a._subscription))].wait_empty()
        assert held.held() == (0, 0)  # counted out, dropped as nats-py drops its queue
        assert inbox.of_type(Ping) == []
