"""The user-facing form: ActorSystem(cluster=NatsCluster(...)) and system.find()."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from actors import ActorRef, ActorSystem
from actors.remote import ActorNotFound, NatsCluster, RemoteActorRef
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
            # Registration runs in the background after spawn: find waits for it.
            found = await web_system.find("orders", timeout=WAIT)
            assert isinstance(found, RemoteActorRef)
            assert await found.ask(Echo("receipt"), timeout=WAIT) == "receipt"


async def test_find_without_a_cluster_looks_at_top_level_actors() -> None:
    async with ActorSystem() as system:
        ref = system.spawn(Echoer, name="orders")
        assert await system.find("orders") is ref
        with pytest.raises(LookupError, match=r"^no live top-level actor is named 'nobody'$"):
            await system.find("nobody")


async def test_find_with_a_timeout_waits_for_a_name_registered_later(
    nats_server: NatsServer,
) -> None:
    orders_node = NatsCluster(nats_server.url, node="orders-1", registry=make_registry())
    web_node = NatsCluster(nats_server.url, node="web-1", registry=make_registry())
    async with (
        ActorSystem("shop", cluster=orders_node) as orders_system,
        ActorSystem("shop", cluster=web_node) as web_system,
    ):
        found: list[ActorRef] = []
        async with anyio.create_task_group() as task_group:

            async def find() -> None:
                found.append(await web_system.find("late", timeout=WAIT))

            task_group.start_soon(find)
            await anyio.lowlevel.checkpoint()
            orders_system.spawn(Echoer, name="late")  # registered in the background
        [late] = found
        assert await late.ask(Echo("here"), timeout=WAIT) == "here"
        with pytest.raises(
            ActorNotFound,
            match=r"^no live actor holds the name 'nobody' in the cluster \(waited 0\.2 s\)$",
        ):
            await web_system.find("nobody", timeout=0.2)
