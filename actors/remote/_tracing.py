"""Trace context over NATS: an instrumentation's carrier as message headers, and back.

When the sending system has instrumentation, each remote message carries what
``Instrumentation.on_send`` returned, made in the sender's context, as NATS
headers: every key of the carrier prefixed with ``Anyactors-Trace-`` (so
``traceparent`` travels as ``Anyactors-Trace-traceparent``). The prefix keeps
the carrier apart from the headers NATS and JetStream use (``Nats-Msg-Id``,
``Status``, ...), whatever propagator made it, and tells the receiver exactly
which headers to hand back. A carrier that is not a mapping of strings, or
whose keys or values cannot be header names and values, is not sent (logged
once, at debug). The receiving node rebuilds the carrier from those headers
and delivers with it, so the receiving actor's handling continues the trace.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actors import ActorRef, ActorSystem, Instrumentation

logger = logging.getLogger(__name__)

#: What every carrier key is prefixed with in the NATS headers.
PREFIX = "Anyactors-Trace-"

#: The carrier of a message that arrived without one: no context from the sender,
#: so an instrumented receiver starts a new trace (whatever context its NATS
#: callback happens to run in).
NO_CONTEXT: Mapping[str, str] = MappingProxyType({})

# What nats-py accepts as a header name (an HTTP token).
_KEY = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class Tracing:
    """The sending side of trace propagation, for one instrumented system.

    A node makes one only when its system has instrumentation
    (:func:`tracing_of`), and picks its sending functions once accordingly,
    so an uninstrumented system's send path is unchanged.
    """

    __slots__ = ("_instrumentation", "_logged")

    def __init__(self, instrumentation: Instrumentation) -> None:
        self._instrumentation = instrumentation
        self._logged = False

    def headers(
        self, target: ActorRef, message: object, base: dict[str, str] | None = None
    ) -> dict[str, str] | None:
        """The NATS headers for ``message`` to ``target``: ``base`` plus the sender's carrier.

        Call it in the sender's context (before any await). Returns ``base``
        unchanged when there is nothing to carry.
        """
        carrier = self._instrumentation.on_send(target, message)
        if carrier is None:
            return base
        if isinstance(carrier, Mapping):
            headers = {} if base is None else dict(base)
            for key, value in carrier.items():
                if not (isinstance(key, str) and isinstance(value, str) and _fits(key, value)):
                    break
                headers[PREFIX + key] = value
            else:
                return headers or None
        if not self._logged:
            self._logged = True
            logger.debug(
                "trace carriers are not sent over NATS: %r is not a mapping of header-safe "
                "strings (further ones are not logged)",
                carrier,
            )
        return base


def _fits(key: str, value: str) -> bool:
    return (
        _KEY.fullmatch(key) is not None
        and "\r" not in value
        and "\n" not in value
        and value == value.strip()
    )


def tracing_of(system: ActorSystem) -> Tracing | None:
    """A :class:`Tracing` for ``system``, or ``None`` when it has no instrumentation."""
    instrumentation = system.instrumentation
    return None if instrumentation is None else Tracing(instrumentation)


def carrier_of(headers: Mapping[str, str] | None) -> Mapping[str, str]:
    """The carrier rebuilt from a received message's headers (:data:`NO_CONTEXT` if none)."""
    if not headers:
        return NO_CONTEXT
    start = len(PREFIX)
    carrier = {key[start:]: value for key, value in headers.items() if key.startswith(PREFIX)}
    return carrier or NO_CONTEXT
