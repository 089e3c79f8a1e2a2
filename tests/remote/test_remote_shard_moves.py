"""Shards moving in a cluster over a real nats-server: graceful leave, rebalancing, held bound.

Nodes of one cluster run in this process, sharing one SQLite journal file.
A driver node that hosts nothing streams numbered commands to persistent
``Ledger`` entities (``tests/remote/sharding_node.py``: command ``n`` is
applied only right after ``n - 1``): two tells, then an ask whose answer
must be exactly the number just sent. Any lost or reordered message would
leave the state behind, and the stream would fail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import anyio
import anyio.abc
import pytest
from attrs import define, field

from actors import ActorSystem, DeadLetter
from actors.persistence import MessageRegistry, SqliteJournal
from actors.remote import NatsCluster
from actors.sharding import MoveLimits, ShardHandedOff, ShardRegion
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import WAIT, make_registry
from tests.remote.sharding_node import Ledger
from tests.sharding.entities import Counter

pytestmark = pytest.mark.anyio

LEASE_TTL = 1.5
SHARDS = 8
IDS = [f"e{index}" for index in range(16)]
#: Commands each entity gets before the move starts, and at least in all.
BEFORE_MOVE = 6
COMMANDS = 30


@define
class Stream:
    """What the driver saw: per entity, its acknowledged commands and the nodes that answered."""

    acknowledged: dict[str, int] = field(factory=lambda: dict.fromkeys(IDS, 0))
    owners: dict[str, list[str]] = field(factory=lambda: {entity_id: [] for entity_id in IDS})


def make_system(url: str, name: str, database: str) -> ActorSystem:
    cluster = NatsCluster(url, node=name, registry=make_registry(), lease_ttl=LEASE_TTL)
    journal = SqliteJournal(database, registry=MessageRegistry())
    return ActorSystem("shop", cluster=cluster, journal=journal, shutdown_timeout=10)


@asynccontextmanager
async def journal_file(tmp_path: Path) -> AsyncIterator[str]:
    database = str(tmp_path / "journal.sqlite")
    # Created once first: journals opening a new file at once can find it locked.
    journal = SqliteJournal(database, registry=MessageRegistry())
    assert await journal.highest_sequence_number("ledger/e0") == 0
    await journal.close()
    yield database


async def host(stack: AsyncExitStack, url: str, name: str, database: str) -> ShardRegion:
    system = await stack.enter_async_context(make_system(url, name, database))
    region = await system.start_sharding("ledger", Ledger, name, shards=SHARDS)
    region.limits = MoveLimits(rebalance_absolute_limit=1, rebalance_interval=LEASE_TTL / 3)
    return region


async def stream(driver: ActorSystem, seen: Stream, moved: anyio.Event, move: object) -> None:
    """Stream commands to every entity; once each has ``BEFORE_MOVE``, run ``move``; go on past it."""
    reached = anyio.Event()

    async def commands(entity_id: str) -> None:
        ref = driver.entity("ledger", entity_id)
        number = 0
        while True:
            # The last round must start after the move: an ask already in flight when
            # it ends may still be answered by the old owner.
            after_move = moved.is_set()
            ref.tell(number + 1)
            ref.tell(number + 2)
            state, node = await ref.ask(number + 3, timeout=WAIT)
            number += 3
            assert state == number  # every command applied, once, in order
            seen.acknowledged[entity_id] = number
            owners = seen.owners[entity_id]
            if not owners or owners[-1] != node:
                owners.append(node)
            if min(seen.acknowledged.values()) >= BEFORE_MOVE:
                reached.set()
            if after_move and number >= COMMANDS:
                return

    async def run_move() -> None:
        await reached.wait()
        await move()  # type: ignore[operator]
        moved.set()

    with anyio.fail_after(60):
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(run_move)
            for entity_id in IDS:
                task_group.start_soon(commands, entity_id)


async def check_states(driver: ActorSystem, seen: Stream) -> None:
    for entity_id in IDS:
        state, _ = await driver.entity("ledger", entity_id).ask(0, timeout=WAIT)
        assert state == seen.acknowledged[entity_id] >= COMMANDS


async def host_until(
    url: str,
    name: str,
    database: str,
    leave: anyio.Event,
    *,
    stop_region: anyio.Event | None = None,
    task_status: anyio.abc.TaskStatus[ShardRegion],
) -> None:
    """Host ``ledger`` as node ``name`` until ``leave`` is set, then shut down gracefully.

    A system is left from the task that entered it: this one. With
    ``stop_region``, the region is stopped (and the event set) first.
    """
    async with AsyncExitStack() as stack:
        region = await host(stack, url, name, database)
        task_status.started(region)
        await leave.wait()
        if stop_region is not None:
            await region.stop()
            stop_region.set()


@pytest.mark.parametrize("how", ["system shuts down", "region stops"])
async def test_a_node_leaving_gracefully_mid_stream_hands_its_entities_over(
    nats_server: NatsServer, tmp_path: Path, how: str
) -> None:
    url = nats_server.url
    async with (
        journal_file(tmp_path) as database,
        anyio.create_task_group() as nodes,
        AsyncExitStack() as stack,
    ):
        leave, left = anyio.Event(), anyio.Event()
        region_stopped = anyio.Event() if how == "region stops" else None

        async def node_a(*, task_status: anyio.abc.TaskStatus[ShardRegion]) -> None:
            try:
                await host_until(
                    url, "a", database, leave, stop_region=region_stopped, task_status=task_status
                )
            finally:
                left.set()

        region_a: ShardRegion = await nodes.start(node_a)
        await host(stack, url, "b", database)
        await host(stack, url, "c", database)
        handed = Inbox()
        system_a = region_a.system
        system_a.event_stream.subscribe(system_a.spawn(Recorder, handed), ShardHandedOff)
        cluster = NatsCluster(url, node="driver", registry=make_registry(), lease_ttl=LEASE_TTL)
        driver = await stack.enter_async_context(ActorSystem("shop", cluster=cluster))
        seen = Stream()

        async def leave_gracefully() -> None:
            leave.set()
            await (left if region_stopped is None else region_stopped).wait()

        # Node a leaves (its system shuts down gracefully) while the stream runs.
        try:
            await stream(driver, seen, anyio.Event(), leave_gracefully)
        finally:
            leave.set()
        await check_states(driver, seen)
        # Its entities came back on the survivors; the others never moved.
        on_a = [entity_id for entity_id in IDS if seen.owners[entity_id][0] == "a"]
        assert on_a, "node a owned no entity: the test proves nothing"
        for entity_id in IDS:
            assert seen.owners[entity_id][-1] in ("b", "c")
            assert len(seen.owners[entity_id]) == (2 if entity_id in on_a else 1)
        # It handed every shard it owned to a survivor, and lost nothing on the way.
        assert {event.node for event in handed.messages} <= {"b", "c"}
        assert {region_a.shard_of(entity_id) for entity_id in on_a} <= {
            event.shard for event in handed.messages
        }
        assert dict(system_a.dead_letters) == {}
        assert dict(driver.dead_letters) == {}


async def test_a_joining_node_takes_its_share_a_bounded_number_of_moves_at_a_time(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    url = nats_server.url
    stop_c = anyio.Event()
    async with (
        journal_file(tmp_path) as database,
        anyio.create_task_group() as nodes,
        AsyncExitStack() as stack,
    ):
        stack.callback(stop_c.set)
        regions = [await host(stack, url, name, database) for name in ("a", "b")]
        handed = Inbox()
        most_moving = 0

        class Watcher(Recorder):
            def receive(self, message: object) -> object:
                nonlocal most_moving
                for region in regions[:2]:
                    assert region.routing is not None
                    most_moving = max(most_moving, len(region.routing.moves.moving))
                return super().receive(message)

        for region in regions:
            region.system.event_stream.subscribe(
                region.system.spawn(Watcher, handed), ShardHandedOff
            )
        cluster = NatsCluster(url, node="driver", registry=make_registry(), lease_ttl=LEASE_TTL)
        driver = await stack.enter_async_context(ActorSystem("shop", cluster=cluster))
        seen = Stream()
        moved = anyio.Event()

        async def join() -> None:
            region_c = await nodes.start(host_until, url, "c", database, stop_c)
            regions.append(region_c)
            routing = region_c.routing  # its view of the hosts is fresh
            assert routing is not None
            hosts = await routing.placement.live_hosts("ledger")
            assert {host.node for host in hosts} == {"a", "b", "c"}
            used = {region_c.shard_of(entity_id) for entity_id in IDS}
            share = {
                shard
                for shard in used
                if routing.placement.preferred("ledger", shard, hosts).node == "c"
            }
            assert share, "node c is preferred for no shard in use: the test proves nothing"
            while not share <= {event.shard for event in handed.of_type(ShardHandedOff)}:
                await handed.wait_for(len(handed.messages) + 1, timeout=30)

        await stream(driver, seen, moved, join)
        await check_states(driver, seen)
        # Node c took its share from a and b; at most one move at a time on each.
        assert most_moving <= 1
        to_c = {event.shard for event in handed.messages if event.node == "c"}
        assert to_c
        for entity_id in IDS:
            if regions[2].shard_of(entity_id) in to_c:
                assert seen.owners[entity_id][-1] == "c"
        for system in [driver, *(region.system for region in regions)]:
            assert dict(system.dead_letters) == {}


async def test_held_messages_past_the_bound_are_counted_dead_letters(
    nats_server: NatsServer,
) -> None:
    cluster = NatsCluster(nats_server.url, node="a", registry=make_registry(), lease_ttl=LEASE_TTL)
    async with ActorSystem("shop", cluster=cluster) as system:
        inbox, letters = Inbox(), Inbox()
        system.event_stream.subscribe(system.spawn(Recorder, letters), DeadLetter)
        region = await system.start_sharding("counter", Counter, inbox, shards=1)
        region.limits = MoveLimits(held_messages=3)
        ref = region.entity("x")
        # The shard's owner is not known yet: the first tell starts finding it, and
        # every tell until then (no await in between) is held, up to the bound.
        for number in range(10):
            ref.tell(number)
        assert region.routing is not None
        assert region.routing.held == 3
        # Beyond the bound, a tell is a dead letter, with the reason, and counted.
        dropped = await letters.wait_for(7)
        assert [letter.message for letter in dropped] == list(range(3, 10))
        assert dropped[0].reason.startswith(
            "at most 3 messages of entity type 'counter' are held while shard owners are "
            "found or shards move, and that many are held (got one more); raise "
            "region.limits.held_messages"
        )
        assert system.dead_letters[int] == 7
        # send() waits for room instead, and what was held is delivered, in order.
        await ref.send(10)
        handled = await inbox.wait_for(4)
        assert [number for _, number in handled] == [0, 1, 2, 10]


async def test_send_to_another_nodes_entity_waits_for_room_in_the_outbound_buffer(
    nats_server: NatsServer,
) -> None:
    capacity = 100

    def cluster(name: str, outbound_capacity: int = 65536) -> NatsCluster:
        registry = make_registry()
        return NatsCluster(
            nats_server.url,
            node=name,
            registry=registry,
            lease_ttl=LEASE_TTL,
            outbound_capacity=outbound_capacity,
        )

    async with (
        ActorSystem("shop", cluster=cluster("a")) as system_a,
        ActorSystem("shop", cluster=cluster("b", outbound_capacity=capacity)) as system_b,
    ):
        inbox, letters = Inbox(), Inbox()
        await system_a.start_sharding("counter", Counter, inbox, shards=1)
        system_b.event_stream.subscribe(system_b.spawn(Recorder, letters), DeadLetter)
        ref = system_b.entity("counter", "x")
        assert await ref.ask("hello", timeout=WAIT) == 1  # b now knows where x lives
        for number in range(1000):  # no await: b's sender task cannot empty its buffer
            ref.tell(number)
        dropped = await letters.wait_for(1000 - capacity)
        assert {letter.reason for letter in dropped} == {"outbound buffer full"}
        for number in range(1000, 2000):  # send waits for room: nothing is dropped
            await ref.send(number)
        handled = [number for _, number in await inbox.wait_for(1 + capacity + 1000)]
        assert handled[capacity + 1 :] == list(range(1000, 2000))
        assert len(letters.messages) == 1000 - capacity
