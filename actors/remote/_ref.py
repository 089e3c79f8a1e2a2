"""``RemoteActorRef``: the same ``ActorRef`` interface, delivered over NATS."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, overload

from actors import ActorRef, ActorStatistics, ReplyTypeMismatch, Request

from ._names import Address
from ._type_parameters import M_contra, R

if TYPE_CHECKING:
    from ._node import NatsNode


class Target(ActorRef[M_contra]):
    """A ref whose messages go to one NATS subject: an actor's, or a pool's queue group."""

    __slots__ = ()

    @property
    @abc.abstractmethod
    def subject(self) -> str:
        """The subject that messages for this ref are published on."""

    @property
    @abc.abstractmethod
    def where(self) -> str:
        """How errors name this ref (``node:path``, or ``pool name``)."""


class RemoteActorRef(Target[M_contra]):
    """A ref to an actor on another node of the cluster.

    ``tell`` publishes (at most once, in order per sender); ``ask`` is a NATS
    request whose reply is the handler's result or exception; ``watch``
    delivers ``Terminated`` when the actor stops or its node's lease expires.
    Two remote refs are equal when they name the same node and path.
    Obtain one with ``find``, or by receiving a ref inside a message.
    """

    __slots__ = ("_address", "_node", "_subject")

    def __init__(self, node: NatsNode, address: Address) -> None:
        self._node = node
        self._address = address
        self._subject = node.subjects.actor(address)

    @property
    def path(self) -> str:
        return self._address.path

    @property
    def address(self) -> Address:
        """The node and path this ref points at."""
        return self._address

    @property
    def subject(self) -> str:
        return self._subject

    @property
    def where(self) -> str:
        return str(self._address)

    def tell(self, message: M_contra) -> None:
        """Publish ``message`` (at most once; never blocks).

        A message the outbound buffer has no room for, or one larger than the
        configured maximum, becomes a :class:`~actors.DeadLetter` here.

        Raises:
            TypeError: the message's type is not registered for the wire.
        """
        self._node.publish(self, message)

    async def send(self, message: M_contra) -> None:
        """Publish ``message``, waiting while the outbound buffer is full (backpressure)."""
        await self._node.publish_waiting(self, message)

    @overload
    async def ask(self, message: Request[R], *, timeout: float | None = None) -> R: ...
    @overload
    async def ask(
        self, message: Request[Any], *, timeout: float | None = None
    ) -> ReplyTypeMismatch: ...
    @overload
    async def ask(self, message: M_contra, *, timeout: float | None = None) -> Any: ...
    async def ask(self, message: Any, *, timeout: float | None = None) -> Any:
        """Send a request and wait for the reply (see :meth:`actors.ActorRef.ask`).

        Raises:
            ActorNotFound: at once, when no node serves the address or the
                node has no actor at that path; or when the node leaves or
                dies (its lease ends) before answering.
            TimeoutError: no reply within ``timeout``; the request may still
                be handled, and its reply is discarded.
            Exception: what the remote handler raised, with its own type when
                that type is registered, else as :class:`RemoteError`.
        """
        return await self._node.requests.request(self, message, timeout)

    def statistics(self) -> ActorStatistics:
        """Not available for a remote actor; read it on its own node."""
        raise NotImplementedError(
            f"statistics() of {self._address} is kept by its own node; call it there"
        )

    def _watch(self, watcher: ActorRef) -> None:
        self._node.membership.watch(self, watcher)

    def _unwatch(self, watcher: ActorRef) -> None:
        self._node.membership.unwatch(self, watcher)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RemoteActorRef):
            return NotImplemented
        return self._address == other._address and self._node is other._node

    def __hash__(self) -> int:
        return hash(self._address)

    def __repr__(self) -> str:
        return f"<RemoteActorRef {self._address}>"


class CallbackRef(ActorRef):
    """An internal ref whose ``tell`` calls a function: how the node learns of terminations."""

    __slots__ = ("_callback", "_path")

    def __init__(self, path: str, callback: Any) -> None:
        self._path = path
        self._callback = callback

    @property
    def path(self) -> str:
        return self._path

    def tell(self, message: object) -> None:
        self._callback(message)

    async def send(self, message: object) -> None:
        self._callback(message)

    async def ask(self, message: object, *, timeout: float | None = None) -> Any:
        raise TypeError(f"{self._path} is the runtime's own listener; it answers no ask")

    def statistics(self) -> ActorStatistics:
        raise NotImplementedError(f"{self._path} is the runtime's own listener")

    def _watch(self, watcher: ActorRef) -> None:
        raise TypeError(f"{self._path} is the runtime's own listener; it cannot be watched")

    def _unwatch(self, watcher: ActorRef) -> None:
        return None
