"""Issue 18 defect 6: the cluster's leases and names survive the loss of the server holding them.

On a 3-server JetStream cluster the key-value buckets are created with three
replicas; killing (SIGKILL) the server that leads them leaves leases, names
and node-death detection working.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest

from actors import ActorSystem, Terminated
from actors.remote import NatsCluster, NatsNode, attach_cluster
from tests.actors.probe import Inbox
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import WAIT, Echo, Echoer, Watcher, crash, make_registry
from tests.remote.test_remote_faults import _retry_until_jetstream
from tests.remote.test_remote_registry_watch import wait_until_gone

pytestmark = pytest.mark.anyio


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
        [terminated] = await inbox.wait_for(1)
        assert isinstance(terminated, Terminated)
        await _retry_until_jetstream(wait_until_gone, node_b, "doomed")
        # Leases: a's own lease was kept refreshed all along, so it is still found.
        assert (
            await (await node_b.find("echo", timeout=WAIT)).ask(Echo("alive"), timeout=WAIT)
            == "alive"
        )
