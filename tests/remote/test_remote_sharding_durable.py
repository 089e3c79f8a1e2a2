"""Reminders and remembered entities in a cluster, kept in JetStream key-value storage.

On a real nats-server: nodes in this process for the reminders' life cycle
and damaged records, and real node processes (``durable_sharding_node.py``)
for the owner's death by SIGKILL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import cast

import anyio
import msgspec
import pytest
from attrs import define

from actors import ActorSystem, DeadLetter
from actors.remote import NatsCluster, NatsNode
from actors.serialization import UnregisteredType, ValueCodec
from actors.sharding import EntityPassivated, ShardingError, shard_of
from actors.sharding._kv_store import ClusterRecordStore
from actors.sharding._shard_loading import ShardLoader
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.processes import kill, python_process, wait_for_line
from tests.remote.remote_helpers import WAIT, make_registry
from tests.sharding.entities import Cancel, Counter, Remind

pytestmark = pytest.mark.anyio

LEASE_TTL = 1.0


@asynccontextmanager
async def one_node(url: str) -> AsyncIterator[tuple[ActorSystem, NatsNode]]:
    registry = make_registry()
    registry.register(Remind, Cancel)
    cluster = NatsCluster(url, node="a", registry=registry, lease_ttl=LEASE_TTL)
    async with ActorSystem("vault", cluster=cluster, shutdown_timeout=5) as system:
        node = system._cluster_node
        assert isinstance(node, NatsNode)
        yield system, node


async def test_a_reminder_activates_a_passivated_entity_and_is_cancelled(
    nats_server: NatsServer,
) -> None:
    async with one_node(nats_server.url) as (system, node):
        inbox, passivated = Inbox(), Inbox()
        system.event_stream.subscribe(system.spawn(Recorder, passivated), EntityPassivated)
        region = await system.start_sharding(
            "counter", Counter, inbox, shards=4, passivate_after=0.2
        )
        ada = system.entity("counter", "ada")
        assert await ada.ask(Remind("wake", "wake up", after=2.0), timeout=WAIT) == "set"
        await passivated.wait_for(1)  # idle: passivated before the reminder is due
        assert inbox.messages == []
        assert await inbox.wait_for(1) == [("ada", "wake up")]
        assert region.activations == 2  # the reminder activated it again
        # A repeating reminder fires until cancelled; cancelling it clears its record.
        assert await ada.ask(Remind("tick", "tick", after=0.05, every=0.05), timeout=WAIT) == "set"
        await inbox.wait_for(3)
        assert await ada.ask(Cancel("tick"), timeout=WAIT) is True
        assert await ada.ask(Cancel("tick"), timeout=WAIT) is False
        assert len(region.reminders) == 0
        # A message the registry cannot store is refused by remind itself.
        with pytest.raises(UnregisteredType, match=r"neither a registered attrs class nor"):
            await ada.ask(Remind("bad", object(), after=1.0), timeout=WAIT)
        # A shard's record is bounded: past it, remind says so.
        with pytest.raises(
            ShardingError,
            match=rf"^sharding record 'counter\.reminders\.{region.shard_of('ada')}' would "
            r"take \d+ bytes, over the limit of 524288; spread the entities",
        ):
            await ada.ask(Remind("big", "x" * 600_000, after=1.0), timeout=WAIT)
        records = node.shard_placement().records("counter")
        stored = await records.get(records.key("reminders", region.shard_of("ada")))
        assert stored is not None
        assert stored.items == []


async def test_damaged_records_become_dead_letters_and_the_node_carries_on(
    nats_server: NatsServer,
) -> None:
    async with one_node(nats_server.url) as (system, node):
        letters = Inbox()
        system.event_stream.subscribe(system.spawn(Recorder, letters), DeadLetter)
        records = node.shard_placement().records("counter")
        shard = shard_of("ada", 4)
        assert shard_of("gus", 4) == shard
        kv = await records._bucket()
        # The reminders' record is no record at all; the entities' one has a damaged item.
        await kv.put(records.key("reminders", shard), b"\xc1 not msgpack")
        items = [ValueCodec(make_registry()).encode("ada"), b"\xc1"]
        await kv.put(records.key("entities", shard), msgspec.msgpack.encode([1, items]))
        inbox = Inbox()
        region = await system.start_sharding(
            "counter", Counter, inbox, shards=4, remember_entities=True
        )
        # The node claims the shard that has records, reports each damage ...
        found = await letters.wait_for(2)
        reasons = sorted(letter.reason for letter in found)
        assert reasons[0].startswith(
            f"sharding record 'counter.entities.{shard}' of entity type 'counter' cannot be "
            "decoded (item 1: malformed value"
        )
        assert reasons[1].startswith(
            f"sharding record 'counter.reminders.{shard}' of entity type 'counter' cannot be "
            "decoded (not a sharding record [token, items]"
        )
        assert sorted(letter.message for letter in found) == [b"\xc1", b"\xc1 not msgpack"]
        # ... activates the remembered entity it could read, and works on.
        with anyio.fail_after(WAIT):
            while region.activation_of("ada") is None:  # noqa: ASYNC110 - no event for it
                await anyio.sleep(0.02)
        gus = system.entity("counter", "gus")
        assert await gus.ask(Remind("r", "ring", after=0.01), timeout=WAIT) == "set"
        assert await inbox.wait_for(1) == [("gus", "ring")]
        # Its writes replaced the damaged records.
        stored = await records.get(records.key("entities", shard))
        assert stored is not None
        assert (sorted(map(str, stored.items)), stored.damaged) == (["ada", "gus"], [])


async def test_a_killed_owners_entities_and_reminders_come_back_on_the_survivor(
    nats_server: NatsServer,
) -> None:
    async with AsyncExitStack() as stack:
        processes = {}
        for name in ("a", "b"):
            args = ("-m", "tests.remote.durable_sharding_node", nats_server.url, name, "1.0")
            processes[name] = await stack.enter_async_context(python_process(*args))
        for _, lines in processes.values():
            await wait_for_line(lines, "ready")
        cluster = NatsCluster(nats_server.url, node="driver", registry=make_registry())
        system = await stack.enter_async_context(ActorSystem("vault", cluster=cluster))
        # One shard: both entities live on its owner.
        owner = await system.entity("keeper", "r1").ask("hello", timeout=WAIT)
        reminder = ["remind", "wake", "wake up", 3.0]
        assert await system.entity("keeper", "m1").ask(reminder, timeout=WAIT) == owner
        assert await system.entity("keeper", "s1").ask("stop yourself", timeout=WAIT) == owner
        # The records, as any node reads them: s1 stopped itself, so it is forgotten.
        node = system._cluster_node
        assert isinstance(node, NatsNode)
        records = node.shard_placement().records("keeper")
        with anyio.fail_after(WAIT):
            while True:
                stored = await records.get(records.key("entities", 0))
                if stored is not None and stored.items == ["m1", "r1"]:
                    break
                await anyio.sleep(0.02)
        await kill(processes[owner][0])
        [survivor] = [name for name in processes if name != owner]
        # With no message sent, the survivor claims the shard, activates the
        # remembered entities and fires the reminder.
        seen: set[str] = set()
        wanted = {"activated r1", "activated m1", "got m1 wake up"}
        lines = processes[survivor][1]
        with anyio.fail_after(30):
            async for line in lines:
                seen.add(line)
                if wanted <= seen:
                    break
        # A message after them all: s1 was not activated before it (nor r1 sent anything).
        assert await system.entity("keeper", "z9").ask("last", timeout=WAIT) == survivor
        with anyio.fail_after(WAIT):
            async for line in lines:
                seen.add(line)
                if line == "got z9 last":
                    break
        assert not {line for line in seen if "s1" in line or line.startswith("got r1")}


@define
class Ownership:
    """What a record store asks of the shard loader: here, an owner holding ``token``."""

    token_held: int

    def owns(self, shard: int) -> bool:
        return True

    def token(self, shard: int) -> int:
        return self.token_held

    async def ready(self, shard: int) -> bool:
        return True


async def test_a_stale_owners_write_is_refused_and_a_newer_owner_replaces_it(
    nats_server: NatsServer,
) -> None:
    async with one_node(nats_server.url) as (system, node):
        region = await system.start_sharding("counter", Counter, Inbox(), shards=4)
        records = node.shard_placement().records("counter")
        stale = ClusterRecordStore(records, region, cast("ShardLoader", Ownership(5)))
        owner = ClusterRecordStore(records, region, cast("ShardLoader", Ownership(7)))
        key = stale.record_id("entities", 0)
        assert owner.record_id("entities", 0) == key
        assert await stale.read(key) is None
        assert await owner.read(key) is None
        await stale.write(key, ["old"])  # the stalled node writes before it learns
        await owner.write(key, ["new"])  # the owner's write replaces it (compare failed)
        with pytest.raises(ShardingError, match=r"^sharding record 'counter\.entities\.0' was "):
            await stale.write(key, ["older"])  # then the stale node is refused
        stored = await records.get(key)
        assert stored is not None
        assert (stored.token, stored.items) == (7, ["new"])
