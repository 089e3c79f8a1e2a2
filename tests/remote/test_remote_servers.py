"""The fixtures themselves: a real server, a real cluster, reachable with nats-py."""

from __future__ import annotations

import nats
import pytest

from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import raw_connect


@pytest.mark.anyio
async def test_single_server_serves_jetstream(nats_server: NatsServer) -> None:
    client = await raw_connect(nats_server.url)
    try:
        info = await client.jetstream().account_info()
        assert info.limits is not None
    finally:
        await client.close()


@pytest.mark.anyio
async def test_cluster_routes_messages_between_servers(nats_cluster: list[NatsServer]) -> None:
    first = await raw_connect(nats_cluster[0].url, allow_reconnect=False)
    second = await raw_connect(nats_cluster[2].url, allow_reconnect=False)
    try:
        subscription = await second.subscribe("greetings")
        await second.flush()
        for _ in range(200):  # routes come up shortly after health: retry until one is heard
            await first.publish("greetings", b"hello")
            await first.flush()
            try:
                message = await subscription.next_msg(timeout=0.05)
            except nats.errors.TimeoutError:
                continue
            assert message.data == b"hello"
            break
        else:
            pytest.fail("the cluster never routed a message between servers")
    finally:
        await first.close()
        await second.close()
