"""Reading a sharding envelope's frame body without the general decoder's extension hook.

A plain-value ``MESSAGE`` frame's body (after its head) is read by
:meth:`ValueCodec.decode`, which calls back into Python for every registered
value inside. An entity's envelope ``[entity_id, hops, message]`` with a
registered message (the usual case) is read here instead: the id and hop count
by one msgspec call, and the message by its class's typed decoder, which
builds it in one more. Anything of another shape, or that the typed
decoder refuses, is read by the general decoder, which gives the same value or
says what is wrong (a hypothesis test compares the two).
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

    def read(self, data: bytes, start: int) -> object:
        """The plain value in ``data[start:]``.

        Raises:
            UndecodableValue: as :meth:`ValueCodec.decode`.
        """
        # One msgspec call reads [id, hops, extension] (any other shape raises, and goes
        # to the general path); an extension of a registered value, ``[tag, fields]``
        # with a fixstr tag, is read by its class's typed decoder (the tag is read from
        # the very bytes it decodes, so they agree).
        # A small frame's body is copied (a bytes slice decodes in half the time of a
        # memoryview's); a large one is read in place.
        try:
            entity_id, hops, extension = self._envelope.decode(
                data[start:] if len(data) < COPY_LIMIT else memoryview(data)[start:]
            )
            body: bytes = extension.data  # type: ignore[assignment]  # decoded: always bytes
            if extension.code == VALUE_EXT and body[0] == 0x92 and 0xA0 <= body[1] <= 0xBF:
                tag = body[2 : 2 + (body[1] & 0x1F)]
                typed = self._typed.get(tag, _UNSEEN)
                if typed is _UNSEEN or self._registry._generation != self._generation:
                    typed = self._decoder(tag)
                if typed is not None:
                    return [entity_id, hops, typed.decode(body)[1]]
        except Exception:  # not an envelope of that shape, or a body that does not fit
            pass
        return self._values.decode(memoryview(data)[start:])

    def _decoder(self, tag: bytes) -> msgspec.msgpack.Decoder[Any] | None:
        registry = self._registry
        if registry._generation != self._generation:  # a class registered again: look anew
            self._typed.clear()
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
