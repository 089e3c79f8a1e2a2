"""The shared value codec: registered types at any depth, refusals with a place, hostile input."""

from __future__ import annotations

import contextlib
import re
from typing import Any

import attrs
import msgspec
import pytest
from attrs import frozen
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.serialization import (
    VALUE_EXT,
    MessageRegistry,
    SerializationError,
    UndecodableValue,
    UnregisteredType,
    ValueCodec,
)


@frozen
class Inner:
    n: int


@frozen
class Echo:
    payload: Any


@frozen
class Typed:
    inner: Inner
    many: list[Inner]
    pair: tuple[int, str]
    _secret: int = 0


@frozen
class Unregistered:
    n: int


class Struct(msgspec.Struct):
    n: int


def codec() -> ValueCodec:
    registry = MessageRegistry()
    registry.register(Inner, Echo, Typed)
    return ValueCodec(registry)


@pytest.mark.parametrize(
    "value",
    [
        Echo(Inner(2)),
        Echo([Inner(1), "x", Inner(2)]),
        Echo({"a": Inner(1), "b": [Inner(3), {"c": Inner(4)}]}),
        Echo((Inner(5), 6)),
        [Echo(Echo(Inner(7)))],
        {"k": Echo(None)},
        Typed(Inner(1), [Inner(2)], (3, "x"), 9),
        None,
        b"bytes",
        1.5,
    ],
)
def test_registered_types_round_trip_as_their_classes_at_any_depth(value: object) -> None:
    decoded = codec().decode(codec().encode(value))
    expected = _lists_for_untyped_tuples(value)
    assert decoded == expected
    assert repr(decoded) == repr(expected)  # the classes, not dicts that compare equal


def _lists_for_untyped_tuples(value: object) -> object:
    # Without a tuple annotation a tuple arrives as a list, as in msgspec and JSON.
    if isinstance(value, tuple):
        return [_lists_for_untyped_tuples(item) for item in value]
    if isinstance(value, list):
        return [_lists_for_untyped_tuples(item) for item in value]
    if isinstance(value, dict):
        return {key: _lists_for_untyped_tuples(item) for key, item in value.items()}
    if isinstance(value, Echo):
        return Echo(_lists_for_untyped_tuples(value.payload))
    return value


@pytest.mark.parametrize(
    ("value", "where"),
    [
        (Echo(Unregistered(2)), "Echo.payload"),
        (Echo([1, 2, Unregistered(3)]), "Echo.payload[2]"),
        (Echo({"k": (Unregistered(3),)}), "Echo.payload['k'][0]"),
        (Echo(Echo([Unregistered(1)])), "Echo.payload.payload[0]"),
        ([Inner(1), Unregistered(1)], "value[1]"),
    ],
)
def test_an_unregistered_type_anywhere_is_refused_with_its_place(value: object, where: str) -> None:
    message = (
        f"{re.escape(_tag(Unregistered))} at {re.escape(where)} is not registered "
        r"in the MessageRegistry; add it with registry.register\(Unregistered\)$"
    )
    with pytest.raises(UnregisteredType, match=f"^{message}"):
        codec().encode(value)


def test_an_unregistered_value_itself_is_named_without_a_place() -> None:
    message = rf"^{re.escape(_tag(Unregistered))} is not registered in the MessageRegistry; "
    with pytest.raises(UnregisteredType, match=message):
        codec().encode(Unregistered(1))


def test_msgspec_structs_and_other_types_are_refused_too() -> None:
    with pytest.raises(
        UnregisteredType, match=rf"^{re.escape(_tag(Struct))} at Echo\.payload is not registered"
    ):
        codec().encode(Echo(Struct(1)))
    with pytest.raises(
        UnregisteredType,
        match=r"^set at Echo\.payload\[0\] is neither a registered attrs class nor a plain value",
    ):
        codec().encode(Echo([{1}]))


def test_deeply_nested_input_is_a_decode_error_never_a_recursion_error() -> None:
    with pytest.raises(UndecodableValue, match=r"^malformed value: "):
        codec().decode(b"\x91" * 200_000 + b"\x00")
    nested = msgspec.msgpack.encode(1)
    encoder = msgspec.msgpack.Encoder()
    for _ in range(5_000):
        nested = encoder.encode(
            msgspec.msgpack.Ext(VALUE_EXT, encoder.encode(["x", {"a": nested}]))
        )
    with pytest.raises(UndecodableValue):
        codec().decode(nested)


def test_unknown_tags_extensions_and_misfits_are_decode_errors() -> None:
    encoder = msgspec.msgpack.Encoder()
    with pytest.raises(UndecodableValue, match=r"^unknown type tag 'evil\.Pickle'$"):
        codec().decode(
            encoder.encode(msgspec.msgpack.Ext(VALUE_EXT, encoder.encode(["evil.Pickle", {}])))
        )
    with pytest.raises(UndecodableValue, match=r"^unknown MessagePack extension 9$"):
        codec().decode(encoder.encode(msgspec.msgpack.Ext(9, b"")))
    wrong = encoder.encode(
        msgspec.msgpack.Ext(VALUE_EXT, encoder.encode([_tag(Typed), {"inner": 1}]))
    )
    with pytest.raises(UndecodableValue, match=rf"^malformed '{re.escape(_tag(Typed))}' value: "):
        codec().decode(wrong)


def _tag(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@frozen
class Deposited:
    amount: int
    memo: str = ""


def test_a_stable_tag_lets_a_class_gain_fields_and_be_upcast_from_old_versions() -> None:
    @frozen
    class DepositedV1:  # the class as an older release wrote it
        cents: int

    old = MessageRegistry()
    old.register(DepositedV1, tag="bank.Deposited")
    stored = ValueCodec(old).encode(DepositedV1(250))

    new = MessageRegistry()
    new.register(
        Deposited,
        tag="bank.Deposited",
        version=2,
        upcasters={1: lambda fields: {"amount": fields["cents"] // 100}},
    )
    assert ValueCodec(new).decode(stored) == Deposited(2, "")
    newest = ValueCodec(new).encode(Deposited(3, "rent"))
    assert ValueCodec(new).decode(newest) == Deposited(3, "rent")
    with pytest.raises(
        UndecodableValue,
        match=r"^'bank\.Deposited' was stored at version 2, newer than this class's version 1",
    ):
        ValueCodec(old).decode(newest)


def test_registry_refuses_bad_registrations_in_one_sentence() -> None:
    registry = MessageRegistry()
    with pytest.raises(TypeError, match=r"^message types must be attrs classes"):
        registry.register(dict)
    with pytest.raises(
        ValueError, match=r"^upcasters must cover exactly the older versions \[1\] \(got \[\]\)"
    ):
        registry.register(Deposited, version=2)
    with pytest.raises(ValueError, match=r"^version must be >= 1 \(got 0\)$"):
        registry.register(Deposited, version=0)
    with pytest.raises(ValueError, match=r"^tags starting with '\$' are the runtime's"):
        registry.register(Deposited, tag="$x")


def test_remote_and_persistence_share_the_registry_class() -> None:
    import actors.persistence
    import actors.remote
    import actors.serialization

    assert actors.remote.MessageRegistry is actors.serialization.MessageRegistry
    assert actors.persistence.MessageRegistry is actors.serialization.MessageRegistry


# -- fuzz: no input makes the decoder raise anything but UndecodableValue -------

_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), st.floats(), st.text(), st.binary()
)
_extensions = st.builds(
    msgspec.msgpack.Ext,
    st.integers(-128, 127),
    st.one_of(
        st.binary(max_size=64),
        st.builds(msgspec.msgpack.encode, st.lists(st.text(max_size=30), max_size=3)),
    ),
)
_structures = st.recursive(
    st.one_of(_leaves, _extensions),
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(
            st.one_of(st.text(max_size=8), st.integers(-1000, 1000)), children, max_size=5
        ),
        st.builds(
            lambda tag, fields: msgspec.msgpack.Ext(
                VALUE_EXT, msgspec.msgpack.encode([tag, fields])
            ),
            st.sampled_from([_tag(Inner), _tag(Echo), _tag(Typed), "nope"]),
            st.dictionaries(
                st.sampled_from(["n", "payload", "inner", "many", "pair"]), children, max_size=3
            ),
        ),
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_structures, st.integers(0, 64))
def test_fuzz_the_decoder_with_arbitrary_structures_and_truncations(
    value: object, cut: int
) -> None:
    data = msgspec.msgpack.encode(value)
    for candidate in (data, data[: max(0, len(data) - cut)]):
        with contextlib.suppress(UndecodableValue):
            codec().decode(candidate)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=256))
def test_fuzz_the_decoder_with_random_bytes(data: bytes) -> None:
    with contextlib.suppress(UndecodableValue):
        codec().decode(data)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 300_000), st.sampled_from([b"\x91", b"\x81\x00", b"\xc7\x00\x02"]))
def test_fuzz_the_decoder_with_any_nesting_depth(depth: int, opener: bytes) -> None:
    with contextlib.suppress(UndecodableValue):
        codec().decode(opener * depth + b"\x00")


def test_attrs_private_fields_round_trip() -> None:
    value = Typed(Inner(1), [], (1, "a"), 42)
    assert attrs.fields(Typed)._secret.alias == "secret"
    assert codec().decode(codec().encode(value)) == value


def test_a_field_removed_from_a_class_is_ignored_in_old_records() -> None:
    @frozen
    class Wide:
        amount: int
        note: str

    old = MessageRegistry()
    old.register(Wide, tag="bank.Deposited")
    stored = ValueCodec(old).encode([Wide(5, "gone")])
    new = MessageRegistry()
    new.register(Deposited, tag="bank.Deposited")
    assert ValueCodec(new).decode(stored) == [Deposited(5)]


def _one_by_one(shared: ValueCodec, payloads: list[bytes]) -> list[object] | str:
    try:
        return [shared.decode(data) for data in payloads]
    except UndecodableValue as error:
        return str(error)


def _all_at_once(shared: ValueCodec, payloads: list[bytes]) -> list[object] | str:
    try:
        return shared.decode_all(payloads)
    except UndecodableValue as error:
        return str(error)


_ints = st.integers(-(2**63), 2**63 - 1)
_valid = st.one_of(
    st.builds(Inner, _ints),
    st.builds(Echo, st.one_of(_ints, st.text(max_size=5), st.builds(Inner, _ints))),
    st.builds(Typed, st.builds(Inner, _ints), st.just([]), st.just((1, "a"))),
    _ints,
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(_valid, st.sampled_from(["as is", "cut", "extra", "length", "tag"])), max_size=8
    )
)
def test_decode_all_is_decode_of_each(values: list[tuple[object, str]]) -> None:
    # decode_all's shortcut for runs of one class must agree with decode on
    # every payload, the damaged ones included: same values, same refusal.
    shared = codec()
    payloads = []
    for value, damage in values:
        data = shared.encode(value)
        if damage == "cut":
            data = data[:-1]
        elif damage == "extra":
            data += b"\x00"
        elif damage == "length" and len(data) > 2:
            data = data[:1] + bytes([data[1] ^ 1]) + data[2:]
        elif damage == "tag":
            data = data.replace(b"Inner", b"Inneq")
        payloads.append(data)
    assert _all_at_once(shared, payloads) == _one_by_one(shared, payloads)


@frozen
class Scalars:
    none: None
    flag: bool
    whole: int
    real: float
    text: str
    raw: bytes


@frozen
class Versioned:
    n: int


_scalar_values = st.builds(
    Scalars,
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=300),
    st.binary(max_size=70_000),
)


@settings(max_examples=100, deadline=None)
@given(st.one_of(_scalar_values, st.builds(Inner, _ints), st.builds(Versioned, _ints)))
def test_the_flat_encoding_is_byte_for_byte_the_walk(value: object) -> None:
    # A registered value whose fields hold only scalars skips the walk (issue 16):
    # the bytes must be exactly what the walk writes, at every extension size.
    registry = MessageRegistry()
    registry.register(Scalars, Inner)
    registry.register(Versioned, version=2, upcasters={1: dict})
    shared = ValueCodec(registry)
    registration = registry.registration_of(type(value))
    assert registration is not None
    # What the walk writes, without any flat encoder.
    walked = msgspec.msgpack.Ext(VALUE_EXT, shared._encode_registered(value, registration))
    for _ in range(2):  # the first encode builds the class's flat encoder, the second uses it
        data = shared.encode(value)
        assert data == msgspec.msgpack.encode(walked)
        assert shared.decode(data) == value
        # Inside containers (a sharding envelope, say) its bytes are spliced in as they are.
        nested = shared.encode(["id", 1, value, {"key": (value,)}])
        assert nested == msgspec.msgpack.encode(["id", 1, walked, {"key": [walked]}])
        assert shared.decode(nested) == ["id", 1, value, {"key": [value]}]


def test_a_field_holding_a_container_or_an_instance_still_gets_the_walk() -> None:
    shared = codec()
    assert shared.encode(Inner(1)) == shared.encode(Inner(1))  # the flat encoder is cached
    assert repr(shared.decode(shared.encode(Echo([Inner(2)])))) == "Echo(payload=[Inner(n=2)])"
    with pytest.raises(UnregisteredType, match=r"Unregistered at Echo\.payload is not registered"):
        shared.encode(Echo(Unregistered(1)))
    with pytest.raises(UnregisteredType, match=r"at Echo\.payload is neither"):
        shared.encode(Echo(_IntLike(1)))


class _IntLike(int):
    """An int subclass: not a scalar as it is (only exact scalar types skip the walk)."""


def test_registering_a_class_again_under_a_new_tag_is_seen_by_a_codec_in_use() -> None:
    registry = MessageRegistry()
    registry.register(Inner)
    shared = ValueCodec(registry)
    assert _tag(Inner).encode() in shared.encode(Inner(1))
    registry.register(Inner, tag="stable.Inner")
    assert b"stable.Inner" in shared.encode(Inner(1))
    assert shared.decode(shared.encode(Inner(1))) == Inner(1)


@pytest.mark.parametrize("number", [2**64, -(2**63) - 1, 10**30])
def test_an_integer_msgpack_cannot_carry_is_refused_with_the_fix(number: int) -> None:
    # Before: a bare OverflowError from msgspec, on the flat path and the walk alike.
    shared = codec()
    expected = r"holds an integer outside MessagePack's range .*; send it as a str, or split it$"
    for value in (Inner(number), Echo([number]), [1, {"k": number}], number):
        with pytest.raises(SerializationError, match=r"^a \w+ " + expected):
            shared.encode(value)
    assert shared.decode(shared.encode(Inner(2**64 - 1))) == Inner(2**64 - 1)  # the edges fit
    assert shared.decode(shared.encode(Inner(-(2**63)))) == Inner(-(2**63))
