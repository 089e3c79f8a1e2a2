"""Issue 18 defect 6: the cluster's leases and names survive the loss of the server holding them.

On a 3-server JetStream cluster the key-value buckets are created with three
replicas; killing (SIGKILL) the server that leads them leaves leases, names
and node-death detection working.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import nats.errors
import pytest
from nats.js.kv import KeyValue

from actors import ActorSystem, Terminated
from actors.remote import NatsCluster, NatsNode, attach_cluster
from tests.actors.probe import Inbox
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import (
    WAIT,
    Echo,
    Echoer,
    Watcher,
    crash,
    make_registry,
    nodes,
)
from tests.remote.test_remote_faults import _retry_until_jetstream
from tests.remote.test_remote_registry_watch import wait_until_gone

pytestmark = pytest.mark.anyio

#: Longer than nats-server's Raft election after a leader dies (4 to 9 s): with
#: the default 3 s, a lease can lapse while its bucket has no leader, and every
#: node is then rightly declared dead (docs/distribution.md says to size it so).
LEASE_TTL = 12.0


@asynccontextmanager
async def cluster_nodes(
    urls: list[str], *names: str
) -> AsyncIterator[list[tuple[ActorSystem, NatsNode]]]:
    options = {"reconnect_time_wait": 0.1, "max_reconnect_attempts": -1}
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
                connect_timeout=20.0,
                lease_ttl=LEASE_TTL,
            )

            async def attach(system: ActorSystem, config: NatsCluster) -> NatsNode:
                return await stack.enter_async_context(attach_cluster(system, config))

            attached.append((system, await _retry_until_jetstream(attach, system, config)))
        yield attached


async def test_leases_names_and_death_detection_survive_losing_the_buckets_server(
    nats_cluster: list[NatsServer],
) -> None:
    urls = [server.url for server in nats_cluster]
    async with cluster_nodes(urls, "a", "b", "c") as [
        (system_a, node_a),
        (_, node_b),
        (system_c, node_c),
    ]:
        buckets = [node_a.subjects.bucket("leases"), node_a.subjects.bucket("names")]
        leaders = set()
        for bucket in buckets:
            info = await node_a.js.stream_info(f"KV_{bucket}")
            assert info.config.num_replicas == 3
            assert info.cluster is not None
            leaders.add(info.cluster.leader)
        victim = next(server for server in nats_cluster if server.log.stem in leaders)
        echo = system_a.spawn(Echoer, name="echo")
        await node_a.register(echo)
        doomed = system_c.spawn(Echoer, name="doomed")
        await node_c.register(doomed)
        inbox = Inbox()
        watcher = system_a.spawn(Watcher, inbox)
        assert await watcher.ask(await node_a.find("doomed"), timeout=WAIT) == "watching"

        victim.kill()  # SIGKILL the server leading the buckets

        # Names: registered and found after the loss.
        later = system_a.spawn(Echoer, name="later")
        await _retry_until_jetstream(node_a.register, later)
        found = await node_b.find("later", timeout=WAIT)
        assert await found.ask(Echo("after"), timeout=WAIT) == "after"
        # Death detection: c crashes; its lease expires, a's watcher hears it, its name goes.
        await crash(node_c)
        [terminated] = await inbox.wait_for(1, timeout=LEASE_TTL + WAIT)
        assert isinstance(terminated, Terminated)
        with anyio.fail_after(LEASE_TTL + WAIT):
            await _retry_until_jetstream(wait_until_gone, node_b, "doomed")
        # Leases: a's own lease was kept refreshed all along, so it is still found.
        assert (
            await (await node_b.find("echo", timeout=WAIT)).ask(Echo("alive"), timeout=WAIT)
            == "alive"
        )


async def test_a_lease_write_that_landed_unheard_is_the_nodes_own(
    nats_server: NatsServer, caplog: pytest.LogCaptureFixture
) -> None:
    # During a bucket's leader election a lease write can land while its
    # answer is lost; the node's next write then meets a revision it did not
    # expect. It used to take that for its lease having expired, then for
    # another node holding its name, forever. Here the lost write is played by
    # writing the node's own lease behind its back.
    async with nodes(nats_server.url, "a", lease_ttl=1.5) as [(_, node)]:
        membership = node.membership
        kv = membership._kv
        assert kv is not None
        entry = await kv.get("a")
        assert entry.revision is not None
        unheard = await kv.update("a", membership.incarnation.encode(), last=entry.revision)
        watcher = await kv.watch("a")
        try:
            with anyio.fail_after(WAIT):
                async for update in watcher:  # the node's next write goes on from it
                    if update is not None and (update.revision or 0) > unheard:
                        assert (update.value or b"").decode() == membership.incarnation
                        break
        finally:
            await watcher.stop()  # type: ignore[no-untyped-call]
        assert membership.lease_epoch == 0
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert "a" in membership.live


async def test_a_node_whose_lease_watch_times_out_at_first_keeps_trying(
    nats_server: NatsServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # On a 3-server cluster still forming, JetStream's consumer for the lease
    # watcher can time out; that used to end the node's task group, and with
    # it the whole system, at attach.
    real_watchall = KeyValue.watchall
    failures = [nats.errors.TimeoutError(), nats.errors.TimeoutError()]

    async def flaky_watchall(self: KeyValue, **options: Any) -> Any:
        if failures:
            raise failures.pop()
        return await real_watchall(self, **options)

    monkeypatch.setattr(KeyValue, "watchall", flaky_watchall)
    async with nodes(nats_server.url, "a", "b") as [(system_a, node_a), (_, node_b)]:
        await node_a.register(system_a.spawn(Echoer, name="echo"))
        found = await node_b.find("echo", timeout=WAIT)
        assert await found.ask(Echo("up"), timeout=WAIT) == "up"
    assert not failures
    assert any("watching the leases failed" in r.getMessage() for r in caplog.records)
