"""A node process for the cluster sharding fault tests: it hosts ``ledger`` until killed.

Usage::

    python -m tests.remote.sharding_node URL NODE LEASE_TTL DATABASE

It joins cluster ``shop`` as ``NODE`` with a SQLite journal at ``DATABASE``,
a file that every node of the test shares (SQLite's locks hold between
processes of one machine), starts sharding ``ledger`` and ``tally``, and
prints ``ready``; then ``stopped ID`` when an activation is stopped (by
self-fencing) and ``activated ID`` for each ``tally`` activation. Given the
line ``go INDEX COUNT`` on stdin, it asks ``tally`` entity ``t<n % 50>`` with
``n`` for every ``n < 1000`` with ``n % COUNT == INDEX``, all at once, and
prints ``sent all``; given ``bye``, it prints ``bye`` once its output is out.
"""

from __future__ import annotations

import sys
from typing import Any

import anyio

from actors import Actor, ActorRef, ActorSystem
from actors.persistence import DurableStateActor, MessageRegistry, SqliteJournal
from actors.remote import NatsCluster
from actors.sharding import EntityActivated, EntityPassivated
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


class Tally(Actor):
    """Keeps every number it is told; ``"seen"`` replies with them, in the order handled."""

    def __init__(self, entity_id: str) -> None:
        self.seen: list[int] = []

    def receive(self, message: Any) -> Any:
        if message == "seen":
            return self.seen
        self.seen.append(message)
        return len(self.seen)


class Printer(Actor):
    """Prints activations of ``tally`` and activations stopped other than by passivation."""

    def receive(self, message: Any) -> Any:
        if isinstance(message, EntityPassivated) and message.reason == "stopped":
            print(f"stopped {message.entity_id}", flush=True)
        elif isinstance(message, EntityActivated) and message.type_name == "tally":
            print(f"activated {message.entity_id}", flush=True)
        return None


async def commands(system: ActorSystem, printer: ActorRef) -> None:
    """Follow the commands on stdin (see the module's docstring)."""
    while line := await anyio.to_thread.run_sync(sys.stdin.readline):
        if line.startswith("go "):
            index, count = (int(word) for word in line.split()[1:])
            async with anyio.create_task_group() as task_group:
                for number in range(index, 1000, count):
                    ref = system.entity("tally", f"t{number % 50}")
                    task_group.start_soon(ref.ask, number)
            print("sent all", flush=True)
        elif line.strip() == "bye":
            await printer.ask(None)  # what it was sent before is printed
            print("bye", flush=True)


async def main(url: str, node: str, lease_ttl: float, database: str) -> None:
    cluster = NatsCluster(url, node=node, registry=make_registry(), lease_ttl=lease_ttl)
    journal = SqliteJournal(database, registry=MessageRegistry())
    async with ActorSystem("shop", cluster=cluster, journal=journal) as system:
        printer = system.spawn(Printer)
        system.event_stream.subscribe(printer, EntityPassivated)
        system.event_stream.subscribe(printer, EntityActivated)
        await system.start_sharding("ledger", Ledger, node, shards=SHARDS)
        await system.start_sharding("tally", Tally, shards=SHARDS)
        print("ready", flush=True)
        await commands(system, printer)
        await anyio.sleep_forever()


if __name__ == "__main__":
    url, node, lease_ttl, database = sys.argv[1:]
    anyio.run(main, url, node, float(lease_ttl), database, backend="asyncio")
