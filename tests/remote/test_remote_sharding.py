"""Cluster sharding over a real nats-server: three nodes of one cluster in this process."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
import pytest

from actors import ActorSystem, DeadLetter
from actors.remote import Address, NatsCluster, NatsNode
from actors.sharding import EntityRef, ShardingError
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import WAIT, make_registry
from tests.sharding.entities import Counter

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def cluster_systems(
    url: str, *names: str, lease_ttl: float = 4.0
) -> AsyncIterator[list[ActorSystem]]:
    """Nodes of one cluster in this process.

    Their lease is longer than the tests need by default: a node busy with a
    thousand asks on a loaded machine may not renew a short lease in time,
    and then rightly fences itself, which is not what those tests are about.
    """
    async with AsyncExitStack() as stack:
        systems = []
        for name in names:
            cluster = NatsCluster(url, node=name, registry=make_registry(), lease_ttl=lease_ttl)
            system = ActorSystem("shop", cluster=cluster, shutdown_timeout=5)
            systems.append(await stack.enter_async_context(system))
        yield systems


async def test_concurrent_first_messages_from_every_node_meet_one_activation_each(
    nats_server: NatsServer,
) -> None:
    async with cluster_systems(nats_server.url, "a", "b", "c") as systems:
        inboxes = [Inbox() for _ in systems]
        regions = [
            await system.start_sharding("counter", Counter, inbox, shards=16)
            for system, inbox in zip(systems, inboxes, strict=True)
        ]
        ids = [f"id-{index}" for index in range(50)]
        replies: list[int] = []

        async def ask(system: ActorSystem, entity_id: str, number: int) -> None:
            replies.append(await system.entity("counter", entity_id).ask(number, timeout=WAIT))

        async with anyio.create_task_group() as task_group:
            for number in range(1000):
                task_group.start_soon(ask, systems[number % 3], ids[number % 50], number)
        # Each entity was activated exactly once, in the whole cluster ...
        assert sum(region.activations for region in regions) == 50
        activated = [entity for region in regions for entity in region.active_entities]
        assert sorted(activated) == sorted(ids)
        # ... every message was handled exactly once, each entity counted its 20.
        handled = [record for inbox in inboxes for record in inbox.messages]
        assert sorted(number for _, number in handled) == list(range(1000))
        assert Tally(entity for entity, _ in handled) == dict.fromkeys(ids, 20)
        assert sorted(replies) == sorted(list(range(1, 21)) * 50)
        # ... and on the node owning its shard.
        for region in regions:
            assert region.routing is not None
            for entity_id in region.active_entities:
                owner = region.routing.owner_of(entity_id)
                assert owner is not None
                assert owner.node == region.system._cluster_node.name  # type: ignore[union-attr]


async def test_tells_from_one_sender_arrive_in_order_and_refs_work_off_hosts(
    nats_server: NatsServer,
) -> None:
    async with cluster_systems(nats_server.url, "a", "b", "c") as [host_a, host_b, client]:
        inboxes = [Inbox(), Inbox()]
        await host_a.start_sharding("counter", Counter, inboxes[0], shards=4)
        await host_b.start_sharding("counter", Counter, inboxes[1], shards=4)
        # Node c hosts nothing: its entity refs go through a host to the owner.
        for entity_id in ("x", "y"):
            ref = client.entity("counter", entity_id)
            assert isinstance(ref, EntityRef)
            for number in range(100):
                ref.tell(number)
            assert await ref.ask(100, timeout=WAIT) == 101
        handled = [record for inbox in inboxes for record in inbox.messages]
        for entity_id in ("x", "y"):
            assert [n for e, n in handled if e == entity_id] == list(range(101))


async def test_a_node_with_another_shard_count_is_refused(nats_server: NatsServer) -> None:
    async with cluster_systems(nats_server.url, "a", "b") as [system_a, system_b]:
        await system_a.start_sharding("counter", Counter, Inbox(), shards=16)
        with pytest.raises(
            ShardingError,
            match=r"^every node must shard entity type 'counter' alike, and node 'a' hosts "
            r"it with shards=16 \(got shards=8\); start it with shards=16 here",
        ):
            await system_b.start_sharding("counter", Counter, Inbox(), shards=8)
        # The refusal left nothing behind: it can start again with the agreed count.
        region = await system_b.start_sharding("counter", Counter, Inbox(), shards=16)
        assert await region.entity("z").ask("hello", timeout=WAIT) == 1


async def test_a_type_that_no_node_hosts_fails_asks_and_dead_letters_tells(
    nats_server: NatsServer,
) -> None:
    # Short leases: a type is known to have no host after two lease times.
    async with cluster_systems(nats_server.url, "a", lease_ttl=1.5) as [system]:
        letters = Inbox()
        system.event_stream.subscribe(system.spawn(Recorder, letters), DeadLetter)
        ghost = system.entity("ghost", "g1")  # no node hosts "ghost": a proxy's ref
        ghost.tell(1)
        [letter] = await letters.wait_for(1)
        assert letter.message == 1
        assert letter.recipient == ghost
        assert letter.reason.startswith("no live node hosts entity type 'ghost'; start it with")
        with pytest.raises(ShardingError, match=r"^no live node hosts entity type 'ghost'"):
            await ghost.ask(2, timeout=WAIT)


async def test_a_malformed_envelope_at_a_region_endpoint_is_a_dead_letter(
    nats_server: NatsServer,
) -> None:
    async with cluster_systems(nats_server.url, "a", "b") as [system_a, system_b]:
        await system_a.start_sharding("counter", Counter, Inbox(), shards=4)
        letters = Inbox()
        system_a.event_stream.subscribe(system_a.spawn(Recorder, letters), DeadLetter)
        node_b = system_b._cluster_node
        assert isinstance(node_b, NatsNode)
        endpoint = node_b.ref_at(Address("a", "/sharding/counter"))
        endpoint.tell("not an envelope")
        [letter] = await letters.wait_for(1)
        assert letter.message == "not an envelope"
        assert letter.reason == "not an entity envelope [entity_id, hops, message]"
        with pytest.raises(TypeError, match=r"takes entity envelopes only"):
            await endpoint.ask(["", 0, 1], timeout=WAIT)
