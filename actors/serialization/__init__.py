"""Values to bytes and back through an explicit type registry: never pickle.

The one serialization of anyactors, shared by the NATS wire format
(``actors.remote``) and the journals (``actors.persistence``). Needs msgspec
(the ``persistence`` or ``nats`` extra), not NATS.
"""

try:
    import msgspec  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on what is installed
    raise ImportError(
        "actors.serialization needs msgspec (the persistence extra): "
        "pip install 'anyactors[persistence]'"
    ) from error

from ._codec import ValueCodec as ValueCodec
from ._errors import SerializationError as SerializationError
from ._errors import UndecodableValue as UndecodableValue
from ._errors import UnregisteredType as UnregisteredType
from ._flat import VALUE_EXT as VALUE_EXT
from ._registry import MessageRegistry as MessageRegistry
from ._registry import Registration as Registration

__all__ = [
    "VALUE_EXT",
    "MessageRegistry",
    "Registration",
    "SerializationError",
    "UndecodableValue",
    "UnregisteredType",
    "ValueCodec",
]
