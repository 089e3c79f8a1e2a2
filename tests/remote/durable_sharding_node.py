"""A node process for the durable cluster sharding tests: it hosts ``keeper`` until killed.

Usage::

    python -m tests.remote.durable_sharding_node URL NODE LEASE_TTL

It joins cluster ``vault`` as ``NODE`` (on the test's anyio backend), starts
sharding ``keeper`` with one shard and ``remember_entities=True``, and prints
``ready``; then ``activated ID`` when a keeper starts and ``got ID MESSAGE``
for each message a keeper handles. ``["remind", NAME, MESSAGE, AFTER]`` sets
a reminder instead, and ``"stop yourself"`` stops the keeper. Keepers reply
with their node's name.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import anyio

from actors import Actor, ActorSystem
from actors.remote import NatsCluster
from tests.remote.processes import BACKEND_VARIABLE
from tests.remote.remote_helpers import make_registry


class Keeper(Actor):
    """Prints what it handles; sets reminders when asked to."""

    def __init__(self, entity_id: str, node: str) -> None:
        self.entity_id = entity_id
        self.node = node

    def on_start(self) -> None:
        print(f"activated {self.entity_id}", flush=True)

    async def receive(self, message: Any) -> Any:
        match message:
            case ["remind", str(name), payload, float(after)]:
                await self.context.remind(name, payload, after=after)
            case "stop yourself":
                self.context.stop(self.context.self_ref)
            case _:
                print(f"got {self.entity_id} {message}", flush=True)
        return self.node


async def main(url: str, node: str, lease_ttl: float) -> None:
    cluster = NatsCluster(url, node=node, registry=make_registry(), lease_ttl=lease_ttl)
    async with ActorSystem("vault", cluster=cluster) as system:
        await system.start_sharding(
            "keeper", Keeper, node, shards=1, passivate_after=None, remember_entities=True
        )
        print("ready", flush=True)
        await anyio.sleep_forever()


if __name__ == "__main__":
    url, node, lease_ttl = sys.argv[1:]
    backend = os.environ.get(BACKEND_VARIABLE, "asyncio")
    anyio.run(main, url, node, float(lease_ttl), backend=backend)
