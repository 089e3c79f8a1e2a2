"""The wire format: msgspec MessagePack over registered attrs classes.

Only classes in a :class:`MessageRegistry` cross the wire, named by a tag; a
frame never carries code, and nothing from the network is unpickled. An
``ActorRef`` inside a message travels as its address (a MessagePack extension)
and arrives as a working ref.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import msgspec
from attrs import frozen

from actors import ActorError, ActorRef, ActorStopped, MailboxFull

from ._errors import ActorNotFound, RemoteError
from ._names import Address

#: MessagePack extension code of an actor ref: UTF-8 ``node`` NUL ``path``.
REF_EXT = 1

# Frame kinds.
MESSAGE = 0
REPLY = 1
ERROR = 2
CONTROL = 3

_BUILTIN_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    TypeError,
    KeyError,
    LookupError,
    IndexError,
    RuntimeError,
    ArithmeticError,
    ZeroDivisionError,
    TimeoutError,
    NotImplementedError,
    PermissionError,
    AssertionError,
    ActorError,
    ActorStopped,
    ActorNotFound,
    MailboxFull,
)


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


class MessageRegistry:
    """The explicit list of message and exception types that may cross the wire.

    Every node of a cluster must register the same classes under the same
    tags (by default the class's qualified name, ``module.Class``)::

        registry = MessageRegistry()
        registry.register(PlaceOrder, Receipt)
        registry.register_error(OutOfStock)

    Messages are attrs classes (or msgspec-encodable values: ``None``, bool,
    int, float, str, bytes, lists, tuples, dicts). Exceptions of registered
    types raised by a remote handler are re-raised with their own type,
    rebuilt from their ``args``; others arrive as :class:`RemoteError`.
    """

    def __init__(self) -> None:
        self._by_tag: dict[str, type] = {}
        self._tags: dict[type, str] = {}
        self._errors: dict[str, type[BaseException]] = {}
        self._error_tags: dict[type, str] = {}
        for error in _BUILTIN_ERRORS:
            self.register_error(error)

    def register(self, *classes: type, tag: str | None = None) -> None:
        """Allow instances of ``classes`` on the wire.

        Raises:
            TypeError: a class is not an attrs class.
            ValueError: a tag is already taken by another class, or ``tag``
                is given for more than one class.
        """
        if tag is not None and len(classes) != 1:
            raise ValueError(f"tag= names exactly one class (got {len(classes)} classes)")
        for cls in classes:
            if not (isinstance(cls, type) and attrs.has(cls)):
                raise TypeError(
                    f"message types must be attrs classes such as @frozen classes (got {cls!r})"
                )
            self._add(self._by_tag, self._tags, cls, tag or _qualified(cls))

    def register_error(self, cls: type[BaseException], *, tag: str | None = None) -> None:
        """Re-raise remote exceptions of type ``cls`` as themselves (rebuilt from ``args``)."""
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            raise TypeError(f"register_error() needs an exception class (got {cls!r})")
        self._add(self._errors, self._error_tags, cls, tag or _qualified(cls))

    @staticmethod
    def _add(by_tag: dict[str, Any], tags: dict[type, str], cls: type, tag: str) -> None:
        if tag.startswith("$"):
            raise ValueError(f"tags starting with '$' are the runtime's (got {tag!r})")
        known = by_tag.get(tag)
        if known is not None and known is not cls:
            raise ValueError(f"tag {tag!r} is already registered for {known!r}; pass tag=")
        by_tag[tag] = cls
        tags[cls] = tag

    def tag_of(self, cls: type) -> str | None:
        """The tag of a registered message class, or ``None``."""
        return self._tags.get(cls)

    def class_of(self, tag: str) -> type | None:
        """The message class registered under ``tag``, or ``None``."""
        return self._by_tag.get(tag)

    def error_tag_of(self, cls: type) -> str | None:
        """The tag of a registered exception class, or ``None``."""
        return self._error_tags.get(cls)

    def error_class_of(self, tag: str) -> type[BaseException] | None:
        """The exception class registered under ``tag``, or ``None``."""
        return self._errors.get(tag)


def _qualified(cls: type) -> str:
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


_PLAIN_TYPES = (type(None), bool, int, float, str, bytes, list, tuple, dict)
_PLAIN_TAG = "$plain"


class Codec:
    """Encodes and decodes frames for one node; refs map to and from addresses.

    Args:
        registry: the allowed types.
        address_of: the address of a ref (for refs inside messages).
        ref_at: a working ref for an address that arrived inside a message.
    """

    def __init__(
        self,
        registry: MessageRegistry,
        *,
        address_of: Callable[[ActorRef], Address],
        ref_at: Callable[[Address], ActorRef],
    ) -> None:
        self.registry = registry
        self._address_of = address_of
        self._ref_at = ref_at
        self._encoder = msgspec.msgpack.Encoder(enc_hook=self._enc_hook)
        self._plain = msgspec.msgpack.Decoder(ext_hook=self._ext_hook)
        self._frames = msgspec.msgpack.Decoder(Frame)
        self._errors = msgspec.msgpack.Decoder(ErrorBody)
        self._decoders: dict[type, msgspec.msgpack.Decoder[Any]] = {}
        #: Prebuilt decoders by tag, filled on first use.
        self._by_tag: dict[str, msgspec.msgpack.Decoder[Any]] = {_PLAIN_TAG: self._plain}
        #: The encoded head of a frame (array header, kind, tag) by kind and class.
        self._heads: dict[tuple[int, type], bytes] = {}

    # -- encoding ---------------------------------------------------------

    def _enc_hook(self, value: object) -> object:
        if isinstance(value, ActorRef):
            address = self._address_of(value)
            return msgspec.msgpack.Ext(REF_EXT, f"{address.node}\0{address.path}".encode())
        raise NotImplementedError(f"{type(value).__qualname__} is not a registered message type")

    def encode(self, kind: int, value: object) -> bytes:
        """One frame holding ``value``.

        The frame is a MessagePack array ``[kind, tag, body]``; its head is
        encoded once per kind and class, so each message costs one encode.

        Raises:
            TypeError: ``value`` (or something inside it) is of an unregistered type.
        """
        head = self._heads.get((kind, type(value)))
        if head is None:
            head = self._head(kind, value)
        try:
            return head + self._encoder.encode(value)
        except (NotImplementedError, TypeError) as error:
            raise TypeError(f"cannot send {value!r} over the wire: {error}") from None

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
        self._heads[kind, cls] = head
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
            args = msgspec.Raw(self._encoder.encode(list(error.args)))
        except (NotImplementedError, TypeError):
            args = msgspec.Raw(self._encoder.encode(None))
        body = ErrorBody(tag, str(error), args)
        return self._encoder.encode(Frame(ERROR, tag, msgspec.Raw(self._encoder.encode(body))))

    # -- decoding ---------------------------------------------------------

    def _ext_hook(self, code: int, data: memoryview) -> object:
        if code != REF_EXT:
            raise UndecodableError(f"unknown MessagePack extension {code}")
        node, sep, path = bytes(data).decode().partition("\0")
        if not sep or not path.startswith("/"):
            raise UndecodableError("malformed actor address")
        return self._ref_at(Address(node, path))

    @staticmethod
    def _dec_hook(wanted: type, value: object) -> object:
        if isinstance(value, wanted):
            return value
        raise NotImplementedError(f"cannot decode {type(value).__name__} as {wanted.__name__}")

    def decode_frame(self, data: bytes) -> Frame:
        try:
            return self._frames.decode(data)
        except (msgspec.DecodeError, ValueError) as error:
            raise UndecodableError(f"malformed frame: {error}") from None

    def decode_message(self, data: bytes) -> object:
        """The message in a ``MESSAGE`` frame.

        Raises:
            UndecodableError: a malformed frame, another kind of frame, an
                unknown tag, or a body that does not fit its class.
        """
        try:
            frame = self._frames.decode(data)
        except (msgspec.DecodeError, ValueError) as error:
            raise UndecodableError(f"malformed frame: {error}") from None
        if frame.kind != MESSAGE:
            raise UndecodableError(f"unexpected frame kind {frame.kind}")
        decoder = self._by_tag.get(frame.tag)
        if decoder is None:
            decoder = self._decoder_for(frame.tag)
        try:
            return decoder.decode(frame.body)
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError, TypeError) as error:
            raise UndecodableError(f"malformed {frame.tag!r} message: {error}") from None

    def decode_body(self, frame: Frame) -> object:
        """The message in ``frame``.

        Raises:
            UndecodableError: an unknown tag, or a body that does not fit its class.
        """
        decoder = self._by_tag.get(frame.tag)
        if decoder is None:
            decoder = self._decoder_for(frame.tag)
        try:
            return decoder.decode(frame.body)
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError, TypeError) as error:
            raise UndecodableError(f"malformed {frame.tag!r} message: {error}") from None

    def _decoder_for(self, tag: str) -> msgspec.msgpack.Decoder[Any]:
        cls = self.registry.class_of(tag)
        if cls is None:
            raise UndecodableError(f"unknown message type {tag!r}")
        decoder = self._decoders.get(cls)
        if decoder is None:
            decoder = self._decoders[cls] = msgspec.msgpack.Decoder(
                cls, ext_hook=self._ext_hook, dec_hook=self._dec_hook
            )
        self._by_tag[tag] = decoder
        return decoder

    def decode_control(self, frame: Frame, cls: type[msgspec.Struct]) -> Any:
        try:
            return msgspec.msgpack.decode(frame.body, type=cls)
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            raise UndecodableError(f"malformed {frame.tag!r} control frame: {error}") from None

    def decode_error(self, frame: Frame) -> BaseException:
        """The exception an ``ask`` raises for an error frame."""
        try:
            body = self._errors.decode(frame.body)
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            return RemoteError("UndecodableError", f"malformed error frame: {error}")
        cls = self.registry.error_class_of(body.type_name)
        if cls is not None:
            try:
                args = self._plain.decode(body.args)
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
