"""Cluster-wide names, membership leases and remote death watch."""

from __future__ import annotations

import pytest

from actors import Terminated
from actors.remote import ActorNotFound, NameTaken, NodeNameInUse, RemoteActorRef
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import WAIT, Echo, Echoer, Ping, Watcher, crash, nodes

pytestmark = pytest.mark.anyio


async def wait_until_gone(node: object, name: str) -> None:
    """Wait for the registry entry of ``name`` to be deleted, by watching its key."""
    from actors.remote import NatsNode
    from actors.remote._names import escape

    assert isinstance(node, NatsNode)
    watcher = await node.registry.kv.watch(escape(name))
    try:
        async for entry in watcher:
            if entry is not None and entry.operation in ("DEL", "PURGE"):
                return
            if entry is None:
                try:
                    await node.registry.kv.get(escape(name))
                except Exception:
                    return
    finally:
        await watcher.stop()  # type: ignore[no-untyped-call]


async def test_find_resolves_a_name_held_on_another_node(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "orders-1", "web-1") as [(system_a, node_a), (_, node_b)]:
        orders = system_a.spawn(Echoer, name="orders")
        await node_a.register(orders)
        found = await node_b.find("orders")
        assert isinstance(found, RemoteActorRef)
        assert str(found.address) == "orders-1:/user/orders"
        assert await found.ask(Echo("receipt"), timeout=WAIT) == "receipt"
        assert await node_a.find("orders") is orders  # at home, the local ref itself
        with pytest.raises(
            ActorNotFound, match=r"^no live actor holds the name 'nobody' in the cluster$"
        ):
            await node_b.find("nobody")


async def test_one_name_has_one_live_actor(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, node_a), (system_b, node_b)]:
        await node_a.register(system_a.spawn(Echoer, name="ledger"))
        with pytest.raises(
            NameTaken,
            match=r"^the name 'ledger' is held by /user/ledger on node a; stop that actor first or choose another name$",
        ):
            await node_b.register(system_b.spawn(Echoer, name="ledger"))
        # Names are escaped into keys: dots and wildcards are just characters.
        odd = system_b.spawn(Echoer, name="a.b*>")
        await node_b.register(odd)
        assert (await node_a.find("a.b*>")).path == "/user/a.b*>"


async def test_the_name_goes_away_when_its_actor_stops(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, node_a), (_, node_b)]:
        ledger = system_a.spawn(Echoer, name="ledger")
        await node_a.register(ledger)
        await system_a.stop(ledger)
        await wait_until_gone(node_b, "ledger")
        with pytest.raises(ActorNotFound):
            await node_b.find("ledger")
        # The name is free again, for an actor on another node.
        _, system_b = None, node_b.system
        await node_b.register(system_b.spawn(Echoer, name="ledger"))


async def test_watch_delivers_terminated_when_a_remote_actor_stops(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, node_a), (system_b, node_b)]:
        target = system_a.spawn(Echoer, name="target")
        await node_a.register(target)
        remote = await node_b.find("target")
        inbox = Inbox()
        watcher = system_b.spawn(Watcher, inbox)
        assert await watcher.ask(remote, timeout=WAIT) == "watching"
        # The watch request went out before this ask, and node a handles its
        # subject in order: once the reply is here, the watch is in place.
        assert await remote.ask(Echo("sync"), timeout=WAIT) == "sync"
        await system_a.stop(target)
        [terminated] = await inbox.wait_for(1)
        assert terminated == Terminated(remote)


async def test_watching_an_actor_that_is_gone_delivers_terminated_at_once(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a", "b") as [_, (system_b, node_b)]:
        from actors.remote import Address

        inbox = Inbox()
        watcher = system_b.spawn(Watcher, inbox)
        missing = node_b.ref_at(Address("a", "/user/never-was"))
        unknown_node = node_b.ref_at(Address("zz", "/user/x"))
        await watcher.ask(missing, timeout=WAIT)
        await watcher.ask(unknown_node, timeout=WAIT)
        received = await inbox.wait_for(2)
        assert set(received) == {Terminated(missing), Terminated(unknown_node)}


async def test_a_dead_node_is_detected_by_its_lease(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b", lease_ttl=1.0) as [
        (system_a, node_a),
        (system_b, node_b),
    ]:
        target = system_a.spawn(Recorder, Inbox(), name="target")
        await node_a.register(target)
        remote = await node_b.find("target")
        inbox = Inbox()
        watcher = system_b.spawn(Watcher, inbox)
        await watcher.ask(remote, timeout=WAIT)
        await crash(node_a)
        [terminated] = await inbox.wait_for(1)
        assert terminated == Terminated(remote)
        await wait_until_gone(node_b, "target")
        with pytest.raises(ActorNotFound):
            await node_b.find("target")
        remote.tell(Ping(1))  # a tell to a dead node is lost, never an error


async def test_a_node_name_is_held_by_one_live_node(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", lease_ttl=1.0):
        with pytest.raises(
            NodeNameInUse,
            match=r"^node name 'a' is held by a live node of cluster 'shop' \(its lease was still refreshed after waiting 2 s\); a crashed node's name is free 1 s \(lease_ttl\) after its last refresh, so retry after that, or give each process its own node name$",
        ):
            async with nodes(nats_server.url, "a", lease_ttl=1.0):
                pass  # pragma: no cover
