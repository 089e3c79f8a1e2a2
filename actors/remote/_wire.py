"""The wire format: frames around values encoded by ``actors.serialization``.

Only classes in a :class:`MessageRegistry` cross the wire, named by a tag, at
any depth of a message; a frame never carries code, and nothing from the
network is unpickled. An ``ActorRef`` inside a message travels as its address
(a MessagePack extension) and arrives as a working ref; an ``EntityRef`` travels
as its type and id and arrives as the receiving node's ``system.entity(type, id)``.
The value encoding is
the one the journals of ``actors.persistence`` use: see
:class:`actors.serialization.ValueCodec`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec
from attrs import frozen

from actors import ActorRef
from actors.serialization import (
    VALUE_EXT,
    MessageRegistry,
    SerializationError,
    UndecodableValue,
    ValueCodec,
)
from actors.sharding import EntityRef

from ._envelope_reading import EnvelopeReader
from ._errors import ActorNotFound, RemoteError
from ._names import Address

#: MessagePack extension code of an actor ref: UTF-8 ``node`` NUL ``path``.
REF_EXT = 1
#: MessagePack extension code of an entity ref: UTF-8 ``type`` NUL ``id``.
ENTITY_EXT = 3  # 2 is actors.serialization.VALUE_EXT

# Frame kinds.
MESSAGE = 0
REPLY = 1
ERROR = 2
CONTROL = 3


#: What :attr:`Codec._message_heads` gives for a head not looked at yet.
_UNSEEN: Any = object()


@frozen
class RawMessage:
    """A frame that arrived but could not become a message: what its ``DeadLetter`` carries.

    Attributes:
        subject: the NATS subject it arrived on.
        data: its bytes (at most the first 1,024).
        size: its full size in bytes.
    """

    subject: str
    data: bytes
    size: int


class Frame(msgspec.Struct, array_like=True):
    """What one NATS message carries: a kind, a type tag and the encoded body."""

    kind: int
    tag: str
    body: msgspec.Raw


class ErrorBody(msgspec.Struct, array_like=True):
    """An exception raised by a remote handler, as it travels back to ``ask``."""

    type_name: str
    message: str
    args: msgspec.Raw  # a list, or nil when the args could not be encoded


class UndecodableError(ValueError):
    """A frame could not be turned back into a message; ``str()`` is the reason."""


_PLAIN_TYPES = (type(None), bool, int, float, str, bytes, list, tuple, dict)
_PLAIN_TAG = "$plain"
#: The head of a ``MESSAGE`` frame of a plain value, up to its body.
_PLAIN_HEAD = bytes((0x93, MESSAGE)) + msgspec.msgpack.encode(_PLAIN_TAG)
#: What a node name may be (``NatsCluster(node=...)``): it becomes a subject token.
_NODE_NAME = re.compile(r"[A-Za-z0-9_-]+")


def _qualified(cls: type) -> str:
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


class Codec:
    """Encodes and decodes frames for one node; refs map to and from addresses.

    Message bodies are values of the shared :class:`ValueCodec`, so a
    registered type nested anywhere in a message arrives as its class, and an
    unregistered one is refused at the sender with its place named.

    Args:
        registry: the allowed types.
        address_of: the address of a ref (for refs inside messages).
        ref_at: a working ref for an address that arrived inside a message.
        entity_at: the entity ref for a type and id that arrived inside a
            message; it raises ``LookupError`` when the type is unknown here.
    """

    def __init__(
        self,
        registry: MessageRegistry,
        *,
        address_of: Callable[[ActorRef], Address],
        ref_at: Callable[[Address], ActorRef],
        entity_at: Callable[[str, str], ActorRef] | None = None,
    ) -> None:
        registry.register_error(ActorNotFound)
        self.registry = registry
        self._address_of = address_of
        self._ref_at = ref_at
        self._entity_at = entity_at
        self._encoder = msgspec.msgpack.Encoder()
        self.values = ValueCodec(
            registry, extension_of=self._ref_extension, from_extension=self._ext_hook
        )
        self._frames = msgspec.msgpack.Decoder(Frame)
        #: Plain-value bodies; sharding envelopes of registered messages without the hook.
        self._plain = EnvelopeReader(self.values)
        self._errors = msgspec.msgpack.Decoder(ErrorBody)
        #: By kind, then class: the encoded head of a frame (array header, kind, tag).
        self._heads: tuple[dict[type, bytes], ...] = ({}, {}, {}, {})
        #: By a message frame's head (kind 0, tag): see :meth:`_message_head`.
        #: By a message frame's head: its class's typed decoder and the body's start,
        #: or ``None`` when the head names no such class (the plain tag, say).
        self._message_heads: dict[bytes, tuple[msgspec.msgpack.Decoder[Any], bytes] | None] = {}
        self._generation = registry._generation

    # -- encoding ---------------------------------------------------------

    def _ref_extension(self, value: object) -> msgspec.msgpack.Ext | None:
        if isinstance(value, EntityRef):  # virtual: its type and id, never an activation's path
            return msgspec.msgpack.Ext(ENTITY_EXT, f"{value.type_name}\0{value.entity_id}".encode())
        if isinstance(value, ActorRef):
            address = self._address_of(value)
            return msgspec.msgpack.Ext(REF_EXT, f"{address.node}\0{address.path}".encode())
        return None

    def encode(self, kind: int, value: object) -> bytes:
        """One frame holding ``value``.

        The frame is a MessagePack array ``[kind, tag, body]``; its head is
        encoded once per kind and class.

        Raises:
            TypeError: ``value`` (or something inside it, named by its place)
                is of an unregistered type.
        """
        head = self._heads[kind].get(type(value))
        if head is None:
            head = self._head(kind, value)
        return head + self.values.encode(value)

    def _head(self, kind: int, value: object) -> bytes:
        cls = type(value)
        tag = self.registry.tag_of(cls)
        if tag is None:
            if not isinstance(value, _PLAIN_TYPES) and not isinstance(value, ActorRef):
                raise TypeError(
                    f"{_qualified(cls)} is not registered for the wire; "
                    f"add it with registry.register({cls.__qualname__})"
                )
            tag = _PLAIN_TAG
        head = self._encoder.encode(Frame(kind, tag, msgspec.Raw(b"")))
        self._heads[kind][cls] = head
        return head

    def encode_control(self, tag: str, value: msgspec.Struct) -> bytes:
        """A frame of the runtime's own traffic (``tag`` starts with ``$``)."""
        return self._encoder.encode(Frame(CONTROL, tag, msgspec.Raw(self._encoder.encode(value))))

    def encode_error(self, error: BaseException) -> bytes:
        """A frame carrying an exception back to an ``ask``."""
        if isinstance(error, RemoteError):  # passed on: keep the original type's name
            body = ErrorBody(
                error.type_name, error.message, msgspec.Raw(self._encoder.encode(None))
            )
            raw = msgspec.Raw(self._encoder.encode(body))
            return self._encoder.encode(Frame(ERROR, error.type_name, raw))
        cls = type(error)
        tag = self.registry.error_tag_of(cls) or _qualified(cls)
        try:
            args = msgspec.Raw(self.values.encode(list(error.args)))
        except (TypeError, SerializationError):
            args = msgspec.Raw(self._encoder.encode(None))
        body = ErrorBody(tag, str(error), args)
        return self._encoder.encode(Frame(ERROR, tag, msgspec.Raw(self._encoder.encode(body))))

    # -- decoding ---------------------------------------------------------

    def _ext_hook(self, code: int, data: memoryview) -> object:
        if code == ENTITY_EXT:
            return self._entity(data)
        if code != REF_EXT:
            raise UndecodableError(f"unknown MessagePack extension {code}")
        node, sep, path = bytes(data).decode().partition("\0")
        if not sep or not path.startswith("/") or not _NODE_NAME.fullmatch(node):
            raise UndecodableError("malformed actor address")
        return self._ref_at(Address(node, path))

    def _entity(self, data: memoryview) -> ActorRef:
        type_name, sep, entity_id = bytes(data).decode().partition("\0")
        if not sep or not type_name or not entity_id or self._entity_at is None:
            raise UndecodableError("malformed entity ref")
        try:
            return self._entity_at(type_name, entity_id)
        except (LookupError, ValueError) as error:
            raise UndecodableError(f"entity ref {type_name}/{entity_id}: {error}") from None

    def decode_frame(self, data: bytes) -> Frame:
        try:
            return self._frames.decode(data)
        except (msgspec.DecodeError, ValueError, RecursionError) as error:
            raise UndecodableError(f"malformed frame: {error}") from None

    def decode_message(self, data: bytes) -> object:
        """The message in a ``MESSAGE`` frame.

        Raises:
            UndecodableError: a malformed frame, another kind of frame, an
                unknown tag, or a body that does not fit its class.
        """
        # The hot path, as few bytecodes as it can be (it runs once per remote message):
        # a frame ``[0, tag, ext(2, [tag, fields])]`` whose head (up to the tag's end)
        # is cached and whose body (an extension up to 255 bytes) repeats that head's
        # tag is read by the class's typed decoder straight from the bytes after the
        # extension's header. ``end`` is where the head ends if byte 2 starts a string
        # (fixstr or str8); for anything else the slice is no cached head, since every
        # cached head is a whole valid head whose own byte 2 gives its length. Any
        # miss, IndexError or decoding fault goes on to the checks below, and a
        # fault on to the general path, which names it.
        try:
            size = data[2]
            end = size - 0x9D if size < 0xC0 else data[3] + 4
            known = self._message_heads.get(data[:end])
            if (
                known is not None
                and data[end] == 0xC7
                and data[end + 1] == len(data) - end - 3
                and data.startswith(known[1], end + 2)
                and self.registry._generation == self._generation
            ):
                return known[0].decode(data[end + 3 :])[1]
            if data.startswith(_PLAIN_HEAD):  # a sharding envelope, say (see _decode_message)
                return self._plain.read(data, end)
        except Exception:
            pass
        return self._decode_message(data)

    def _decode_message(self, data: bytes) -> object:
        """:meth:`decode_message` for what its hot path does not take: a head not yet
        cached, a body over 255 bytes, a plain value, and every malformed frame."""
        if len(data) > 3 and data[0] == 0x93 and data[1] == MESSAGE:
            size = data[2]
            end = 3 + (size & 0x1F) if 0xA0 <= size <= 0xBF else 4 + data[3] if size == 0xD9 else 0
            head = data[:end]
            known = self._message_heads.get(head, _UNSEEN)
            if known is _UNSEEN or self.registry._generation != self._generation:
                known = self._message_head(head) if end else None
            if known is None and head == _PLAIN_HEAD:
                # A plain value (a sharding envelope, say): its body is the rest.
                try:
                    return self._plain.read(data, end)
                except UndecodableValue:  # the general path below names the fault
                    pass
            elif known is not None:
                rest = len(data) - end
                ext = data[end]
                if ext == 0xC7 and data[end + 1] == rest - 3:
                    start = end + 2
                elif ext == 0xC8 and rest > 4 and data[end + 1] << 8 | data[end + 2] == rest - 4:
                    start = end + 3
                else:
                    start = 0
                if start and data.startswith(known[1], start):
                    try:
                        return known[0].decode(data[start + 1 :])[1]
                    except Exception:  # the general path below names the fault
                        pass
        frame = self.decode_frame(data)
        if frame.kind != MESSAGE:
            raise UndecodableError(f"unexpected frame kind {frame.kind}")
        return self.decode_body(frame)

    def _message_head(self, head: bytes) -> tuple[msgspec.msgpack.Decoder[Any], bytes] | None:
        """For a message frame's ``head``: its class's typed decoder and the extension's
        expected start (its code, an array of 2, the same tag), cached; ``None`` if its tag
        names no such class."""
        if self.registry._generation != self._generation:
            self._message_heads.clear()
            self._generation = self.registry._generation
        if head in self._message_heads:
            return self._message_heads[head]
        try:
            tag = msgspec.msgpack.decode(head[2:], type=str)
        except msgspec.DecodeError:
            return None
        typed = self.values.typed_decoder(tag)
        found = None if typed is None else (typed, bytes((VALUE_EXT, 0x92)) + head[2:])
        if len(self._message_heads) < 4096:  # hostile tags must not grow it without bound
            self._message_heads[head] = found  # a head without a class too: asked once
        return found

    def decode_body(self, frame: Frame) -> object:
        """The message in ``frame``.

        Raises:
            UndecodableError: an unknown tag, or a body that does not fit its class.
        """
        expected: type | None = None
        if frame.tag != _PLAIN_TAG:
            expected = self.registry.class_of(frame.tag)
            if expected is None:
                raise UndecodableError(f"unknown message type {frame.tag!r}")
        try:
            value = self.values.decode(frame.body)
        except UndecodableValue as error:
            raise UndecodableError(f"malformed {frame.tag!r} message: {error}") from None
        if expected is not None and type(value) is not expected:
            raise UndecodableError(
                f"malformed {frame.tag!r} message: the body is a {type(value).__name__}"
            )
        return value

    def decode_control(self, frame: Frame, cls: type[msgspec.Struct]) -> Any:
        try:
            return msgspec.msgpack.decode(frame.body, type=cls)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as error:
            raise UndecodableError(f"malformed {frame.tag!r} control frame: {error}") from None

    def decode_error(self, frame: Frame) -> BaseException:
        """The exception an ``ask`` raises for an error frame."""
        try:
            body = self._errors.decode(frame.body)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as error:
            return RemoteError("UndecodableError", f"malformed error frame: {error}")
        cls = self.registry.error_class_of(body.type_name)
        if cls is not None:
            try:
                args = self.values.decode(body.args)
                if isinstance(args, list):
                    return cls(*args)
            except Exception:
                pass
        if cls is not None:
            try:
                return cls(body.message)
            except Exception:
                pass
        return RemoteError(body.type_name, body.message)
