"""A node process for the cluster sharding fault tests: it hosts ``ledger`` until killed.

Usage::

    python -m tests.remote.sharding_node URL NODE LEASE_TTL DATABASE

It joins cluster ``shop`` as ``NODE`` with a SQLite journal at ``DATABASE``,
a file that every node of the test shares (SQLite's locks hold between
processes of one machine), starts sharding ``ledger`` and prints ``ready``;
then ``stopped ID`` when an activation is stopped (by self-fencing).
"""

from __future__ import annotations

import sys
from typing import Any

import anyio

from actors import Actor, ActorSystem
from actors.persistence import DurableStateActor, MessageRegistry, SqliteJournal
from actors.remote import NatsCluster
from actors.sharding import EntityPassivated
from tests.remote.remote_helpers import make_registry

SHARDS = 8


class Ledger(DurableStateActor):
    """Applies numbered commands once each: command ``n`` only when it is the next one.

    The state is the number of the last command applied, so a command retried
    after a lost reply is not applied twice. It replies ``[state, node]``.
    """

    def __init__(self, entity_id: str, node: str) -> None:
        self.node = node
        self.state = 0

    async def receive(self, message: Any) -> Any:
        if isinstance(message, int) and message == self.state + 1:
            await self.save(message)
        return [self.state, self.node]


class Printer(Actor):
    """Prints ``stopped ID`` for each activation stopped other than by passivation."""

    def receive(self, message: Any) -> None:
        if isinstance(message, EntityPassivated) and message.reason == "stopped":
            print(f"stopped {message.entity_id}", flush=True)


async def main(url: str, node: str, lease_ttl: float, database: str) -> None:
    cluster = NatsCluster(url, node=node, registry=make_registry(), lease_ttl=lease_ttl)
    journal = SqliteJournal(database, registry=MessageRegistry())
    async with ActorSystem("shop", cluster=cluster, journal=journal) as system:
        system.event_stream.subscribe(system.spawn(Printer), EntityPassivated)
        await system.start_sharding("ledger", Ledger, node, shards=SHARDS)
        print("ready", flush=True)
        await anyio.sleep_forever()


if __name__ == "__main__":
    url, node, lease_ttl, database = sys.argv[1:]
    anyio.run(main, url, node, float(lease_ttl), database, backend="asyncio")
