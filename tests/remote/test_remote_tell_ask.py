"""tell and ask between two nodes over a real nats-server."""

from __future__ import annotations

import re
from typing import Any

import anyio
import pytest

from actors import Actor, ActorStopped
from actors.remote import ActorNotFound, Address, RemoteActorRef, RemoteError
from actors.serialization import SerializationError
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import (
    WAIT,
    Echo,
    Echoer,
    NotRegistered,
    OutOfStock,
    Parked,
    Ping,
    ReplyTo,
    Unregistered,
    nodes,
)

pytestmark = pytest.mark.anyio


async def test_tell_arrives_in_order_per_sender(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, _), (_, node_b)]:
        inbox = Inbox()
        system_a.spawn(Recorder, inbox, name="sink")
        sink = node_b.ref_at(Address("a", "/user/sink"))
        assert isinstance(sink, RemoteActorRef)
        for number in range(500):
            sink.tell(Ping(number))
        received = await inbox.wait_for(500)
        assert received == [Ping(number) for number in range(500)]


async def test_ask_returns_the_reply_and_keeps_order_with_tell(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, _), (_, node_b)]:
        inbox = Inbox()
        system_a.spawn(Recorder, inbox, name="sink")
        sink = node_b.ref_at(Address("a", "/user/sink"))
        sink.tell(Ping(1))
        assert await sink.ask(Ping(2), timeout=WAIT) == Ping(2)
        sink.tell(Ping(3))
        assert await sink.ask("plain strings need no registration", timeout=WAIT) == (
            "plain strings need no registration"
        )
        assert inbox.messages[:3] == [Ping(1), Ping(2), Ping(3)]


async def test_ask_reraises_registered_exceptions_with_their_type(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, _), (_, node_b)]:
        system_a.spawn(Echoer, name="echo")
        echo = node_b.ref_at(Address("a", "/user/echo"))
        with pytest.raises(OutOfStock, match=r"^sku a1$"):
            await echo.ask(Echo("sku a1", error="OutOfStock"), timeout=WAIT)
        with pytest.raises(ValueError, match=r"^bad qty$"):
            await echo.ask(Echo("bad qty", error="ValueError"), timeout=WAIT)
        with pytest.raises(
            RemoteError, match=r"^tests\.remote\.remote_helpers\.NotRegistered: secret$"
        ) as info:
            await echo.ask(Echo("secret", error="NotRegistered"), timeout=WAIT)
        assert info.value.type_name == f"{NotRegistered.__module__}.NotRegistered"
        assert info.value.message == "secret"
        # The actor was restarted by its supervisor and answers again.
        assert await echo.ask(Echo("again"), timeout=WAIT) == "again"


async def test_ask_without_responders_is_actor_not_found_at_once(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b") as [_, (_, node_b)]:
        nowhere = node_b.ref_at(Address("gone", "/user/orders"))
        with pytest.raises(ActorNotFound, match=r"^no node serves gone:/user/orders"):
            await nowhere.ask(Ping(1), timeout=WAIT)
        missing = node_b.ref_at(Address("a", "/user/nobody"))
        with pytest.raises(ActorNotFound, match=r"^no actor at /user/nobody on node a$"):
            await missing.ask(Ping(1), timeout=WAIT)
        assert issubclass(ActorNotFound, ActorStopped)


async def test_ask_times_out_as_locally(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, _), (_, node_b)]:
        release = anyio.Event()
        system_a.spawn(Parked, release, name="parked")
        parked = node_b.ref_at(Address("a", "/user/parked"))
        with pytest.raises(TimeoutError):
            await parked.ask(Ping(1), timeout=0.2)
        with pytest.raises(ValueError, match=r"^timeout must be > 0 seconds"):
            await parked.ask(Ping(1), timeout=0)
        release.set()


async def test_a_ref_inside_a_message_arrives_as_a_working_ref(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, _), (system_b, node_b)]:
        system_a.spawn(Echoer, name="echo")
        inbox = Inbox()
        reply_box = system_b.spawn(Recorder, inbox, name="replies")
        echo = node_b.ref_at(Address("a", "/user/echo"))
        await echo.ask(ReplyTo(reply_box, 7), timeout=WAIT)
        assert await inbox.wait_for(1) == [Ping(7)]
        # And a remote ref sent back comes home as the local ref itself.
        assert await echo.ask(ReplyTo(reply_box, 8), timeout=WAIT) is None
        assert await echo.ask(reply_box, timeout=WAIT) is reply_box


async def test_unregistered_types_raise_at_the_sender(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, _), (_, node_b)]:
        system_a.spawn(Echoer, name="echo")
        echo = node_b.ref_at(Address("a", "/user/echo"))
        message = re.escape(
            "tests.remote.remote_helpers.Unregistered is not registered for the wire"
        )
        with pytest.raises(
            TypeError, match=rf"^{message}; add it with registry.register\(Unregistered\)$"
        ):
            echo.tell(Unregistered(1))


async def test_remote_refs_compare_by_address(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a") as [(_, node)]:
        first = node.ref_at(Address("x", "/user/orders"))
        second = node.ref_at(Address("x", "/user/orders"))
        assert first == second
        assert hash(first) == hash(second)
        assert first != node.ref_at(Address("y", "/user/orders"))
        assert repr(first) == "<RemoteActorRef x:/user/orders>"
        assert first.name == "orders"


class _Huge(Actor):
    """Replies with an integer MessagePack cannot carry."""

    def receive(self, message: Any) -> Any:
        return 2**70


async def test_an_integer_too_large_for_the_wire_fails_at_the_sender_and_in_the_reply(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, _), (_, node_b)]:
        system_a.spawn(_Huge, name="huge")
        huge = node_b.ref_at(Address("a", "/user/huge"))
        outside = r"holds an integer outside MessagePack's range"
        with pytest.raises(SerializationError, match=outside):
            huge.tell([2**64])
        # The reply cannot travel: the asker gets an error at once, not a timeout.
        with pytest.raises(RemoteError, match=outside):
            await huge.ask("how much?", timeout=WAIT)
