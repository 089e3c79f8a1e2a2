"""Shards moving while their owner lives: a graceful leave, a rebalancing round, their notices.

A *hand-off* moves shards away from this node, their owner, without losing a
message, in the manner of Akka's ``BeginHandOff``/``HandOff``:

1. The shards' messages are held here from now on (bounded, see
   ``MoveLimits``), and every other node hosting the type (and, when this
   node leaves, every node that routes through it) is told ``$begin``. Each
   holds its own messages for those shards and answers ``$ack`` through this
   node's endpoint: behind anything it sent here before, so once every
   answer is in (or a lease time has passed), no message of theirs for the
   shards is still on its way here.
2. Each activation of the shards handles what its mailbox holds, then stops
   (a persistent entity recovers from the journal on the new owner).
3. The ownership record is handed to the new owner by compare-and-set on its
   revision (the fencing token), so no claim race and no lease to wait out.
4. The held messages go, in order, to the new owner; ``$done`` tells the
   other nodes to look the owner up again and send what they held.

Messages of one sender keep their order across a move: whatever it sent
before the notice reaches the new owner through this node, before ``$done``
lets it send the rest there directly. A node that leaves hands off every
shard it owns and then only relays what still reaches it, until its lease ends.
"""

from __future__ import annotations

import logging
import uuid
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio

from ._errors import ShardingError
from ._events import ShardClaimed, ShardHandedOff
from ._limits import shards_to_move
from ._region_hand_off import hand_off_entity

if TYPE_CHECKING:
    from ._routing import ClusterRouting

logger = logging.getLogger(__name__)

#: A node is about to hand shards off: hold your messages for them, and answer ``$ack``.
BEGIN = "$begin"
#: The answer to ``$begin``, sent behind everything the answering node sent before.
ACK = "$ack"
#: The hand-off is over: look the owner up again, and send what you held.
DONE = "$done"
#: A node that does not host the type routes through this one (it is told when this one leaves).
PROXY = "$proxy"
#: In a ``$begin``: every shard of the sender, which also stops hosting the type (it leaves).
EVERY_SHARD = -1
#: Rounds of hand-offs a leaving node runs for shards it claimed while handing others off.
LEAVE_ROUNDS = 3


class ShardMoves:
    """The moves of one entity type on one node: hand-offs of its shards, notices of others'."""

    def __init__(self, routing: ClusterRouting) -> None:
        self._routing = routing
        #: The shards this node owns, as its routing learned them (claimed, or handed to it).
        self.owned: set[int] = set()
        #: The shards being handed off from here now.
        self.moving: set[int] = set()
        #: Nodes without the type that route through this one.
        self.proxies: set[str] = set()
        self._acks: dict[str, tuple[set[str], anyio.Event]] = {}
        self._notices: dict[str, anyio.Event] = {}

    @property
    def _me(self) -> str:
        return self._routing.placement.node_name

    # -- this node's shards ------------------------------------------------------------

    def resolved(self, key: int, owner: Any) -> None:
        """A resolution ended with ``owner``: note a shard that became this node's."""
        routing = self._routing
        placement = routing.placement
        if routing.region is None:
            # A proxy: its host tells it when it leaves.
            placement.control(owner.node, routing.type_name, [PROXY, [], self._me, ""])
            return
        if placement.is_me(owner) and key not in self.owned:
            self.owned.add(key)
            routing.system.event_stream.publish(
                ShardClaimed(type_name=routing.type_name, shard=key, node=self._me)
            )

    def fenced(self) -> None:
        """This node's lease went stale: it owns what its routing still trusts, nothing more."""
        self.owned = {key for key in self.owned if self._routing.owner_of_shard(key) is not None}

    async def hand_off(self, moves: list[tuple[int, Any]], *, leaving: bool) -> None:
        """Hand each ``(shard, target host)`` off (``None``: release it, no other host).

        Returns once every shard was handed off and the other nodes were told
        ``$done``. A shard whose record changed hands meanwhile, or could not
        be written, is resolved again instead (its messages are not lost).
        """
        routing = self._routing
        placement = routing.placement
        type_name = routing.type_name
        me = self._me
        peers = {host.node for host in await placement.live_hosts(type_name)} - {me}
        if leaving:
            peers |= self.proxies
        token = f"{me}:{uuid.uuid4().hex}"
        acked = anyio.Event()
        silent = set(peers)  # the peers that have not answered yet
        if peers:
            self._acks[token] = (silent, acked)
        else:
            acked.set()
        for shard, target in moves:
            owner = routing.owner_of_shard(shard)
            self.moving.add(shard)
            finder = partial(self._hand_off_one, shard, owner, target, acked, silent)
            routing.resolve_with(shard, finder)
        notice = [EVERY_SHARD] if leaving else [shard for shard, _ in moves]
        for peer in sorted(peers):
            placement.control(peer, type_name, [BEGIN, notice, me, token])
        try:
            for shard, _ in moves:
                await routing.wait_resolved(shard)
        finally:
            self._acks.pop(token, None)
            for peer in sorted(peers):
                placement.control(peer, type_name, [DONE, [], me, token])

    async def _hand_off_one(
        self, shard: int, owner: Any, target: Any, acked: anyio.Event, silent: set[str]
    ) -> tuple[Any, ShardingError | None]:
        routing = self._routing
        placement = routing.placement
        type_name = routing.type_name
        moved = None
        try:
            with anyio.move_on_after(placement.lease_ttl):
                await acked.wait()  # past it, a silent node is taken for gone
            if target is not None and target.node in silent and not routing.leaving:
                # Never hand a shard to a node that did not answer (it may have just died):
                # the move is called off before anything stopped, and tried again later.
                logger.warning(
                    "sharding: %s shard %d stays: node %s did not answer",
                    type_name,
                    shard,
                    target.node,
                )
                return (
                    (owner, None)
                    if owner is not None
                    else await routing.find(shard, forwarded=False)
                )
            region = routing.region
            assert region is not None
            async with anyio.create_task_group() as task_group:
                for entity_id in region.active_entities:
                    if region.shard_of(entity_id) == shard:
                        task_group.start_soon(hand_off_entity, region, entity_id)
            if owner is not None:
                moved = await placement.transfer(type_name, shard, owner, target)
        except Exception as error:  # a NATS error: the shard is resolved as usual instead
            logger.warning("sharding: handing %s shard %d off: %r", type_name, shard, error)
        finally:
            self.moving.discard(shard)
        if moved is None and target is not None:
            return await routing.find(shard, forwarded=False)
        self.owned.discard(shard)
        routing.system.event_stream.publish(
            ShardHandedOff(
                type_name=type_name, shard=shard, node="" if target is None else target.node
            )
        )
        if target is None:
            return None, ShardingError(
                f"shard {shard} of entity type {type_name!r} was released by node {self._me!r}, "
                "the last one hosting it, as it left; start the type on a node to reach it"
            )
        return moved, None

    async def leave(self) -> None:
        """Hand every shard this node owns to its next preferred host; claim none from now on."""
        routing = self._routing
        placement = routing.placement
        type_name = routing.type_name
        routing.leaving = True
        try:
            await placement.withdraw(type_name)
        except Exception as error:  # the others learn it from the notices, or the lease
            logger.warning("sharding: withdrawing host %s of %s: %r", self._me, type_name, error)
        for round_number in range(LEAVE_ROUNDS):
            for key in routing.resolving_shards():
                await routing.wait_resolved(key)  # a claim under way ends where it ends
            owned = sorted(self.owned)
            if round_number and not owned:
                break
            hosts = [
                host for host in await placement.live_hosts(type_name) if host.node != self._me
            ]
            moves = [
                (shard, placement.preferred(type_name, shard, hosts) if hosts else None)
                for shard in owned
            ]
            await self.hand_off(moves, leaving=True)
        # Asks that came through here before the others learned: their answers go back first.
        await routing.wait_routed_asks()

    async def rebalance_forever(self) -> None:
        """Every ``rebalance_interval``, hand a bounded number of shards to their preferred hosts.

        A shard's preferred host is the live host with the highest rendezvous
        weight for it, so a node that joins is preferred for its fair share of
        shards: their owners hand them to it, at most
        ``MoveLimits.moves_per_round`` each round, one round at a time.
        Ends when the node leaves (a region restarting only skips rounds).
        """
        routing = self._routing
        region = routing.region
        assert region is not None
        placement = routing.placement
        type_name = routing.type_name
        while not routing.leaving:
            limits = region.limits
            await anyio.sleep(limits.rebalance_interval or placement.lease_ttl)
            if region.closed or routing.leaving or not placement.lease_fresh():
                continue
            try:
                hosts = await placement.live_hosts(type_name)
                by_node = {host.node: host for host in hosts}
                if self._me not in by_node or routing.leaving:
                    continue
                candidates = [key for key in self.owned if not routing.resolving(key)]
                chosen = shards_to_move(
                    candidates,
                    partial(self._preferred_node, hosts),
                    self._me,
                    limits.moves_per_round(region.shards),
                )
                if chosen:
                    logger.info("sharding: moving %s shards %s", type_name, chosen)
                    await self.hand_off(
                        [(shard, by_node[node]) for shard, node in chosen], leaving=False
                    )
            except Exception as error:  # a NATS error: try again next round
                logger.warning("sharding: rebalancing %s: %r", type_name, error)

    def _preferred_node(self, hosts: list[Any], shard: int) -> str:
        routing = self._routing
        return str(routing.placement.preferred(routing.type_name, shard, hosts).node)

    # -- other nodes' moves ----------------------------------------------------------

    def on_control(self, kind: str, shards: list[int], node: str, token: str) -> None:
        """A notice from ``node``'s moves (or a proxy's registration) reached this node."""
        if kind == BEGIN:
            self._begin(node, shards, token)
        elif kind == ACK:
            waiting = self._acks.get(token)
            if waiting is not None:
                waiting[0].discard(node)
                if not waiting[0]:
                    waiting[1].set()
        elif kind == DONE:
            done = self._notices.pop(token, None)
            if done is not None:
                done.set()
        elif kind == PROXY:
            self.proxies.add(node)
        else:
            logger.warning("sharding: unknown notice %r from node %s", kind, node)

    def _begin(self, node: str, shards: list[int], token: str) -> None:
        routing = self._routing
        placement = routing.placement
        if shards == [EVERY_SHARD]:
            placement.forget_host(routing.type_name, node)
            keys = routing.shards_owned_by(node)
        elif routing.region is not None:
            keys = list(shards)
        else:
            keys = []  # a proxy routes through a host, not by shard
        keys = [key for key in keys if not routing.resolving(key)]
        if keys:
            done = self._notices[token] = anyio.Event()
            for key in keys:
                routing.resolve_with(key, partial(self._after_move, key, done, token))
        # Behind every message this node sent ``node`` before: see the module's docstring.
        placement.control(node, routing.type_name, [ACK, [], self._me, token])

    async def _after_move(
        self, key: int, done: anyio.Event, token: str
    ) -> tuple[Any, ShardingError | None]:
        with anyio.move_on_after(2 * self._routing.placement.lease_ttl):
            await done.wait()  # past it, the mover is taken for gone: its lease decides
        self._notices.pop(token, None)
        return await self._routing.find(key, forwarded=False)
