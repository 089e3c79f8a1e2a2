"""Reading a sharding envelope's frame body without the general decoder's extension hook.

A plain-value ``MESSAGE`` frame's body (after its head) is read by
:meth:`ValueCodec.decode`, which calls back into Python for every registered
value inside. An entity's envelope ``[entity_id, hops, message]`` with a
registered message (the usual case) is read here instead: the id and hop count
by one msgspec call, and the message by its class's typed decoder, which
builds it in one more. Anything of another shape, or that the typed
decoder refuses, is read by the general decoder, which gives the same value or
says what is wrong (a hypothesis test compares the two).

The two msgspec calls cost less than the Python around them (measured: about
0.13 and 0.18 us against 0.45 us of bytecode), so the hot path is kept to a
few operations: the message's class is recognised by the leading bytes of its
extension body (the array's header, the tag's header and the tag), compared
at once with those of the class read last, before any dictionary lookup.
"""

from __future__ import annotations

from typing import Any

import msgspec

from actors.serialization import VALUE_EXT, ValueCodec

#: Tags whose typed decoders are kept; hostile tags must not grow the cache without bound.
CACHE_LIMIT = 4096
#: Frames at least this large are read in place, not copied.
COPY_LIMIT = 4096
#: What the cache gives for a tag not looked up yet.
_UNSEEN: Any = object()


class EnvelopeReader:
    """Reads plain-value frame bodies for one codec, envelopes of registered messages fast."""

    def __init__(self, values: ValueCodec) -> None:
        self._values = values
        #: By the message's tag (its UTF-8 bytes): the class's typed decoder, or ``None``.
        self._typed: dict[bytes, msgspec.msgpack.Decoder[Any] | None] = {}
        self._registry = values.registry
        self._generation = values.registry._generation
        #: An envelope's shape; the message is any extension, read below.
        self._envelope = msgspec.msgpack.Decoder(tuple[str, int, msgspec.msgpack.Ext])
        #: The class read last: its body's leading bytes (``0x92``, the tag's string header
        #: and the tag) and its typed decoder. None yet: a body starting ``b"\x90"`` (an
        #: empty array, never a registered value's) then fails on ``None`` and is read by
        #: the general path, as any body that does not fit.
        self._last_start = b"\x90"
        self._last: msgspec.msgpack.Decoder[Any] | None = None

    def read(self, data: bytes, start: int) -> object:
        """The plain value in ``data[start:]``.

        Raises:
            UndecodableValue: as :meth:`ValueCodec.decode`.
        """
        # One msgspec call reads [id, hops, extension] (any other shape raises, and goes
        # to the general path); an extension of a registered value, ``[tag, fields]``
        # with a fixstr or str8 tag, is read by its class's typed decoder (the tag is read
        # from the very bytes it decodes, so they agree).
        # A small frame's body is copied (a bytes slice decodes in half the time of a
        # memoryview's); a large one is read in place.
        try:
            entity_id, hops, extension = self._envelope.decode(
                data[start:] if len(data) < COPY_LIMIT else memoryview(data)[start:]
            )
            body: bytes = extension.data  # type: ignore[assignment]  # decoded: always bytes
            # The class read last, recognised by its body's leading bytes: the array of
            # two, the tag's string header and the whole tag (the header fixes its
            # length, so no other tag starts so); the registry unchanged since.
            if (
                body.startswith(self._last_start)
                and extension.code == VALUE_EXT
                and self._registry._generation == self._generation
            ):
                return [entity_id, hops, self._last.decode(body)[1]]  # type: ignore[union-attr]
            # Else the tag, a fixstr or (over 31 bytes) a str8, looked up by its bytes.
            size = body[1]
            begin = 2 if 0xA0 <= size <= 0xBF else 3 if size == 0xD9 else 0
            if extension.code == VALUE_EXT and body[0] == 0x92 and begin:
                end = begin + (size & 0x1F if begin == 2 else body[2])
                tag = body[begin:end]
                typed = self._typed.get(tag, _UNSEEN)
                if typed is _UNSEEN or self._registry._generation != self._generation:
                    typed = self._decoder(tag)
                if typed is not None:
                    value = typed.decode(body)[1]
                    # Only a body that decoded: a hostile one does not displace the last.
                    self._last_start, self._last = body[:end], typed
                    return [entity_id, hops, value]
        except Exception:  # not an envelope of that shape, or a body that does not fit
            pass
        return self._values.decode(memoryview(data)[start:])

    def _decoder(self, tag: bytes) -> msgspec.msgpack.Decoder[Any] | None:
        registry = self._registry
        if registry._generation != self._generation:  # a class registered again: look anew
            self._typed.clear()
            self._last_start, self._last = b"\x90", None
            self._generation = registry._generation
        if tag in self._typed:
            return self._typed[tag]
        try:
            typed = self._values.typed_decoder(tag.decode())
        except UnicodeDecodeError:
            typed = None
        if len(self._typed) < CACHE_LIMIT:
            self._typed[tag] = typed
        return typed
