"""The errors of the remote layer, under the runtime's ``ActorError``."""

from __future__ import annotations

import math

from actors import ActorError, ActorStopped


class ActorNotFound(ActorStopped, LookupError):
    """No actor answers at a remote address, or no live actor holds a cluster-wide name.

    Raised at once by ``ask`` when nothing subscribes to the address (its node
    is gone) or the node has no actor at that path, and by ``find`` for a name
    that no live actor holds. A subclass of :class:`~actors.ActorStopped`, so
    code written for local refs handles it unchanged.
    """


class RemoteError(ActorError):
    """A remote handler raised an exception whose type is not in the message registry.

    Attributes:
        type_name: the qualified name of the original exception type.
        message: ``str()`` of the original exception.
    """

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message


class ClusterUnreachable(ActorError, ConnectionError):
    """A node could not join its NATS cluster; the message names the cause and the fix.

    Raised by ``NatsCluster.attach`` (so by entering ``ActorSystem(cluster=...)``)
    within ``NatsCluster.connect_timeout`` seconds when nothing listens at the
    URLs, the server refuses the node's credentials or its TLS handshake, or
    the server runs without JetStream.
    """


class NodeNameInUse(ActorError, ValueError):
    """Another live node of the cluster holds this node name (its lease has not expired)."""


class NameTaken(ActorError, ValueError):
    """Another live actor of the cluster already holds this cluster-wide name."""


def check_timeout(timeout: float | None) -> None:
    """Refuse an ask timeout that cannot mean anything, as a local ``ask`` does."""
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or math.isnan(timeout):
        raise TypeError(f"timeout must be a number of seconds or None (got {timeout!r})")
    if timeout <= 0:
        raise ValueError(
            f"timeout must be > 0 seconds, or None to wait without limit (got {timeout!r})"
        )
