"""Issue 18 item 9: ``python -m actors.remote.server`` starts a development server."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from actors import ActorSystem
from actors.remote import NatsCluster
from tests.remote.processes import python_process, wait_for_line
from tests.remote.remote_helpers import WAIT, Echo, Echoer, make_registry

pytestmark = pytest.mark.anyio


async def test_the_dev_server_prints_its_url_serves_jetstream_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    command = ("-m", "actors.remote.server", "--port", "0", "--store-dir", str(tmp_path))
    async with python_process(*command) as (process, lines):
        ready = await wait_for_line(lines, "nats-server ready: ")
        match = re.fullmatch(
            rf"nats-server ready: (nats://127\.0\.0\.1:\d+) \(JetStream in {re.escape(str(tmp_path))}\)",
            ready,
        )
        assert match is not None, ready
        url = match[1]
        assert await wait_for_line(lines, "NatsCluster(") == f'NatsCluster("{url}", node=...)'
        cluster = NatsCluster(url, node="a", registry=make_registry())
        async with ActorSystem("shop", cluster=cluster) as system:
            system.spawn(Echoer, name="echo")
            echo = await system.find("echo", timeout=WAIT)
            assert await echo.ask(Echo("served"), timeout=WAIT) == "served"
        os.kill(process.pid, signal.SIGTERM)
        assert await wait_for_line(lines, "nats-server stopped") == "nats-server stopped"
        assert await process.wait() == 0
