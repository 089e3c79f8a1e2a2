"""A process holding a journal-backed reliable sender and receiver, to be killed with SIGKILL.

``python -m tests.persistence.reliable_node --backend trio --count 300 --postgres CONNINFO``
(or ``--sqlite PATH``). It recovers both from the journal, accepts orders
``accepted + 1 .. count`` one by one (``ask``: each is in the journal when
``accepted N`` is printed), waits until every order is delivered, and prints
``booked`` with the order numbers its ledger holds, in the order booked.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import anyio
from attrs import frozen

from actors import ActorSystem
from actors.persistence import MessageRegistry
from actors.reliable import (
    DedupWindow,
    Delivery,
    GetDeliveryStatistics,
    IdempotentReceiver,
    RetryPolicy,
    WaitUntilDelivered,
    register_delivery_records,
    spawn_reliable_sender,
)
from supervision import Backoff


@frozen
class Order:
    number: int


@frozen
class Booked:
    number: int


@frozen
class GetBooked:
    pass


class Ledger(IdempotentReceiver):
    """Books each order once: its state is what its journal-backed window recorded."""

    def __init__(self, window: DedupWindow) -> None:
        super().__init__(window)
        self.booked: list[int] = []

    def handle(self, payload: Any, delivery: Delivery) -> None:
        self.record(Booked(payload.number))

    def apply(self, event: Any) -> None:
        self.booked.append(event.number)

    def snapshot(self) -> Any:
        return list(self.booked)

    def restore(self, state: Any) -> None:
        self.booked = list(state)

    def receive_other(self, message: Any) -> Any:
        if isinstance(message, GetBooked):
            return list(self.booked)
        return super().receive_other(message)


def registry() -> MessageRegistry:
    """The stored types: the orders, the ledger's events and the delivery records."""
    registry = MessageRegistry()
    registry.register(Order, tag="test.Order")
    registry.register(Booked, tag="test.Booked")
    return register_delivery_records(registry)


def open_journal(arguments: argparse.Namespace) -> Any:
    if arguments.postgres:
        from actors.persistence import PostgresJournal

        return PostgresJournal(arguments.postgres, registry=registry())
    from actors.persistence import SqliteJournal

    return SqliteJournal(arguments.sqlite, registry=registry())


async def main(arguments: argparse.Namespace) -> None:
    journal = open_journal(arguments)
    try:
        async with ActorSystem("node") as system:
            window = DedupWindow.in_journal(journal, "ledger-inbox", snapshot_every=50)
            ledger = system.spawn(Ledger, window, name="ledger")
            sender = spawn_reliable_sender(
                system,
                ledger,
                journal=journal,
                producer_id="orders",
                snapshot_every=64,
                policy=RetryPolicy(backoff=Backoff(min=0.05, max=0.5), max_attempts=1000),
                name="sender",
            )
            statistics = await sender.ask(GetDeliveryStatistics(), timeout=30)
            print(f"recovered {statistics.sent}", flush=True)
            for number in range(statistics.sent + 1, arguments.count + 1):
                await sender.ask(Order(number), timeout=30)
                print(f"accepted {number}", flush=True)
            await sender.ask(WaitUntilDelivered(), timeout=60)
            booked = await ledger.ask(GetBooked(), timeout=30)
            print(f"booked {json.dumps(booked)}", flush=True)
    finally:
        await journal.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["asyncio", "trio"], required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--postgres")
    parser.add_argument("--sqlite")
    parsed = parser.parse_args()
    anyio.run(main, parsed, backend=parsed.backend)
