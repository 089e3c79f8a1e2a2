"""Faults: a node process killed, a server of three killed, a consumer too slow to keep up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import nats.errors
import nats.js.errors
import pytest

from actors import Actor, ActorSystem, DeadLetter, MailboxFull, Terminated
from actors.remote import ActorNotFound, DurableRef, NatsCluster, NatsNode, attach_cluster
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.processes import kill, python_process, wait_for_line
from tests.remote.remote_helpers import WAIT, Echo, Entry, Ping, Watcher, make_registry, nodes
from tests.remote.test_remote_pools import flushed
from tests.remote.test_remote_registry_watch import wait_until_gone

pytestmark = pytest.mark.anyio


# -- a node killed ---------------------------------------------------------------


async def test_a_killed_node_fails_its_asks_tells_its_watchers_and_loses_its_names(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "survivor", lease_ttl=1.0) as [(system, node)]:
        module = "tests.remote.fault_node"
        async with python_process("-m", module, nats_server.url, "victim", "1.0") as (
            process,
            lines,
        ):
            await wait_for_line(lines, "ready")
            target = await node.find("target")
            assert str(target) == "<RemoteActorRef victim:/user/target>"
            inbox = Inbox()
            watcher = system.spawn(Watcher, inbox)
            assert await watcher.ask(target, timeout=WAIT) == "watching"
            assert await target.ask(Echo("sync"), timeout=WAIT) == "sync"  # the watch is in place
            failures: list[BaseException] = []

            async def ask_parked() -> None:
                try:
                    await target.ask(Echo("park"))  # no timeout: only the lease can end it
                except ActorNotFound as error:
                    failures.append(error)

            with anyio.fail_after(WAIT):
                async with anyio.create_task_group() as task_group:
                    task_group.start_soon(ask_parked)
                    await wait_for_line(lines, "parked")
                    await kill(process)  # SIGKILL, with the request in flight
        # No hang: the lease's expiry failed the ask in flight...
        [failure] = failures
        assert str(failure) == "node victim left the cluster before victim:/user/target answered"
        # ...told the watcher...
        assert await inbox.wait_for(1) == [Terminated(target)]
        # ...and the survivor removed the names the dead node held.
        await wait_until_gone(node, "target")
        with pytest.raises(ActorNotFound, match=r"^no live actor holds the name 'target'"):
            await node.find("target")
        with pytest.raises(ActorNotFound, match=r"^no node serves victim:/user/target"):
            await target.ask(Echo("after"), timeout=WAIT)
        target.tell(Ping(1))  # a tell to a dead node is lost, never an error


# -- a server of three killed -------------------------------------------------------


class Tally(Actor):
    """Counts each ``Entry`` delivery; sets ``done`` once ``expected`` distinct ones arrived."""

    def __init__(self, expected: int, done: anyio.Event) -> None:
        self.counts: dict[int, int] = {}
        self.expected = expected
        self.done = done

    def receive(self, message: Any) -> Any:
        if isinstance(message, Entry):
            self.counts[message.number] = self.counts.get(message.number, 0) + 1
            if len(self.counts) == self.expected:
                self.done.set()
        if message == "counts":
            return dict(self.counts)
        return None


async def _retry_until_jetstream(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` until the JetStream meta group has a leader (a fresh cluster elects one)."""
    with anyio.fail_after(WAIT * 2):
        while True:
            try:
                return await fn(*args, **kwargs)
            except (nats.js.errors.Error, nats.errors.TimeoutError) as error:
                if isinstance(error, nats.js.errors.APIError) and error.code not in (None, 503):
                    raise
            await anyio.sleep(0.1)  # a retry interval, not a synchronisation


@asynccontextmanager
async def cluster_nodes(
    urls: list[str], *names: str
) -> AsyncIterator[list[tuple[ActorSystem, NatsNode]]]:
    """Nodes given every server's URL, each connected to the first (no shuffling)."""
    options = {"dont_randomize": True, "reconnect_time_wait": 0.1, "max_reconnect_attempts": -1}
    async with AsyncExitStack() as stack:
        attached = []
        for name in names:
            system = await stack.enter_async_context(ActorSystem("shop", shutdown_timeout=5))
            config = NatsCluster(
                urls,
                node=name,
                registry=make_registry(),
                connect_options=options,
                detach_timeout=2.0,
            )

            async def attach(system: ActorSystem, config: NatsCluster) -> NatsNode:
                return await stack.enter_async_context(attach_cluster(system, config))

            node = await _retry_until_jetstream(attach, system, config)
            attached.append((system, node))
        yield attached


async def test_a_killed_server_of_three_loses_no_durable_message(
    nats_cluster: list[NatsServer],
) -> None:
    total = 600
    urls = [server.url for server in nats_cluster]
    async with cluster_nodes(urls, "intake", "ledger") as [(_, intake), (system, ledger_node)]:
        assert intake.nc.connected_url is not None
        assert intake.nc.connected_url.port == nats_cluster[0].port
        assert ledger_node.nc.connected_url is not None
        assert ledger_node.nc.connected_url.port == nats_cluster[0].port
        mailbox = await _retry_until_jetstream(intake.durable, "ledger", replicas=3)
        assert isinstance(mailbox, DurableRef)
        done = anyio.Event()
        tally = system.spawn(Tally, total, done, name="ledger")
        await _retry_until_jetstream(
            ledger_node.serve_durable, "ledger", tally, replicas=3, ack_wait=1.0
        )
        half = anyio.Event()

        async def send() -> None:
            for number in range(total):
                await mailbox.send(Entry(number), message_id=f"entry-{number}")
                if number == total // 2:
                    half.set()

        with anyio.fail_after(WAIT * 4):
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(send)
                await half.wait()
                nats_cluster[0].kill()  # SIGKILL the server both nodes are connected to
                await done.wait()
        counts = await tally.ask("counts", timeout=WAIT)
        assert sorted(counts) == list(range(total))  # nothing lost
        # Both clients moved to a surviving server.
        for node in (intake, ledger_node):
            assert node.nc.stats["reconnects"] >= 1
            assert node.nc.connected_url is not None
            assert node.nc.connected_url.port != nats_cluster[0].port


# -- a slow consumer --------------------------------------------------------------


class Gated(Actor):
    """Records each ``Ping`` once ``gate`` is set; the first message waits for it."""

    def __init__(self, inbox: Inbox, gate: anyio.Event) -> None:
        self.inbox = inbox
        self.gate = gate

    async def receive(self, message: Any) -> Any:
        await self.gate.wait()
        self.inbox.record(message)


async def test_a_slow_pool_member_holds_a_bounded_backlog_and_dead_letters_the_rest(
    nats_server: NatsServer,
) -> None:
    sent, in_flight, pending = 2000, 8, 100
    async with (
        nodes(nats_server.url, "slow", pool_in_flight=in_flight, pending_messages=pending) as [
            (system_slow, node_slow)
        ],
        nodes(nats_server.url, "fast") as [(_, node_fast)],
    ):
        outcomes, gate = Inbox(), anyio.Event()
        system_slow.event_stream.subscribe(system_slow.spawn(Recorder, outcomes), DeadLetter)
        member = system_slow.spawn(Gated, outcomes, gate, name="pricer")
        await node_slow.join_pool("pricing", member)
        pool = node_fast.pool("pricing")
        for number in range(sent):
            pool.tell(Ping(number))
        await flushed(node_fast)  # the server has every message...
        await node_slow.nc.flush()  # ...and has handed each to the slow node's client
        # Bounded: the member's mailbox holds at most pool_in_flight, the
        # subscription at most pending_messages; the client dropped the rest.
        assert member.statistics().mailbox_depth <= in_flight
        [membership] = node_slow.pools.members.values()
        assert membership.in_flight <= in_flight
        assert membership.subscription is not None
        assert membership.subscription.pending_msgs <= pending
        gate.set()
        outcomes_seen = await outcomes.wait_for(sent)  # each message handled or dead-lettered
        handled = [seen for seen in outcomes_seen if isinstance(seen, Ping)]
        letters = [seen for seen in outcomes_seen if isinstance(seen, DeadLetter)]
        assert len(handled) + len(letters) == sent
        assert len(handled) <= in_flight + 1 + pending  # + 1: the one waiting for room
        assert {letter.reason for letter in letters} == {
            "slow consumer: the NATS client dropped it (pending limits reached)"
        }
        assert {letter.recipient for letter in letters} == {member}
        assert len({ping.number for ping in handled}) == len(handled)  # none twice


async def test_a_full_outbound_buffer_dead_letters_tell_and_makes_send_wait(
    nats_server: NatsServer,
) -> None:
    capacity = 100
    async with (
        nodes(nats_server.url, "receiver") as [(system_r, node_r)],
        nodes(nats_server.url, "sender", outbound_capacity=capacity) as [(system_s, node_s)],
    ):
        received, letters = Inbox(), Inbox()
        await node_r.register(system_r.spawn(Recorder, received, name="sink"))
        system_s.event_stream.subscribe(system_s.spawn(Recorder, letters), DeadLetter)
        sink = await node_s.find("sink")
        for number in range(1000):  # no await: the sender task cannot empty the buffer
            sink.tell(Ping(number))
        assert len(node_s._outbound) == capacity
        dropped = await letters.wait_for(1000 - capacity)
        assert {letter.reason for letter in dropped} == {"outbound buffer full"}
        assert [letter.message.number for letter in dropped] == list(range(capacity, 1000))
        assert await received.wait_for(capacity) == [Ping(number) for number in range(capacity)]
        for number in range(capacity, 1000):  # send waits for room: nothing is dropped
            await sink.send(Ping(number))
        everything = await received.wait_for(1000)
        assert everything == [Ping(number) for number in range(1000)]
        assert len(letters.messages) == 1000 - capacity


async def test_a_full_durable_mailbox_refuses_with_mailbox_full(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a") as [(system, node)]:
        mailbox = await node.durable("capped", max_messages=10)
        for number in range(10):
            await mailbox.send(Entry(number), message_id=f"capped-{number}")
        with pytest.raises(MailboxFull, match=r"^durable mailbox 'capped' is full; "):
            await mailbox.send(Entry(10), message_id="capped-10")
        inbox = Inbox()
        await node.serve_durable("capped", system.spawn(Recorder, inbox))
        assert sorted(entry.number for entry in await inbox.wait_for(10)) == list(range(10))
