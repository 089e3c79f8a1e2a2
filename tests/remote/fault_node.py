"""A node process for the fault tests: it serves ``target`` until it is killed with SIGKILL.

Usage::

    python -m tests.remote.fault_node URL NODE LEASE_TTL

It joins cluster ``shop`` as ``NODE`` (through ``ActorSystem(cluster=...)``),
spawns ``target`` (an ``Echoer`` that also parks on ``Echo("park")``),
prints ``ready`` once the name is registered, and ``parked`` when a request
has reached the handler that never returns: a kill then lands with that
request in flight.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import anyio

from actors import ActorSystem
from actors.remote import NatsCluster
from tests.remote.processes import BACKEND_VARIABLE
from tests.remote.remote_helpers import Echo, Echoer, make_registry


class Target(Echoer):
    """An ``Echoer`` that never answers ``Echo("park")``."""

    async def receive(self, message: Any) -> Any:
        if message == Echo("park"):
            print("parked", flush=True)
            await anyio.sleep_forever()
        return super().receive(message)


async def main(url: str, node: str, lease_ttl: float) -> None:
    cluster = NatsCluster(url, node=node, registry=make_registry(), lease_ttl=lease_ttl)
    async with ActorSystem("shop", cluster=cluster) as system:
        system.spawn(Target, name="target")
        await system.find("target")  # returns once the name is registered
        print("ready", flush=True)
        await anyio.sleep_forever()


if __name__ == "__main__":
    url, node, lease_ttl = sys.argv[1:]
    anyio.run(
        main, url, node, float(lease_ttl), backend=os.environ.get(BACKEND_VARIABLE, "asyncio")
    )
