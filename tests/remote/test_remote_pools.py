"""Pools across nodes: one NATS queue group, balanced, drained before a member stops."""

from __future__ import annotations

from collections import Counter
from typing import Any

import anyio
import pytest

from actors import Actor, ActorStopped
from actors.remote import ActorNotFound, NatsNode, PoolRef
from tests.actors.probe import Inbox
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import WAIT, Echo, OutOfStock, Ping, nodes

pytestmark = pytest.mark.anyio


class Member(Actor):
    """Records ``(node, number)`` for each ``Ping``; answers with its node's name.

    With a ``gate``, the first message waits for it: the member has a backlog.
    """

    def __init__(self, node: str, inbox: Inbox, gate: anyio.Event | None = None) -> None:
        self.node = node
        self.inbox = inbox
        self.gate = gate

    async def receive(self, message: Any) -> Any:
        if self.gate is not None:
            await self.gate.wait()
        if isinstance(message, Echo) and message.error == "OutOfStock":
            raise OutOfStock(message.text)
        if isinstance(message, Ping):
            self.inbox.record((self.node, message.number))
        return self.node


async def flushed(node: NatsNode) -> None:
    """Wait until everything ``node`` has sent so far has reached the server."""
    await node._outbound.wait_drained()
    if node._publisher is not None:  # on trio: handed to the client loop, now published
        await node._publisher.wait_published()
    await node.nc.flush()


async def test_messages_balance_across_members_on_several_nodes(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b", "c") as [
        (system_a, node_a),
        (system_b, node_b),
        (_, node_c),
    ]:
        inbox = Inbox()
        await node_a.join_pool("pricing", system_a.spawn(Member, "a", inbox, name="pricer"))
        await node_b.join_pool("pricing", system_b.spawn(Member, "b", inbox, name="pricer"))
        pool = node_c.pool("pricing")
        assert isinstance(pool, PoolRef)
        assert repr(pool) == "<PoolRef 'pricing'>"
        assert pool == node_c.pool("pricing")
        answers = Counter([await pool.ask(Ping(number), timeout=WAIT) for number in range(200)])
        assert set(answers) == {"a", "b"}  # both members served (2 ** -199 odds otherwise)
        for number in range(200, 400):
            pool.tell(Ping(number))
        received = await inbox.wait_for(400)
        assert sorted(number for _, number in received) == list(range(400))
        with pytest.raises(OutOfStock, match=r"^sku 9$"):
            await pool.ask(Echo("sku 9", error="OutOfStock"), timeout=WAIT)


async def test_a_pool_without_members_is_actor_not_found_at_once(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a") as [(system_a, node_a)]:
        with pytest.raises(ActorNotFound, match=r"^no node serves pool 'empty'"):
            await node_a.pool("empty").ask(Ping(1), timeout=WAIT)
        member = system_a.spawn(Member, "a", Inbox())
        await node_a.join_pool("empty", member)
        assert await node_a.pool("empty").ask(Ping(1), timeout=WAIT) == "a"
        await system_a.stop(member)  # a member that stops leaves its pools
        # Its subscription goes in the background: the stopped member or nobody.
        with pytest.raises(ActorStopped):
            await node_a.pool("empty").ask(Ping(2), timeout=WAIT)


async def test_a_member_that_leaves_drains_first_and_loses_nothing(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a", "b", "c") as [
        (system_a, node_a),
        (system_b, node_b),
        (_, node_c),
    ]:
        inbox = Inbox()
        gate = anyio.Event()
        steady = system_a.spawn(Member, "a", inbox, name="pricer")
        leaving = system_b.spawn(Member, "b", inbox, gate, name="pricer")
        await node_a.join_pool("pricing", steady)
        await node_b.join_pool("pricing", leaving)
        pool = node_c.pool("pricing")
        for number in range(1000):
            pool.tell(Ping(number))
        # Every message is now on its way to a or to b, where b's member is stuck
        # on its first: b has a backlog in its mailbox and in its subscription.
        await flushed(node_c)
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(node_b.leave_pool, "pricing", leaving)
            gate.set()
        assert not node_b.pools.members
        await system_b.stop(leaving)
        for number in range(1000, 2000):
            pool.tell(Ping(number))
        received = await inbox.wait_for(2000)
        assert sorted(number for _, number in received) == list(range(2000))  # once each
        assert {node for node, number in received if number >= 1000} == {"a"}
        assert any(node == "b" for node, _ in received)
