"""The flat encoder: a registered value whose fields hold only scalars, without the walk.

:meth:`ValueCodec.encode <actors.serialization.ValueCodec.encode>` walks a value
to turn every registered instance it holds into an extension and to refuse any
unregistered type, wherever it sits. A value whose fields all hold scalars
(``None``, bool, int, float, str, bytes; exactly those types, not subclasses)
holds nothing to find: its class's flat encoder writes it in one msgspec call,
byte for byte what the walk writes. Any other field value (a container, an
instance) sends the value back to the walk, which checks what it holds.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from ._registry import Registration

VALUE_EXT = 2
"""MessagePack extension code of a registered value: ``[tag, fields]`` or
``[tag, fields, version]``. (Code 1 is the remote layer's actor ref.)"""

#: The types that are plain values as they are, with nothing inside to check.
SCALARS = frozenset({type(None), bool, int, float, str, bytes})


def ext_head(size: int) -> bytes:
    """The header of a :data:`VALUE_EXT` extension of ``size`` bytes, as msgspec writes it."""
    fixed = {1: 0xD4, 2: 0xD5, 4: 0xD6, 8: 0xD7, 16: 0xD8}.get(size)
    if fixed is not None:
        return bytes((fixed, VALUE_EXT))
    if size < 0x100:
        return bytes((0xC7, size, VALUE_EXT))
    if size < 0x10000:
        return b"\xc8" + size.to_bytes(2, "big") + bytes((VALUE_EXT,))
    return b"\xc9" + size.to_bytes(4, "big") + bytes((VALUE_EXT,))


#: The extension headers of the sizes most values have, made once.
_EXT_HEADS = tuple(ext_head(size) for size in range(256))


def flat_encoder(
    registration: Registration, encoder: msgspec.msgpack.Encoder
) -> Callable[[object], bytes | None]:
    """For a registered class: a value's bytes, or ``None`` when a field holds a non-scalar.

    The bytes are the :data:`VALUE_EXT` extension around ``[tag, {field:
    value}]`` (``[tag, fields, version]`` above version 1).
    """
    names = registration.fields
    tag = registration.tag
    version = registration.version
    encode = encoder.encode
    scalars = SCALARS
    heads = _EXT_HEADS

    def flat(value: object) -> bytes | None:
        fields: dict[str, object] = {}
        for name in names:
            item = getattr(value, name)
            if type(item) not in scalars:
                return None  # a container or an instance: the walk checks what it holds
            fields[name] = item
        body = encode((tag, fields)) if version == 1 else encode((tag, fields, version))
        size = len(body)
        return (heads[size] if size < 256 else ext_head(size)) + body

    return flat
