"""Helpers for the remote tests: message types, small actors, and two nodes on one server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import nats
from attrs import frozen

from actors import Actor, ActorRef, ActorSystem
from actors.remote import MessageRegistry, NatsCluster, NatsNode, attach_cluster
from actors.remote._bridge import Hosted, Proxy, hosted_needed
from tests.actors.probe import Inbox

WAIT = 10.0  # seconds before a wait fails the test instead of hanging it


@frozen
class Ping:
    """A numbered message."""

    number: int


@frozen
class Echo:
    """Asks the echo actor to return ``text``, or to raise ``error`` (a type name)."""

    text: str
    error: str | None = None


@frozen
class ReplyTo:
    """Asks the receiver to tell ``Ping(number)`` to ``to``: a reply-to protocol."""

    to: ActorRef
    number: int


@frozen
class Entry:
    """A ledger entry for the durable-mailbox tests; ``number`` is also its message id."""

    number: int


@frozen
class Unregistered:
    """A message type that no registry knows."""

    value: int


class OutOfStock(Exception):
    """A user exception type, registered for the wire."""


class NotRegistered(Exception):
    """A user exception type that no registry knows."""


def make_registry() -> MessageRegistry:
    registry = MessageRegistry()
    registry.register(Ping, Echo, ReplyTo, Entry)
    registry.register_error(OutOfStock)
    return registry


class Echoer(Actor):
    """Answers ``Echo`` with its text, or raises the named error; serves ``ReplyTo``."""

    def receive(self, message: Any) -> Any:
        if isinstance(message, Echo):
            if message.error == "OutOfStock":
                raise OutOfStock(message.text)
            if message.error == "NotRegistered":
                raise NotRegistered(message.text)
            if message.error == "ValueError":
                raise ValueError(message.text)
            return message.text
        if isinstance(message, ReplyTo):
            message.to.tell(Ping(message.number))
            return None
        return message


class Watcher(Actor):
    """Watches the ref it is told, and records what it receives."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def receive(self, message: Any) -> Any:
        if isinstance(message, ActorRef):
            self.context.watch(message)
            return "watching"
        self.inbox.record(message)
        return None


class Parked(Actor):
    """Never answers before ``release`` is set."""

    def __init__(self, release: anyio.Event) -> None:
        self.release = release

    async def receive(self, message: Any) -> Any:
        await self.release.wait()
        return message


@asynccontextmanager
async def nodes(
    url: str, *names: str, cluster: str = "shop", **options: Any
) -> AsyncIterator[list[tuple[ActorSystem, NatsNode]]]:
    """Several systems of one cluster in this process, each attached as its own node."""
    async with AsyncExitStack() as stack:
        attached = []
        for name in names:
            system = await stack.enter_async_context(ActorSystem(cluster, shutdown_timeout=5))
            config = NatsCluster(url, node=name, registry=make_registry(), **options)
            node = await stack.enter_async_context(attach_cluster(system, config))
            attached.append((system, node))
        yield attached


async def crash(node: NatsNode) -> None:
    """End a node as a crash would: no goodbye, its lease is left to expire."""
    node._scope.cancel()
    await node.nc.close()


class _HostedClient(Proxy):
    """A plain nats-py client hosted on its own loop thread; ``close`` ends the thread too."""

    __slots__ = ()

    async def close(self) -> None:
        try:
            await self._hosted.call(self._target.close)
        finally:
            await self._hosted.close()


async def raw_connect(url: str, **options: Any) -> Any:
    """A plain nats-py client on either backend (a hostile or foreign client in tests).

    On asyncio, ``nats.connect`` itself; on trio, the client runs on its own
    asyncio loop in a thread, as the node's does, and is used through a proxy.
    """
    if not hosted_needed():
        return await nats.connect(url, **options)
    hosted = Hosted()
    try:
        return _HostedClient(hosted, await hosted.call(nats.connect, url, **options))
    except BaseException:
        await hosted.close()
        raise
