"""Subscribing and draining in order: a SUB or UNSUB reaches the server before the PING after it.

nats-py's own ``Subscription.drain`` writes that PING straight to the socket
while the UNSUB still waits in the client's pending buffer; the PONG could
then come back before the server had seen the UNSUB, and a request the
server routed to the member meanwhile was dropped unseen by the client (its
``ask`` timed out). A new subscription's SUB met the same overtaking.
``actors.remote._draining`` writes the buffer first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import pytest

from actors import Actor
from actors.remote import ActorNotFound
from actors.remote._bridge import target_of
from actors.remote._connect import flush_subscriptions
from actors.remote._draining import (
    drain_in_order,
    flush_in_order,
    ordered_drain_available,
    ordered_flush_available,
)
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import WAIT, Ping, nodes

pytestmark = pytest.mark.anyio


class Answering(Actor):
    async def receive(self, message: Any) -> Any:
        return "answered"


class RecordingTransport:
    """A nats-py transport that keeps a copy of every byte written to the socket, in order."""

    def __init__(self, transport: Any) -> None:
        self.transport = transport
        self.written = bytearray()
        self._lock = threading.Lock()  # written on the client's loop, read on the test's

    def write(self, payload: bytes) -> None:
        with self._lock:
            self.written += payload
        self.transport.write(payload)

    def writelines(self, payload: list[bytes]) -> None:
        with self._lock:
            for line in payload:
                self.written += line
        self.transport.writelines(payload)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)

    def seen(self) -> bytes:
        with self._lock:
            return bytes(self.written)


@contextmanager
def recorded(client: Any) -> Iterator[RecordingTransport]:
    """Record what ``client`` (nats-py's own) writes to its socket, while inside."""
    recording = RecordingTransport(client._transport)
    client._transport = recording
    try:
        yield recording
    finally:
        client._transport = recording.transport


def assert_confirmed_after(seen: bytes, command: bytes) -> None:
    """``command`` went out, and a PING after it but none before: its PONG confirms it."""
    position = seen.find(command)
    assert position >= 0, seen
    assert b"PING\r\n" not in seen[:position], seen
    assert b"PING\r\n" in seen[position:], seen


async def test_a_request_routed_to_a_leaving_member_is_answered_and_the_unsub_precedes_the_ping(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a") as [(system, node)]:
        member = system.spawn(Answering)
        await node.join_pool("draining", member)
        client: Any = node._client  # nats-py's own client (on trio, on its loop's thread)
        subscription = node.pools.members["draining", member].subscription
        assert ordered_drain_available(target_of(subscription))
        with recorded(client) as recording:
            answers: list[object] = []

            async def ask() -> None:
                try:
                    answers.append(await node.pool("draining").ask(Ping(1), timeout=WAIT))
                except ActorNotFound as error:  # it reached the server after the UNSUB
                    answers.append(error)

            async with anyio.create_task_group() as task_group:
                task_group.start_soon(ask)
                while not node.requests.pending:  # the request is queued: no time passes
                    await anyio.lowlevel.checkpoint()
                await node._outbound.wait_drained()  # in nats-py's buffer, or crossing to it
                await node.leave_pool("draining", member)
            seen = recording.seen()
        # Answered by the member, or "no responders" had it come after the UNSUB: never
        # a timeout (before, the reply could be dropped unseen and the ask timed out).
        assert answers == ["answered"] or isinstance(answers[0], ActorNotFound), answers
        # The drain's PING follows its UNSUB on the wire, so its PONG follows every
        # message the server routed to the member.
        assert_confirmed_after(seen, b"UNSUB ")


class Unchecked:
    """A subscription or client from a nats-py the ordered paths were not checked against."""

    def __init__(self) -> None:
        self.drained = 0
        self.flushed = 0

    async def drain(self) -> None:
        self.drained += 1

    async def flush(self) -> None:
        self.flushed += 1


async def test_a_subscription_the_ordered_drain_does_not_know_gets_the_public_drain() -> None:
    subscription = Unchecked()
    assert not ordered_drain_available(subscription)
    await drain_in_order(subscription)
    assert subscription.drained == 1


async def test_a_client_the_ordered_flush_does_not_know_is_flushed_twice() -> None:
    client = Unchecked()
    assert not ordered_flush_available(client)
    await flush_in_order(client)
    assert client.flushed == 2


async def test_a_new_subscription_reaches_the_server_before_the_ping_that_confirms_it(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a") as [(_, node)]:
        client: Any = node._client
        assert ordered_flush_available(client)
        with recorded(client) as recording:
            subscription = await node.nc.subscribe("anyactors.test.flushed", cb=_ignore)
            await flush_subscriptions(node.nc)
            seen = recording.seen()
        await subscription.unsubscribe()
        # Its PING follows the SUB on the wire, so its PONG means the server has the
        # subscription (a plain flush's PING went out first, ahead of the buffered SUB).
        assert_confirmed_after(seen, b"SUB anyactors.test.flushed ")


async def _ignore(_message: Any) -> None:
    return None
