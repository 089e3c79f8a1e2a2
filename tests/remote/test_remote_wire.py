"""Subjects and frames: escaping, dead letters for bad frames, the trio refusal."""

from __future__ import annotations

import re

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors import DeadLetter
from actors.remote import (
    Address,
    MessageRegistry,
    NatsCluster,
    RawMessage,
    RemoteError,
)
from actors.remote._names import Subjects, escape, path_of, unescape
from actors.remote._wire import MESSAGE, Frame
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import WAIT, Ping, nodes, raw_connect


@given(st.text(min_size=1))
def test_escaping_round_trips_into_one_safe_token(name: str) -> None:
    token = escape(name)
    assert re.fullmatch(r"[A-Za-z0-9_=-]+", token)
    assert unescape(token) == name


def test_names_cannot_inject_tokens_or_wildcards() -> None:
    subjects = Subjects("anyactors", "shop", "web-1")
    subject = subjects.actor(Address("web-1", "/user/a.b/*/>/x y/=3D"))
    assert subject == "anyactors.shop.n.web-1.a.user.a=2Eb.=2A.=3E.x=20y.=3D3D"
    kind, rest = subjects.parse(subject) or ("", "")
    assert kind == "a"
    assert path_of(rest) == "/user/a.b/*/>/x y/=3D"


def test_cluster_and_node_names_must_be_plain() -> None:
    with pytest.raises(
        ValueError, match=r"^node must be letters, digits, '_' or '-' \(got 'a\.b'\)"
    ):
        NatsCluster("nats://127.0.0.1:4222", node="a.b")


def test_registry_refuses_non_attrs_classes_and_tag_clashes() -> None:
    registry = MessageRegistry()
    with pytest.raises(TypeError, match=r"^message types must be attrs classes"):
        registry.register(dict)
    registry.register(Ping)
    with pytest.raises(
        ValueError, match=r"^tag 'tests\.remote\.remote_helpers\.Ping' is already registered"
    ):
        registry.register(Inbox, tag="tests.remote.remote_helpers.Ping")


@pytest.mark.anyio
async def test_bad_frames_become_dead_letters_and_the_node_carries_on(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a", max_message_size=4096) as [(system, node)]:
        inbox = Inbox()
        system.spawn(Recorder, inbox, name="sink")
        letters = Inbox()
        system.event_stream.subscribe(system.spawn(Recorder, letters, name="letters"), DeadLetter)
        subject = node.subjects.actor(Address("a", "/user/sink"))
        encoder = msgspec.msgpack.Encoder()
        unknown = encoder.encode(Frame(MESSAGE, "evil.Pickle", msgspec.Raw(encoder.encode(1))))
        mistyped = encoder.encode(
            Frame(MESSAGE, "tests.remote.remote_helpers.Ping", msgspec.Raw(b"\xa1x"))
        )
        client = await raw_connect(nats_server.url)
        try:
            await client.publish(subject, unknown)
            await client.publish(subject, b"\xc1 not msgpack")
            await client.publish(subject, mistyped)
            await client.publish(subject, b"\x00" * 5000)
            reply = await client.request(subject, unknown, timeout=WAIT)
            await client.flush()
        finally:
            await client.close()
        received = await letters.wait_for(5)
        reasons = [letter.reason for letter in received]
        assert reasons[0] == "unknown message type 'evil.Pickle'"
        assert reasons[1].startswith("malformed frame")
        assert reasons[2].startswith("malformed 'tests.remote.remote_helpers.Ping' message")
        assert reasons[3] == "message too large (5000 bytes)"
        assert all(isinstance(letter.message, RawMessage) for letter in received)
        assert system.dead_letters[RawMessage] == 5  # counted, as local dead letters are
        with pytest.raises(RemoteError, match=r"^UndeliverableMessage: /user/sink on a: unknown"):
            raise node.requests.decode_reply(node.codec.decode_frame(reply.data), "a:/")
        node.ref_at(Address("a", "/user/sink")).tell(Ping(1))  # still routing
        sink = node.ref_at(Address("a", "/user/sink"))
        assert await sink.ask(Ping(2), timeout=WAIT) == Ping(2)
        assert inbox.messages == [Ping(1), Ping(2)]


@pytest.mark.anyio
async def test_oversize_messages_are_dead_letters_at_the_sender(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b", max_message_size=1000) as [
        (system_a, _),
        (system_b, node_b),
    ]:
        system_a.spawn(Recorder, Inbox(), name="sink")
        letters = Inbox()
        system_b.event_stream.subscribe(system_b.spawn(Recorder, letters), DeadLetter)
        sink = node_b.ref_at(Address("a", "/user/sink"))
        sink.tell("x" * 2000)
        [letter] = await letters.wait_for(1)
        assert letter.reason.startswith("message too large (")
        assert letter.recipient == sink
        assert system_b.dead_letters[str] == 1
        with pytest.raises(
            ValueError, match=r"^the request to a:/user/sink is \d+ bytes; the limit is 1000"
        ):
            await sink.ask("x" * 2000, timeout=WAIT)
