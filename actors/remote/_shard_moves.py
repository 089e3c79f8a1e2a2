"""Shard placement for moves: locating, handing over and releasing shards, and move notices.

The half of :class:`NatsPlacement` that ``actors.sharding``'s hand-offs use
(a graceful leave, a rebalancing round; see ``actors/sharding/_moves.py``).
A hand-off writes the shard's record over to the new owner by compare-and-set
on the old owner's revision (the fencing token), so the move needs no claim
race and no lease to run out: the record is valid as soon as it is written.
The notices between nodes travel to the ``/sharding/<type>`` endpoint as
``[kind, shards, node, token]``, in order behind the sender's envelopes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import msgspec
import nats.js.errors

from ._names import escape, tokens_of
from ._ref import CallbackRef
from ._shard_records import Owner, OwnerRecord, weight

if TYPE_CHECKING:
    from nats.js.kv import KeyValue

    from ._node import NatsNode
    from ._shard_endpoint import Endpoint, RoutedHandler

logger = logging.getLogger(__name__)


class ShardMovesMixin:
    """Moves and notices, for :class:`NatsPlacement` (which provides the attributes below)."""

    node: NatsNode
    _hosts: dict[str, tuple[float, list[Owner]]]
    _handlers: dict[str, RoutedHandler]

    if TYPE_CHECKING:  # provided by NatsPlacement

        async def _bucket(self) -> KeyValue: ...

        async def owner(self, type_name: str, shard: int) -> Owner | None: ...

        async def _live_hosts(self, type_name: str) -> list[Owner]: ...

        def _endpoint(self, path: str, handler: RoutedHandler) -> Endpoint: ...

        def lease_epoch(self) -> int: ...

        def tell(self, node: str, type_name: str, routed: Any) -> None: ...

    def serve(self, type_name: str, handler: RoutedHandler) -> None:
        """Serve ``handler`` at ``/sharding/<type_name>`` on this node (a host's, or a proxy's)."""
        path = f"/sharding/{type_name}"
        endpoint = self._endpoint(path, handler)
        # The inbound router resolves a path through this cache before the actor tree.
        listener = CallbackRef(f"{path}#endpoint", lambda _message: None)
        self.node.inbound._refs[tokens_of(path)] = (endpoint, listener)

    async def live_hosts(self, type_name: str) -> list[Owner]:
        """The live nodes hosting ``type_name`` (cached up to a lease time), this one included."""
        return await self._live_hosts(type_name)

    def preferred(self, type_name: str, shard: int, hosts: list[Owner]) -> Owner:
        """The host of ``hosts`` that ``shard`` prefers: the highest rendezvous weight."""
        return max(hosts, key=lambda host: weight(type_name, shard, host.node))

    async def locate(self, type_name: str, shard: int) -> Owner | None:
        """The shard's next owner, for a node that leaves: it claims nothing.

        A valid record of another node names it; one still naming this node
        is handed to the preferred other host; with no record, the preferred
        other host (which claims the shard when the message arrives). ``None``:
        no other live node hosts the type.
        """
        owner = await self.owner(type_name, shard)
        if owner is not None and owner.node != self.node.name:
            return owner
        hosts = [host for host in await self._live_hosts(type_name) if host.node != self.node.name]
        if not hosts:
            return None
        target = self.preferred(type_name, shard, hosts)
        if owner is None:
            return target
        moved = await self.transfer(type_name, shard, owner, target)
        return moved if moved is not None else await self.owner(type_name, shard)

    async def transfer(
        self, type_name: str, shard: int, owner: Owner, to: Owner | None
    ) -> Owner | None:
        """Write the shard's record over from ``owner`` to ``to`` (``None``: release it).

        Compare-and-set on ``owner.revision``: ``None`` if the record changed
        since (someone else owns the shard now; the caller resolves it again).
        """
        kv = await self._bucket()
        key = f"{escape(type_name)}.shard.{shard}"
        # A released record names no node: no lease holds it, so the next claim wins it.
        node, incarnation = ("", "") if to is None else (to.node, to.incarnation)
        value = msgspec.msgpack.encode(OwnerRecord(node, incarnation))
        try:
            revision = await kv.update(key, value, last=owner.revision)
        except nats.js.errors.KeyWrongLastSequenceError:
            return None
        if to is None:
            return None
        return Owner(to.node, to.incarnation, revision, self.lease_epoch())

    async def withdraw(self, type_name: str) -> None:
        """This node stops hosting ``type_name``: its host record goes, so no one prefers it."""
        kv = await self._bucket()
        await kv.delete(f"{escape(type_name)}.host.{self.node.name}")
        self.forget_host(type_name, self.node.name)

    def forget_host(self, type_name: str, node: str) -> None:
        """Drop ``node`` from the cached hosts of ``type_name`` (it leaves)."""
        cached = self._hosts.get(type_name)
        if cached is not None:
            self._hosts[type_name] = (cached[0], [host for host in cached[1] if host.node != node])

    def control(self, node: str, type_name: str, message: list[Any]) -> None:
        """Tell a move's notice to ``node``'s endpoint for ``type_name``."""
        self.tell(node, type_name, message)

    async def leave_all(self) -> None:
        """This node leaves: every region here hands its shards off (``NatsNode.drain``)."""
        for type_name, handler in list(self._handlers.items()):
            try:
                await handler.leave()
            except Exception:  # one type's failed hand-off must not keep the others
                logger.exception("sharding: %s could not hand its shards off", type_name)
