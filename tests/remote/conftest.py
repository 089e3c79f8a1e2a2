"""Real nats-server fixtures for the remote tests: one server, and a 3-node cluster.

The servers themselves are started by ``nats_servers.py``. A missing binary
fails every remote test loudly; it is never a skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.remote.nats_servers import NatsServer, free_port, start_server, wait_healthy


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A single nats-server with JetStream, ready to serve."""
    server = start_server(tmp_path / "jetstream", name="single")
    try:
        wait_healthy([server], "?js-enabled-only=true")
        yield server
    finally:
        server.stop()


@pytest.fixture
def nats_cluster(tmp_path: Path) -> Iterator[list[NatsServer]]:
    """Three routed nats-servers with JetStream; ready once each reports JetStream healthy.

    Replicated storage is usable only after the JetStream meta group has a
    leader; tests that create replicated buckets retry until it has.
    """
    cluster_ports = [free_port() for _ in range(3)]
    servers = [
        start_server(
            tmp_path / f"jetstream-{index}",
            name=f"node-{index}",
            cluster_port=cluster_ports[index],
            routes=[port for port in cluster_ports if port != cluster_ports[index]],
        )
        for index in range(3)
    ]
    try:
        wait_healthy(servers)
        yield servers
    finally:
        for server in servers:
            server.stop()
