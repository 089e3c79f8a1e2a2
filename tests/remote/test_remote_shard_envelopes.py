"""Sharding envelopes written directly: byte for byte the frames of the general walk."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from attrs import frozen
from hypothesis import given
from hypothesis import strategies as st

from actors import ActorRef
from actors.remote import Address, MessageRegistry
from actors.remote._envelope_reading import EnvelopeReader
from actors.remote._shard_envelopes import envelope_encoder, envelope_sender, guarded_sender
from actors.remote._shard_records import Owner
from actors.remote._wire import MESSAGE, Codec, UndecodableError
from actors.serialization import UndecodableValue, UnregisteredType
from actors.sharding import EntityRef


@frozen
class Flat:
    n: int
    text: str
    ratio: float
    blob: bytes | None


@frozen
class Carrier:
    payload: Any


@frozen
class Versioned:
    n: int


@frozen
class Stranger:
    n: int


@frozen
class Region:
    """Enough of a region for an entity ref to be encoded (its type's name)."""

    type_name: str


class Sink(ActorRef):
    """A ref with an address: it travels as an actor ref extension."""

    def __init__(self, path: str) -> None:
        self._path = path

    @property
    def path(self) -> str:
        return self._path

    def tell(self, message: object) -> None:
        raise AssertionError(message)

    async def send(self, message: object) -> None:
        raise AssertionError(message)

    async def ask(self, message: object, *, timeout: float | None = None) -> Any:
        raise AssertionError(message)

    def statistics(self) -> Any:
        raise AssertionError(self)

    def _watch(self, watcher: ActorRef) -> None:
        raise AssertionError(watcher)

    def _unwatch(self, watcher: ActorRef) -> None:
        raise AssertionError(watcher)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sink) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self._path)


def _codec() -> Codec:
    registry = MessageRegistry()
    registry.register(Flat, Carrier)
    registry.register(Versioned, version=2, upcasters={1: dict})

    def address_of(ref: ActorRef) -> Address:
        return Address("node-1", ref.path)

    regions: dict[str, Region] = {}

    def entity_at(type_name: str, entity_id: str) -> ActorRef:
        region = regions.setdefault(type_name, Region(type_name))
        return EntityRef(region, entity_id)  # type: ignore[arg-type]

    return Codec(
        registry,
        address_of=address_of,
        ref_at=lambda address: Sink(address.path),
        entity_at=entity_at,
    )


CODEC = _codec()
ENVELOPE = envelope_encoder(CODEC)
#: What the senders below published: ``(target, envelope, frame)``.
PUBLISHED: list[tuple[object, object, bytes]] = []
TARGET = Sink("/sharding/counter")
_NODE = SimpleNamespace(
    codec=CODEC,
    membership=SimpleNamespace(live={"n2": "i2"}),
    _publish_encoded=lambda *published: PUBLISHED.append(published),
)
SENDERS = [
    envelope_sender(_NODE, TARGET),  # type: ignore[arg-type]
    guarded_sender(_NODE, TARGET, Owner("n2", "i2", 1)),  # type: ignore[arg-type]
]

NAME = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.binary(max_size=40)
)
registered = (
    st.builds(Flat, st.integers(-(2**63), 2**63), st.text(), st.floats(allow_nan=False), st.none())
    | st.builds(Versioned, st.integers(-1000, 1000))
    | st.builds(
        lambda path: Sink("/user/" + path),
        st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1),
    )
    | st.builds(
        lambda name, entity_id: EntityRef(Region(name), entity_id),  # type: ignore[arg-type]
        st.text(NAME, min_size=1, max_size=8),  # a NUL separates them on the wire
        st.text(NAME, min_size=1, max_size=8),
    )
)
messages = st.recursive(
    scalars | registered,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=8) | st.integers(-5, 5), inner, max_size=4)
        | st.builds(Carrier, inner)
    ),
    max_leaves=12,
)


@given(
    entity_id=st.text(min_size=1, max_size=300),
    hops=st.integers(min_value=0, max_value=2**40),
    message=messages,
)
def test_an_envelope_is_written_as_the_general_walk_writes_it(
    entity_id: str, hops: int, message: object
) -> None:
    expected = CODEC.encode(MESSAGE, (entity_id, hops, message))
    assert ENVELOPE(entity_id, hops, message) == expected
    # The senders write it inline (once per message): the same bytes, the envelope beside.
    for send in SENDERS:
        send(entity_id, hops, message)
        assert PUBLISHED.pop() == (TARGET, (entity_id, hops, message), expected)
    # ... and it is read back as the owner's endpoint reads any frame.
    assert CODEC.decode_message(expected)[:2] == [entity_id, hops]  # type: ignore[index]


@pytest.mark.parametrize(
    ("message", "place"),
    [
        (Stranger(1), ""),
        (Carrier(Stranger(1)), " at Carrier.payload"),
        ([1, Stranger(1)], " at value[1]"),
    ],
)
def test_an_unregistered_type_in_an_envelope_is_refused_with_its_place(
    message: object, place: str
) -> None:
    # Its place is named in the message the user sent (the envelope is the runtime's).
    with pytest.raises(
        UnregisteredType,
        match=rf"^[\w.]*\bStranger{re.escape(place)} is not registered in the MessageRegistry; "
        r"add it with registry\.register\(Stranger\)$",
    ):
        ENVELOPE("e1", 0, message)


def _read_generally(data: bytes, start: int) -> object:
    try:
        return CODEC.values.decode(memoryview(data)[start:])
    except UndecodableValue as error:
        return UndecodableValue(str(error))


def _read(data: bytes, start: int) -> object:
    try:
        return EnvelopeReader(CODEC.values).read(data, start)
    except UndecodableValue as error:
        return UndecodableValue(str(error))


@given(
    entity_id=st.text(min_size=1, max_size=40),
    hops=st.integers(min_value=0, max_value=200),
    message=messages,
    cut=st.integers(min_value=0, max_value=3),
)
def test_an_envelope_is_read_as_the_general_decoder_reads_it(
    entity_id: str, hops: int, message: object, cut: int
) -> None:
    frame = ENVELOPE(entity_id, hops, message)
    start = len(frame) - len(CODEC.values.encode((entity_id, hops, message)))
    data = frame[: len(frame) - cut]  # truncated frames too
    expected, got = _read_generally(data, start), _read(data, start)
    assert type(got) is type(expected)
    assert (str(got) if isinstance(got, UndecodableValue) else got) == (
        str(expected) if isinstance(expected, UndecodableValue) else expected
    )


@given(data=st.binary(max_size=80))
def test_any_bytes_are_read_as_the_general_decoder_reads_them(data: bytes) -> None:
    expected, got = _read_generally(data, 0), _read(data, 0)
    assert type(got) is type(expected)
    assert repr(got) == repr(expected)


@given(
    frames=st.lists(
        st.tuples(st.text(min_size=1, max_size=12), st.integers(0, 200), messages)
        | st.binary(max_size=60),
        max_size=6,
    ),
    flips=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=2),
)
def test_one_reader_reads_a_stream_as_the_general_decoder_reads_each_frame(
    frames: list[tuple[str, int, object] | bytes], flips: list[tuple[int, int]]
) -> None:
    # One reader for the whole stream, as a node keeps: what it remembers of the class
    # read last (its fast path) never changes what a later frame, good or hostile, reads as.
    reader = EnvelopeReader(CODEC.values)
    for frame in frames:
        if isinstance(frame, bytes):
            data, start = frame, 0
        else:
            data = ENVELOPE(*frame)
            start = len(data) - len(CODEC.values.encode(frame))
            for _ in range(2):  # the first read looks the class up; the second takes the fast path
                expected = _read_generally(data, start)
                try:
                    got: object = reader.read(data, start)
                except UndecodableValue as error:
                    got = UndecodableValue(str(error))
                assert repr(got) == repr(expected)
            corrupt = bytearray(data)
            for place, byte in flips:  # the same frame with bytes changed: hostile
                corrupt[place % len(corrupt)] = byte
            data = bytes(corrupt)
        expected = _read_generally(data, start)
        try:
            got = reader.read(data, start)
        except UndecodableValue as error:
            got = UndecodableValue(str(error))
        assert type(got) is type(expected)
        assert repr(got) == repr(expected)


def _decoded(decode: Any, data: bytes) -> object:
    try:
        return decode(data)
    except UndecodableError as error:
        return UndecodableError(str(error))


def _decoded_generally(data: bytes) -> object:
    frame = CODEC.decode_frame(data)
    if frame.kind != MESSAGE:
        raise UndecodableError(f"unexpected frame kind {frame.kind}")
    return CODEC.decode_body(frame)


@given(
    message=st.tuples(st.text(min_size=1, max_size=12), st.integers(0, 200), messages),
    flips=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=2),
    cut=st.integers(min_value=0, max_value=3),
)
def test_a_plain_frame_is_decoded_as_the_general_decoder_decodes_it(
    message: tuple[str, int, object], flips: list[tuple[int, int]], cut: int
) -> None:
    # The frame's hot path hands a plain frame (an envelope, say) straight to the reader:
    # the same value, or the same fault named, as the frame and body decoded generally.
    data = bytearray(ENVELOPE(*message))
    for place, byte in flips:
        data[place % len(data)] = byte
    frame = bytes(data[: len(data) - cut])
    for _ in range(2):  # the second time, the reader knows the class
        expected = _decoded(_decoded_generally, frame)
        got = _decoded(CODEC.decode_message, frame)
        assert type(got) is type(expected)
        assert repr(got) == repr(expected)


def test_a_guarded_sender_sends_nothing_once_its_owner_left_the_live_view() -> None:
    send = SENDERS[1]
    assert send("e1", 0, 1) is True
    PUBLISHED.clear()
    _NODE.membership.live["n2"] = "i3"  # n2 restarted: another incarnation
    try:
        assert send("e1", 0, 2) is False
        del _NODE.membership.live["n2"]  # n2's lease ended
        assert send("e1", 0, 3) is False
    finally:
        _NODE.membership.live["n2"] = "i2"
    assert PUBLISHED == []
