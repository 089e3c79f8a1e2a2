"""Issue 18 defect 1: no frame can take a node down, and none is dropped silently.

Every undecodable frame becomes a counted dead letter with its reason; a request
gets an error reply at once; an undecodable durable message is terminated and
dead-lettered. The frame decoder and the inbound path are fuzzed with hypothesis
over arbitrary MessagePack structures, nesting depths and sizes.
"""

from __future__ import annotations

import msgspec
import pytest
from attrs import frozen
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nats.aio.msg import Msg

from actors import ActorRef, DeadLetter
from actors.remote import Address, RawMessage, RemoteError
from actors.remote._names import Address as AddressType
from actors.remote._wire import ERROR, MESSAGE, Codec, Frame, UndecodableError
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import (
    WAIT,
    Echo,
    Entry,
    Ping,
    make_registry,
    nodes,
    raw_connect,
)

#: A MESSAGE frame whose body is 100,000 nested arrays: valid MessagePack.
DEEP = msgspec.msgpack.encode(Frame(MESSAGE, "$plain", msgspec.Raw(b"\x91" * 100_000 + b"\xc0")))

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=20)
    | st.builds(msgspec.msgpack.Ext, st.integers(-128, 127), st.binary(max_size=16))
)
_structures = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(max_size=5) | st.integers(-1000, 1000), inner, max_size=5)
    ),
    max_leaves=40,
)
_tags = st.sampled_from(["$plain", "tests.remote.remote_helpers.Ping", "evil.Pickle", ""])


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    """Bytes a hostile client could publish: frames of any shape, nesting and size."""
    shape = draw(st.sampled_from(["frame", "structure", "deep", "bytes", "truncated"]))
    if shape == "frame":
        body = msgspec.msgpack.encode(draw(_structures))
        kind = draw(st.integers(-1, 5))
        return msgspec.msgpack.encode(Frame(kind, draw(_tags), msgspec.Raw(body)))
    if shape == "structure":
        return msgspec.msgpack.encode(draw(_structures))
    if shape == "deep":
        opener = draw(st.sampled_from([b"\x91", b"\x81\xa1k", b"\xc7\x00\x01", b"\xd5\x02\x91"]))
        inner = opener * draw(st.integers(1, 200_000)) + b"\xc0"
        return msgspec.msgpack.encode(Frame(MESSAGE, draw(_tags), msgspec.Raw(inner)))
    if shape == "bytes":
        return draw(st.binary(max_size=draw(st.sampled_from([16, 4096, 70_000]))))
    whole = msgspec.msgpack.encode(
        Frame(MESSAGE, "$plain", msgspec.Raw(msgspec.msgpack.encode(draw(_structures))))
    )
    return whole[: draw(st.integers(0, max(0, len(whole) - 1)))]


@frozen
class Short:
    """A message registered under a tag short enough for a fixstr (the others' are str8)."""

    number: int


def _codec() -> Codec:
    registry = make_registry()
    registry.register(Short, tag="Short")
    return Codec(
        registry,
        address_of=lambda ref: AddressType("a", ref.path),
        ref_at=_unused_ref,
    )


def _unused_ref(address: AddressType) -> ActorRef:
    raise UndecodableError(f"no refs in this test ({address})")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_fuzz_the_frame_decoder_raises_only_undecodable_error(data: bytes) -> None:
    codec = _codec()
    reason = "decoded"
    try:
        codec.decode_message(data)
    except UndecodableError as error:
        reason = str(error)
    assert reason  # an undecodable frame has a reason, for its dead letter
    try:
        frame = codec.decode_frame(data)
    except UndecodableError:
        return
    if frame.kind == ERROR:
        assert isinstance(codec.decode_error(frame), BaseException)


def _general(codec: Codec, data: bytes) -> object:
    """What ``decode_message`` gives by the general path alone: the frame, then its body."""
    try:
        frame = codec.decode_frame(data)
        if frame.kind != MESSAGE:
            return f"unexpected frame kind {frame.kind}"
        return codec.decode_body(frame)
    except UndecodableError as error:
        return str(error)


_messages = st.one_of(
    st.builds(Ping, st.integers(-(2**63), 2**64 - 1)),
    st.builds(Echo, st.text(max_size=300), st.sampled_from(["", "ValueError"])),
    st.builds(Entry, st.integers(0, 1000)),
    st.builds(Short, st.integers(-(2**63), 2**64 - 1)),
)


@settings(max_examples=300, deadline=None)
@given(
    _messages,
    st.sampled_from(["as is", "cut", "extra", "length", "inner tag", "ext code", "arity"]),
)
def test_the_message_fast_path_agrees_with_the_general_path(message: object, damage: str) -> None:
    # decode_message reads a registered message straight from the bytes after the
    # frame's head; on every frame, damaged ones included, it must give what the
    # general path gives: the same value, or a refusal (the general path's reason).
    codec = _codec()
    data = codec.encode(MESSAGE, message)
    assert codec.decode_message(data) == message  # and its head is now cached: the hot path
    head = 3 + (data[2] & 0x1F) if data[2] != 0xD9 else 4 + data[3]
    if damage == "cut":
        data = data[:-1]
    elif damage == "extra":
        data += b"\x00"
    elif damage == "length":
        data = data[: head + 1] + bytes([data[head + 1] ^ 1]) + data[head + 2 :]
    elif damage == "inner tag":  # the body names another registered class than the head
        data = data[:head] + data[head:].replace(b"Ping", b"Echo").replace(b"Entry", b"Ping")
        data = data[:head] + data[head:].replace(b"Short", b"Shore")
    elif damage == "ext code":
        data = data[: head + 2] + b"\x03" + data[head + 3 :]
    elif damage == "arity":
        data = data[: head + 3] + b"\x93" + data[head + 4 :]
    expected = _general(codec, data)
    if isinstance(expected, str):
        with pytest.raises(UndecodableError) as refused:
            codec.decode_message(data)
        assert str(refused.value) == expected
        return
    decoded = codec.decode_message(data)
    assert decoded == expected
    assert type(decoded) is type(expected)
    if damage == "as is":
        assert decoded == message


pytestmark = pytest.mark.anyio


async def test_a_deeply_nested_frame_is_a_dead_letter_and_an_ask_fails_at_once(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a") as [(system, node)]:
        inbox = Inbox()
        system.spawn(Recorder, inbox, name="sink")
        letters = Inbox()
        system.event_stream.subscribe(system.spawn(Recorder, letters), DeadLetter)
        subject = node.subjects.actor(Address("a", "/user/sink"))
        client = await raw_connect(nats_server.url)
        try:
            await client.publish(subject, DEEP)
            reply = await client.request(subject, DEEP, timeout=WAIT)  # at once, not a timeout
        finally:
            await client.close()
        with pytest.raises(RemoteError, match=r"^UndeliverableMessage: /user/sink on a: malformed"):
            raise node.requests.decode_reply(node.codec.decode_frame(reply.data), "a:/user/sink")
        received = await letters.wait_for(2)
        assert all(isinstance(letter.message, RawMessage) for letter in received)
        assert all(letter.reason.startswith("malformed frame") for letter in received)
        assert system.dead_letters[RawMessage] == 2
        sink = node.ref_at(Address("a", "/user/sink"))
        assert await sink.ask(Ping(1), timeout=WAIT) == Ping(1)  # still routing


async def test_fuzz_the_inbound_path_each_frame_is_delivered_or_one_dead_letter(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a") as [(system, node)]:
        system.spawn(Recorder, Inbox(), name="sink")
        tokens = "user.sink"
        subject = node.subjects.actor(Address("a", "/user/sink"))
        seen: list[bytes] = []

        @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
        @given(frames(), st.booleans())
        def arrive(data: bytes, asked: bool) -> None:
            before = sum(system.dead_letters.values())
            msg = Msg(node.nc, subject=subject, reply="_INBOX.fuzz" if asked else "", data=data)
            node.inbound.route(tokens, msg)  # must not raise, whatever the frame
            try:
                node.codec.decode_message(data)
                decodable = len(data) <= node.config.max_message_size
            except UndecodableError:
                decodable = False
            assert sum(system.dead_letters.values()) - before == (0 if decodable else 1)
            seen.append(data)

        arrive()
        assert seen


async def test_an_undecodable_durable_message_is_terminated_and_the_node_serves_on(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a") as [(system, node)]:
        inbox = Inbox()
        ledger = system.spawn(Recorder, inbox, name="ledger")
        letters = Inbox()
        system.event_stream.subscribe(system.spawn(Recorder, letters), DeadLetter)
        mailbox = await node.durable("ledger")
        await node.serve_durable("ledger", ledger, ack_wait=1.0)
        await node.js.publish(node.subjects.durable("ledger"), DEEP)
        [letter] = await letters.wait_for(1)
        assert isinstance(letter.message, RawMessage)
        assert letter.reason.startswith("malformed frame")
        await mailbox.send(Entry(1))
        assert await inbox.wait_for(1) == [Entry(1)]  # the node and its serving loop live on
        info = await node.js.stream_info(node.durables.stream("ledger"))
        # Terminated: gone from the work queue (what may remain is Entry(1), acked shortly).
        assert info.state.messages == 0 or info.state.first_seq > 1
        assert system.dead_letters[RawMessage] == 1


async def test_an_undecodable_pool_message_is_a_dead_letter_and_the_member_serves_on(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a", max_message_size=200_000) as [(system, node)]:
        inbox = Inbox()
        member = system.spawn(Recorder, inbox, name="member")
        await node.join_pool("pricing", member)
        letters = Inbox()
        system.event_stream.subscribe(system.spawn(Recorder, letters), DeadLetter)
        client = await raw_connect(nats_server.url)
        try:
            await client.publish(node.subjects.pool("pricing"), b"\x00" * 300_000)
            reply = await client.request(node.subjects.pool("pricing"), DEEP, timeout=WAIT)
        finally:
            await client.close()
        with pytest.raises(
            RemoteError, match=r"^UndeliverableMessage: /user/member on a: malformed"
        ):
            raise node.requests.decode_reply(node.codec.decode_frame(reply.data), "pricing")
        received = await letters.wait_for(2)
        assert received[0].reason == "message too large (300000 bytes)"
        assert system.dead_letters[RawMessage] == 2
        assert await node.pool("pricing").ask(Ping(3), timeout=WAIT) == Ping(3)
