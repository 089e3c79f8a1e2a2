"""The errors of value serialization, under the runtime's ``ActorError``."""

from __future__ import annotations

from actors import ActorError


class SerializationError(ActorError):
    """A value could not be turned into bytes or back: the base of the two below.

    Raised as itself by :meth:`ValueCodec.encode` for a value MessagePack
    cannot carry although its types are fine: an integer below -2**63 or
    above 2**64 - 1.
    """


class UnregisteredType(SerializationError, TypeError):
    """A value holds an instance of a type its :class:`MessageRegistry` does not name.

    Raised by :meth:`ValueCodec.encode` before any byte is written; the message
    names the type, where it sits in the value (for example
    ``Echo.payload[2]``) and the ``register`` call that allows it.
    """


class UndecodableValue(SerializationError, ValueError):
    """Bytes could not be turned back into a value; ``str()`` is the reason.

    Whatever the input (truncated, hostile, nested too deeply, of an unknown
    type tag, or of a shape its class refuses), decoding raises this and
    nothing else.
    """
