"""Entity envelopes on the wire: encoded without the general walk, queued as one frame.

An entity's message travels to its owner's region as the plain list
``[entity_id, hops, message]`` in a ``MESSAGE`` frame (see
``_shard_placement.py``). The general encoder walks that list to find the
registered message inside; here the frame is written directly: the frame's
head for a plain value, the list's header, the id and hop count, and the
message's own bytes from :meth:`ValueCodec.encode`, which takes its flat path
for a registered message of scalars. The walk writes a registered value inside
a container with the same flat encoder, spliced in as it is, and everything
else as :meth:`ValueCodec.encode` would alone, so the bytes are identical (a
hypothesis test compares them); an unregistered type is refused here as there,
with its place in the message named.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec

from ._wire import MESSAGE

if TYPE_CHECKING:
    from ._node import NatsNode
    from ._ref import RemoteActorRef
    from ._shard_records import Owner
    from ._wire import Codec

#: Sends one envelope: ``(entity_id, hops, message)``.
EnvelopeSender = Callable[[str, int, object], None]
#: Sends one envelope if its owner still holds the shard; ``False`` (nothing sent) if not.
EnvelopeRoute = Callable[[str, int, object], bool]


def envelope_encoder(codec: Codec) -> Callable[[str, int, object], bytes]:
    """The frame of the envelope ``[entity_id, hops, message]``, byte for byte ``codec``'s.

    Raises (from the returned function):
        TypeError: the message holds an unregistered type (``UnregisteredType``).
        SerializationError: it holds an integer MessagePack cannot carry.
    """
    head, encode_value, encode = _parts(codec)
    raw = msgspec.Raw

    def envelope(entity_id: str, hops: int, message: object) -> bytes:
        return head + encode((entity_id, hops, raw(encode_value(message))))

    return envelope


def envelope_sender(node: NatsNode, target: RemoteActorRef) -> EnvelopeSender:
    """A function that publishes envelopes to ``target`` (a region's endpoint) at most once.

    As ``target.tell(envelope)``: in order per sender with the node's other
    frames, never blocking; a frame too large, or with no room in the outbound
    buffer, becomes a dead letter of the envelope, counted. Only the encoding
    differs (see the module's docstring).

    Raises (from the returned function):
        TypeError: the message holds an unregistered type.
    """
    head, encode_value, encode = _parts(node.codec)
    raw = msgspec.Raw
    publish = node._publish_encoded

    def send(entity_id: str, hops: int, message: object) -> None:
        # envelope_encoder's function, inlined: this runs once per message.
        data = head + encode((entity_id, hops, raw(encode_value(message))))
        publish(target, (entity_id, hops, message), data)

    return send


def guarded_sender(node: NatsNode, target: RemoteActorRef, owner: Owner) -> EnvelopeRoute:
    """As :func:`envelope_sender`, refusing (``False``, nothing sent) once ``owner``'s lease
    is not in the node's live view: a tell's fast path (``ClusterRouting.deliver``)."""
    head, encode_value, encode = _parts(node.codec)
    raw = msgspec.Raw
    publish = node._publish_encoded
    membership = node.membership
    owner_node = owner.node
    incarnation = owner.incarnation

    def send(entity_id: str, hops: int, message: object) -> bool:
        # NatsPlacement.holds for another node's owner, and send, inlined (per message).
        if membership.live.get(owner_node) != incarnation:
            return False
        data = head + encode((entity_id, hops, raw(encode_value(message))))
        publish(target, (entity_id, hops, message), data)
        return True

    return send


def _parts(
    codec: Codec,
) -> tuple[bytes, Callable[[object], bytes], Callable[[object], bytes]]:
    """The frame head of a plain tuple, the codec's value encoder, and a plain encoder."""
    # The head of a MESSAGE frame of a plain tuple, as the codec writes it: an empty
    # tuple's frame is that head and the one byte of an empty array.
    empty = codec.encode(MESSAGE, ())
    assert empty.endswith(b"\x90"), empty
    return empty[:-1], codec.values.encode, msgspec.msgpack.Encoder().encode
