"""The development server's command: start, print the URL, serve until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from ..testing import NatsServer, start_server, wait_healthy

#: The port a development server listens on unless told otherwise (NATS's own default).
DEFAULT_PORT = 4222
"""The client port the server listens on unless ``--port`` says otherwise (NATS's own default)."""


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m actors.remote.server",
        description="Run a development nats-server with JetStream on loopback.",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="client port (0: any free port)"
    )
    parser.add_argument(
        "--store-dir", type=Path, default=None, help="JetStream's folder (default: a new temp dir)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the server, print its URL, serve until SIGINT or SIGTERM; the exit status."""
    arguments = _arguments(argv)
    store_dir: Path = arguments.store_dir or Path(tempfile.mkdtemp(prefix="anyactors-nats-"))
    try:
        server: NatsServer = start_server(
            store_dir / "jetstream", name="anyactors-dev", port=arguments.port or None
        )
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        wait_healthy([server], "?js-enabled-only=true")
        print(f"nats-server ready: {server.url} (JetStream in {store_dir})", flush=True)
        print(f'NatsCluster("{server.url}", node=...)', flush=True)
        while not stop.wait(0.5):
            if server.process.poll() is not None:
                print(f"nats-server exited; its log: {server.log}", file=sys.stderr)
                return 1
    except (RuntimeError, TimeoutError) as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        server.stop()
    print("nats-server stopped", flush=True)
    return 0
