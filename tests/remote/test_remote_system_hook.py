"""The user-facing form: ActorSystem(cluster=NatsCluster(...)) and system.find()."""

from __future__ import annotations

import pytest

from actors import ActorSystem
from actors.remote import NatsCluster, RemoteActorRef
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import WAIT, Echo, Echoer, make_registry

pytestmark = pytest.mark.anyio


async def test_named_top_level_actors_are_found_from_another_system(
    nats_server: NatsServer,
) -> None:
    orders_node = NatsCluster(nats_server.url, node="orders-1", registry=make_registry())
    web_node = NatsCluster(nats_server.url, node="web-1", registry=make_registry())
    async with ActorSystem("shop", cluster=orders_node) as orders_system:
        orders = orders_system.spawn(Echoer, name="orders")  # reachable cluster-wide as "orders"
        assert await orders_system.find("orders") is orders
        async with ActorSystem("shop", cluster=web_node) as web_system:
            found = None
            # Registration runs in the background after spawn: look until it lands.
            for _ in range(200):
                try:
                    found = await web_system.find("orders")
                    break
                except LookupError:
                    await orders.ask(Echo("sync"), timeout=WAIT)
            assert isinstance(found, RemoteActorRef)
            assert await found.ask(Echo("receipt"), timeout=WAIT) == "receipt"


async def test_find_without_a_cluster_looks_at_top_level_actors() -> None:
    async with ActorSystem() as system:
        ref = system.spawn(Echoer, name="orders")
        assert await system.find("orders") is ref
        with pytest.raises(LookupError, match=r"^no live top-level actor is named 'nobody'$"):
            await system.find("nobody")
