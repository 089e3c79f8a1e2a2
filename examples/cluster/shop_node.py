"""One node of the cluster example, in its own process: ``ledger``, ``pricing-N`` or ``intake``.

Usage: ``python examples/cluster/shop_node.py ROLE NATS_URL ORDERS KILL_AT [BACKEND]``
(``run.py`` starts each). Every node prints ``ready`` once it serves; the
nodes that serve stop gracefully on SIGTERM (or die on SIGKILL).

* ``ledger`` serves the durable mailbox ``ledger`` with a ``Ledger``.
* ``pricing-1``, ``pricing-2``, ... put a ``Pricer`` in the ``pricing`` pool.
* ``intake`` places ORDERS orders through eight clerks. Once KILL_AT are
  placed it prints ``placed KILL_AT`` and goes on, but starts no order past
  KILL_AT + 50 until it has seen the pricer of ``pricing-2`` terminate
  (``run.py`` kills that node; its lease's expiry tells the intake): the
  kill lands mid-run, with orders in flight. Then it places the rest and
  prints ``placed all``.
"""

from __future__ import annotations

import signal
import sys
import time
from typing import Any

import anyio
from shop import Clerk, Ledger, PlaceOrder, Posting, PriceOrder, Pricer, Retries, make_registry

from actors import Actor, ActorRef, ActorSystem, Terminated, props
from actors.remote import Address, DurableRef, NatsCluster, NatsNode, PoolRef, attach_cluster

CLERKS = 8
#: Orders started after ``placed KILL_AT`` and before pricing-2 is known dead, at most.
AHEAD = 50
SKUS = ("apple", "pear", "plum")

#: Seconds after which a silent node is declared dead.
LEASE_TTL = 1.0


class Lookout(Actor):
    """Watches the refs it is told; sets ``gone`` when one terminates."""

    def __init__(self, gone: anyio.Event) -> None:
        self.gone = gone

    def receive(self, message: Any) -> Any:
        if isinstance(message, ActorRef):
            self.context.watch(message)
            return "watching"
        if isinstance(message, Terminated):
            self.gone.set()
        return None


async def until_terminated() -> None:
    """Wait for SIGTERM or SIGINT."""
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for _ in signals:
            return


async def intake(system: ActorSystem, node: NatsNode, orders: int, kill_at: int) -> None:
    # Refs to what other nodes serve come untyped; annotating them types them.
    pricing: PoolRef[PriceOrder] = node.pool("pricing")
    ledger: DurableRef[Posting] = await node.durable("ledger")
    retries = Retries()
    clerks = [system.spawn(props(Clerk, pricing, ledger, retries)) for _ in range(CLERKS)]
    gone = anyio.Event()
    lookout = system.spawn(Lookout, gone)
    victim = node.ref_at(Address("pricing-2", "/user/pricer"))
    await lookout.ask(victim, timeout=5.0)
    print("ready", flush=True)
    numbers = iter(range(1, orders + 1))
    placed = 0
    resumed = anyio.Event()

    async def feed(clerk: ActorRef) -> None:
        nonlocal placed
        for number in numbers:
            if number > kill_at + AHEAD:
                await resumed.wait()
            order = PlaceOrder(order=number, sku=SKUS[number % len(SKUS)], qty=1 + number % 4)
            await clerk.ask(order)
            placed += 1
            if placed == kill_at:
                print(f"placed {kill_at}", flush=True)
                started = time.monotonic()
                await gone.wait()
                waited = time.monotonic() - started
                print(f"pricing-2 terminated ({waited:.2f} s after placed {kill_at})", flush=True)
                resumed.set()

    async with anyio.create_task_group() as task_group:
        for clerk in clerks:
            task_group.start_soon(feed, clerk)
    print(f"placed all {placed}, {retries.count} pricing requests asked again", flush=True)


async def main(role: str, url: str, orders: int, kill_at: int) -> None:
    cluster = NatsCluster(url, node=role, registry=make_registry(), lease_ttl=LEASE_TTL)
    async with ActorSystem("shop") as system, attach_cluster(system, cluster) as node:
        if role == "ledger":
            ledger = system.spawn(Ledger, orders, name="ledger")
            await node.serve_durable("ledger", ledger, ack_wait=2.0)
        elif role.startswith("pricing-"):
            await node.join_pool("pricing", system.spawn(Pricer, role, name="pricer"))
        elif role == "intake":
            await intake(system, node, orders, kill_at)
            return
        else:
            raise SystemExit(f"unknown role {role!r}: ledger, pricing-N or intake")
        print("ready", flush=True)
        await until_terminated()


if __name__ == "__main__":
    role, url, orders, kill_at, *backend = sys.argv[1:]
    anyio.run(main, role, url, int(orders), int(kill_at), backend=(backend or ["asyncio"])[0])
