"""Issue 18 defect 3: nested message types cross the wire as their classes, or not at all."""

from __future__ import annotations

from typing import Any

import pytest
from attrs import frozen

from actors import ActorRef
from actors.remote import Address, MessageRegistry
from actors.remote._wire import MESSAGE, Codec


@frozen
class Item:
    n: int


@frozen
class Carrier:
    payload: Any


@frozen
class Stranger:
    n: int


def _codec() -> Codec:
    registry = MessageRegistry()
    registry.register(Item, Carrier)

    def ref_at(address: Address) -> ActorRef:
        raise AssertionError(address)

    def address_of(ref: ActorRef) -> Address:
        raise AssertionError(ref)

    return Codec(registry, address_of=address_of, ref_at=ref_at)


def test_registered_types_nested_in_a_message_arrive_as_their_classes() -> None:
    codec = _codec()
    message = Carrier({"list": [Item(1)], "tuple": (Item(2),), "deep": Carrier(Item(3))})
    decoded = codec.decode_message(codec.encode(MESSAGE, message))
    assert decoded == Carrier({"list": [Item(1)], "tuple": [Item(2)], "deep": Carrier(Item(3))})
    assert isinstance(decoded, Carrier)
    assert isinstance(decoded.payload["deep"].payload, Item)


def test_an_unregistered_type_inside_a_message_is_refused_at_the_sender() -> None:
    codec = _codec()
    with pytest.raises(
        TypeError,
        match=r"Stranger at Carrier\.payload\[2\] is not registered in the MessageRegistry; add it with registry\.register\(Stranger\)$",
    ):
        codec.encode(MESSAGE, Carrier([1, 2, Stranger(3)]))
