"""Values to bytes and back: msgspec MessagePack, registered types tagged at any depth.

A registered attrs instance becomes a MessagePack extension (code
:data:`VALUE_EXT`) holding ``[tag, {field: value}]`` (and the class version
when it is above 1), so it arrives as its class wherever it sits: a field, a
list, a dict, a tuple. Anything else that is not a plain value is refused when
encoding, with the path to it. Nothing is ever pickled, and no input can make
decoding raise anything but :class:`UndecodableValue`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import Any

import attrs
import msgspec

from ._errors import SerializationError, UndecodableValue, UnregisteredType
from ._flat import SCALARS as _SCALARS
from ._flat import VALUE_EXT, flat_encoder
from ._registry import MessageRegistry, Registration, qualified_name

_PLAIN = "None, bool, int, float, str, bytes, list, tuple or dict"


class _Misplaced(Exception):
    """Raised inside the encoding walk; gathers the path while it unwinds."""

    def __init__(self, value: object, registrable: bool) -> None:
        super().__init__()
        self.value = value
        self.registrable = registrable
        self.segments: list[str] = []


def _pass_through(wanted: type, value: object) -> object:
    if isinstance(value, wanted):
        return value
    raise TypeError(f"expected {wanted.__name__}, got {type(value).__name__}")


class ValueCodec:
    """Encodes values to bytes and decodes them back through one :class:`MessageRegistry`.

    Used by the NATS wire format (``actors.remote``) and by the journals of
    ``actors.persistence``; one instance serves one registry and may be shared.

    Args:
        registry: the types allowed.
        extension_of: optional: for a value of another type, a MessagePack
            ``Ext`` to write instead, or ``None`` to refuse it (the remote
            layer writes actor refs this way).
        from_extension: optional: the value of a MessagePack extension other
            than :data:`VALUE_EXT`; raise :class:`UndecodableValue` to refuse it.
    """

    def __init__(
        self,
        registry: MessageRegistry,
        *,
        extension_of: Callable[[object], msgspec.msgpack.Ext | None] | None = None,
        from_extension: Callable[[int, memoryview], object] | None = None,
    ) -> None:
        self.registry = registry
        self._extension_of = extension_of
        self._from_extension = from_extension
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder: msgspec.msgpack.Decoder[Any] = msgspec.msgpack.Decoder(
            ext_hook=self._ext_hook
        )
        #: By registered class: its flat encoder (see :meth:`_flat_encoder`).
        self._flat: dict[type, Callable[[object], bytes | None]] = {}
        self._generation = registry._generation
        #: Typed decoders by (array header, tag bytes): ``None`` where none fits.
        self._typed: dict[tuple[int, bytes], msgspec.msgpack.Decoder[Any] | None] = {}
        self._versions: dict[tuple[int, bytes], int] = {}

    # -- encoding ---------------------------------------------------------

    def encode(self, value: object) -> bytes:
        """The bytes of ``value``.

        Raises:
            UnregisteredType: ``value`` holds, anywhere, an instance of a type
                that is neither registered nor a plain value; the message names
                the type and its place, such as ``Echo.payload[2]``.
            SerializationError: ``value`` holds an integer MessagePack cannot
                carry (below -2**63 or above 2**64 - 1).
        """
        # The fast path, per message: a registered value whose fields all hold scalars
        # needs no walk (nothing in it can be unregistered); its class's flat encoder
        # writes it in one msgspec call, byte for byte what the walk writes. A change
        # to the registry (a class registered again under a new tag) empties the cache.
        if self.registry._generation != self._generation:
            self._flat.clear()
            self._generation = self.registry._generation
        try:
            flat = self._flat.get(type(value))
            if flat is not None:
                data = flat(value)
                if data is not None:
                    return data
            elif type(value) not in _SCALARS:
                registration = self.registry.registration_of(type(value))
                if registration is not None:
                    self._flat[type(value)] = flat_encoder(registration, self._encoder)
            return self._encoder.encode(self.to_plain(value))
        except _Misplaced as error:
            raise self._refusal(value, error) from None
        except RecursionError:
            raise UnregisteredType(
                f"a {type(value).__qualname__} is nested too deeply to encode; flatten it"
            ) from None
        except OverflowError:
            raise SerializationError(
                f"a {type(value).__qualname__} holds an integer outside MessagePack's range "
                "(-2**63 to 2**64 - 1); send it as a str, or split it"
            ) from None

    def to_plain(self, value: object) -> object:
        """``value`` as msgspec-encodable builtins, registered instances as extensions.

        Raises:
            _Misplaced: internal; :meth:`encode` turns it into UnregisteredType.
        """
        kind = type(value)
        if kind in _SCALARS:
            return value
        if kind is list or kind is tuple:
            items: list[object] = []
            sequence: list[object] | tuple[object, ...] = value  # type: ignore[assignment]
            for index, item in enumerate(sequence):
                if type(item) in _SCALARS:  # most items: no call needed
                    items.append(item)
                    continue
                try:
                    items.append(self.to_plain(item))
                except _Misplaced as error:
                    error.segments.append(f"[{index}]")
                    raise
            return items
        if kind is dict:
            mapping: dict[object, object] = {}
            source: dict[object, object] = value  # type: ignore[assignment]
            for key, item in source.items():
                if type(key) not in _SCALARS:
                    raise _Misplaced(key, registrable=False)
                try:
                    mapping[key] = self.to_plain(item)
                except _Misplaced as error:
                    error.segments.append(f"[{key!r}]")
                    raise
            return mapping
        registration = self.registry.registration_of(kind)
        if registration is not None:
            # Inside a container (a sharding envelope, say), a registered value of
            # scalars takes the flat encoder too, its bytes spliced in as they are.
            flat = self._flat.get(kind)
            if flat is None:
                flat = self._flat[kind] = flat_encoder(registration, self._encoder)
            data = flat(value)
            if data is not None:
                return msgspec.Raw(data)
            return msgspec.msgpack.Ext(VALUE_EXT, self._encode_registered(value, registration))
        if self._extension_of is not None:
            extension = self._extension_of(value)
            if extension is not None:
                return extension
        raise _Misplaced(value, registrable=attrs.has(kind) or isinstance(value, msgspec.Struct))

    def _encode_registered(self, value: object, registration: Registration) -> bytes:
        fields: dict[str, object] = {}
        for name in registration.fields:
            try:
                fields[name] = self.to_plain(getattr(value, name))
            except _Misplaced as error:
                error.segments.append(f".{name}")
                raise
        if registration.version == 1:
            return self._encoder.encode((registration.tag, fields))
        return self._encoder.encode((registration.tag, fields, registration.version))

    def _refusal(self, value: object, error: _Misplaced) -> UnregisteredType:
        top = type(value).__qualname__ if attrs.has(type(value)) else "value"
        where = f" at {top}{''.join(reversed(error.segments))}" if error.segments else ""
        cls = type(error.value)
        if error.registrable:
            return UnregisteredType(
                f"{qualified_name(cls)}{where} is not registered in the MessageRegistry; "
                f"add it with registry.register({cls.__qualname__})"
            )
        return UnregisteredType(
            f"{qualified_name(cls)}{where} is neither a registered attrs class nor a "
            f"plain value ({_PLAIN}); convert it, or wrap it in a registered attrs class"
        )

    # -- decoding ---------------------------------------------------------

    def decode(self, data: bytes | memoryview) -> object:
        """The value encoded in ``data``.

        Registered values come back as their classes (upcast from older
        versions); tuples come back as lists unless a field's annotation says
        ``tuple``.

        Raises:
            UndecodableValue: for any input that is not a value this registry
                can rebuild: malformed or truncated MessagePack, nesting too
                deep, an unknown tag or extension, fields that do not fit.
        """
        try:
            return self._decoder.decode(data)
        except UndecodableValue:
            raise
        except RecursionError:
            raise UndecodableValue("malformed value: nested too deeply") from None
        except msgspec.DecodeError as error:
            raise UndecodableValue(f"malformed value: {error}") from None
        except Exception as error:  # a hostile input must never escape as anything else
            raise UndecodableValue(f"malformed value: {type(error).__name__}: {error}") from None

    def decode_all(self, payloads: Iterable[bytes]) -> list[object]:
        """The values encoded in ``payloads``, in order: what :meth:`decode` gives for each.

        Faster than a loop of :meth:`decode` for runs of registered values of
        one class (a journal's events): a payload that is exactly such a value
        (an ``ext 8`` of :data:`VALUE_EXT` holding ``[tag, fields]``, with the
        tag of the previous one) goes straight to that class's typed decoder,
        without the outer decode and its extension hook. Any other payload,
        and any that the typed decoder refuses, takes :meth:`decode`.

        Raises:
            UndecodableValue: as :meth:`decode`, for the first payload that fails.
        """
        values: list[object] = []
        append = values.append
        prefix = b"\x00"  # the body's head (arity, tag) of the last run: none yet
        typed: msgspec.msgpack.Decoder[Any] | None = None
        for data in payloads:
            if (
                typed is not None
                and data[0] == 0xC7
                and data[2] == VALUE_EXT
                and data.startswith(prefix, 3)
                and data[1] == len(data) - 3
            ):
                try:
                    append(typed.decode(data[3:])[1])
                    continue
                except (msgspec.ValidationError, msgspec.DecodeError):
                    pass
            append(self.decode(data))
            typed, prefix = self._run_of(data)
        return values

    def _run_of(self, data: bytes) -> tuple[msgspec.msgpack.Decoder[Any] | None, bytes]:
        """The typed decoder and body head for more payloads like ``data`` (or ``None``)."""
        if len(data) > 5 and data[0] == 0xC7 and data[2] == VALUE_EXT and data[3] == 0x92:
            head = data[4]
            if 0xA0 <= head <= 0xBF:
                end = 5 + (head & 0x1F)
                key = (0x92, bytes(data[5:end]))
                typed = self._typed.get(key)
                if typed is None and key not in self._typed:
                    typed = self._typed_decoder(key)
                return typed, bytes(data[3:end])
        return None, b"\x00"

    def _ext_hook(self, code: int, data: memoryview) -> object:
        if code != VALUE_EXT:
            if self._from_extension is None:
                raise UndecodableValue(f"unknown MessagePack extension {code}")
            return self._from_extension(code, data)
        # The fast path: read the tag from the body's head and decode the body
        # with a typed decoder that builds the class at once. Anything it does
        # not fit (an older version, a registered value in a typed field, a
        # malformed body) takes the general path below, which says why.
        size = len(data)
        if size > 2:
            arity = data[0]
            head = data[1]
            if 0xA0 <= head <= 0xBF:
                start, end = 2, 2 + (head & 0x1F)
            elif head == 0xD9 and size > 3:
                start, end = 3, 3 + data[2]
            else:
                start = end = 0
            if end:
                key = (arity, bytes(data[start:end]))
                typed = self._typed.get(key)
                if typed is None and key not in self._typed:
                    typed = self._typed_decoder(key)
                if typed is not None:
                    try:
                        decoded = typed.decode(data)
                    except msgspec.ValidationError:
                        pass
                    else:
                        if arity == 0x92 or decoded[2] == self._versions[key]:
                            return decoded[1]
        return self._general(data)

    def typed_decoder(self, tag: str) -> msgspec.msgpack.Decoder[Any] | None:
        """The decoder of one registered class's extension body, for callers that know its tag.

        It decodes the body of a :data:`VALUE_EXT` extension holding ``[tag,
        fields]`` to ``(tag, value)``, ``value`` an instance of the class
        registered as ``tag`` (the remote layer reads message frames with it,
        having read the tag in the frame's head). It does not check that the
        body's tag is ``tag``: the caller compares the bytes.

        Returns:
            ``None`` when no version-1 class is registered as ``tag``, or
            msgspec cannot build a typed decoder for its annotations; then use
            :meth:`decode`.

        The decoder raises when the body does not fit (``msgspec.DecodeError``,
        ``msgspec.ValidationError``, ``RecursionError``, or what the
        ``from_extension`` hook raises); :meth:`decode` then says why.
        """
        return self._typed_decoder((0x92, tag.encode()))

    def _typed_decoder(self, key: tuple[int, bytes]) -> msgspec.msgpack.Decoder[Any] | None:
        arity, tag = key
        registration = None
        with contextlib.suppress(UnicodeDecodeError):
            registration = self.registry.registration_at(tag.decode())
        decoder: msgspec.msgpack.Decoder[Any] | None = None
        if registration is not None and (arity == 0x93 or registration.version == 1):
            body: Any = (
                tuple[str, registration.cls]  # type: ignore[name-defined]
                if arity == 0x92
                else tuple[str, registration.cls, int]  # type: ignore[name-defined]
            )
            try:
                decoder = msgspec.msgpack.Decoder(
                    body, ext_hook=self._ext_hook, dec_hook=_pass_through
                )
            except (TypeError, NameError):  # annotations msgspec cannot resolve
                decoder = None
            self._versions[key] = registration.version
        if len(self._typed) < 4096:  # hostile tags must not grow the cache without bound
            self._typed[key] = decoder
        return decoder

    def _general(self, data: memoryview) -> object:
        body = self._decoder.decode(data)
        if not (
            isinstance(body, list)
            and len(body) in (2, 3)
            and isinstance(body[0], str)
            and isinstance(body[1], dict)
        ):
            raise UndecodableValue("malformed registered value: expected [tag, fields]")
        tag: str = body[0]
        fields: dict[str, Any] = body[1]
        registration = self.registry.registration_at(tag)
        if registration is None:
            raise UndecodableValue(f"unknown type tag {tag!r}")
        version = body[2] if len(body) == 3 else 1
        if version != registration.version:
            fields = _upcast(registration, version, fields)
        try:
            return msgspec.convert(fields, registration.cls, dec_hook=_pass_through)
        except (msgspec.ValidationError, TypeError, ValueError) as error:
            raise UndecodableValue(f"malformed {tag!r} value: {error}") from None


def _upcast(registration: Registration, version: object, fields: dict[str, Any]) -> dict[str, Any]:
    tag = registration.tag
    if type(version) is not int or version < 1:
        raise UndecodableValue(f"malformed {tag!r} value: version {version!r}")
    if version > registration.version:
        raise UndecodableValue(
            f"{tag!r} was stored at version {version}, newer than this class's version "
            f"{registration.version}; run the newer code, or register version={version}"
        )
    for step in range(version, registration.version):
        try:
            fields = registration.upcasters[step](fields)
        except Exception as error:
            raise UndecodableValue(
                f"the upcaster of {tag!r} from version {step} raised "
                f"{type(error).__name__}: {error}"
            ) from None
    return fields
