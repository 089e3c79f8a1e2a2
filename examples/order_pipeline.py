"""An order-processing pipeline built from the messaging patterns, with faults injected.

* Two ``Storefront`` event sources emit ``Order``\\ s on a timer.
* A consistent-hash pool of ``OrderHandler``\\ s (``actors.routing``) keeps
  per-customer state: every order of one customer reaches the same handler,
  so its running total needs no coordination. One handler is crashed on
  purpose; the pool restarts it in its slot (the totals live in a store the
  pool's workers share by constructor argument, so they survive).
* Each handler charges the customer through a ``CircuitBreaker``
  (``actors.reliable``) around a flaky ``PaymentService`` that has an
  outage; while the breaker is open, orders are declined fast.
* Accepted payments go to the ``Ledger`` with at-least-once delivery (a
  ``ReliableSender`` per handler, an ``IdempotentReceiver`` ledger). The
  ledger crashes twice mid-stream; every payment is still booked exactly once.

Run it: ``python examples/order_pipeline.py [--backend trio]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import anyio
from attrs import define, field, frozen

from actors import Actor, ActorRef, ActorSystem, Supervisor, props
from actors.reliable import (
    CircuitBreaker,
    CircuitOpenError,
    CircuitStateChanged,
    DedupWindow,
    Delivery,
    IdempotentReceiver,
    Outbox,
    RetryPolicy,
    WaitUntilDelivered,
    spawn_reliable_sender,
)
from actors.routing import ConsistentHash, GetRoutees, spawn_pool
from actors.testing import Crash, InjectedFailure
from supervision import Backoff, OneForOne, child

CUSTOMERS = ("ada", "bob", "cyd", "dee", "eve")


@frozen(kw_only=True)
class Order:
    customer: str
    number: int
    amount: int


@frozen(kw_only=True)
class Payment:
    customer: str
    number: int
    amount: int


@frozen
class Emit:
    """A storefront's own timer message."""


class Storefront(Actor[Emit]):
    """Emits ``count`` orders, one per tick, to the handler pool."""

    def __init__(self, prefix: int, count: int, pool: ActorRef[Order]) -> None:
        self.prefix = prefix
        self.count = count
        self.pool = pool
        self.sent = 0

    def on_start(self) -> None:
        self.timer = self.context.schedule_repeatedly(0.002, Emit())

    def receive(self, message: Emit) -> None:
        if self.sent == self.count:
            self.timer.cancel()
            return
        customer = CUSTOMERS[(self.prefix + self.sent) % len(CUSTOMERS)]
        self.pool.tell(Order(customer=customer, number=self.prefix * 1000 + self.sent, amount=10))
        self.sent += 1


@define(eq=False)
class PaymentService:
    """A flaky resource: down for orders ``outage`` (a range of call numbers)."""

    outage: range
    calls: int = 0

    async def charge(self, order: Order) -> Payment:
        self.calls += 1
        await anyio.lowlevel.checkpoint()
        if self.calls in self.outage:
            raise ConnectionError("payment service unavailable")
        return Payment(customer=order.customer, number=order.number, amount=order.amount)


@define(eq=False)
class Shared:
    """What the handlers share: per-customer totals, the breaker, the ledger's address."""

    ledger: ActorRef
    breaker: CircuitBreaker
    payments: PaymentService
    totals: dict[str, int] = field(factory=dict)
    declined: int = 0
    handled: int = 0
    done: anyio.Event = field(factory=anyio.Event)
    halfway: anyio.Event = field(factory=anyio.Event)
    expected: int = 0
    #: Each handler slot's outbox to the ledger: kept across the handler's restarts.
    outboxes: dict[str, Outbox] = field(factory=dict)


class OrderHandler(Actor[Order | Crash]):
    """Keeps each of its customers' order totals; charges through the breaker."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        self.outbox = spawn_reliable_sender(
            self.context,
            shared.ledger,
            policy=RetryPolicy(backoff=Backoff(min=0.01, max=0.05), max_attempts=100),
            name="to-ledger",
            outbox=shared.outboxes.setdefault(self.context.self_ref.name, Outbox()),
        )

    async def receive(self, message: Order | Crash) -> None:
        if isinstance(message, Crash):
            raise InjectedFailure(message.reason)
        shared = self.shared
        try:
            payment = await shared.breaker.call(shared.payments.charge, message)
        except (ConnectionError, CircuitOpenError):
            shared.declined += 1
        else:
            shared.totals[message.customer] = shared.totals.get(message.customer, 0) + 1
            self.outbox.tell(payment)
        shared.handled += 1
        if shared.handled == shared.expected // 2:
            shared.halfway.set()
        if shared.handled == shared.expected:
            shared.done.set()


@define(eq=False)
class Books:
    """The ledger's bookings, owned by its supervisor: they survive the ledger's crashes."""

    booked: list[Payment] = field(factory=list)
    crash_at: set[int] = field(factory=set)
    crashes: int = 0


class Ledger(IdempotentReceiver):
    def __init__(self, window: DedupWindow, books: Books) -> None:
        super().__init__(window)
        self.books = books

    def handle(self, payload: Any, delivery: Delivery) -> Any:
        books = self.books
        if len(books.booked) in books.crash_at:
            books.crash_at.discard(len(books.booked))
            books.crashes += 1
            raise InjectedFailure("ledger crashed mid-stream")
        books.booked.append(payload)

    def receive_other(self, message: Any) -> Any:
        if message == "count":
            return len(self.books.booked)
        return super().receive_other(message)


class Transitions(Actor[CircuitStateChanged]):
    def __init__(self, seen: list[str]) -> None:
        self.seen = seen

    def receive(self, message: CircuitStateChanged) -> None:
        self.seen.append(f"{message.previous.value}->{message.current.value}")


async def main(*, orders_per_store: int = 60) -> None:
    books = Books(crash_at={20, 60})
    transitions: list[str] = []

    class Accounts(Supervisor):
        strategy = OneForOne(max_restarts=10, within=5.0)
        children = [child(Ledger, DedupWindow(), books, name="ledger")]  # noqa: RUF012

    async with ActorSystem("orders") as system:
        system.event_stream.subscribe(system.spawn(Transitions, transitions), CircuitStateChanged)
        system.spawn(Accounts, name="accounts")
        ledger = system.lookup("accounts/ledger")
        assert ledger is not None
        breaker = CircuitBreaker(
            "payments", failure_threshold=3, reset_timeout=0.01, event_stream=system.event_stream
        )
        shared = Shared(ledger, breaker, PaymentService(outage=range(20, 24)))
        shared.expected = 2 * orders_per_store
        pool = spawn_pool(  # a RouterRef[Order | Crash]
            system,
            OrderHandler,
            shared,
            size=4,
            routing=ConsistentHash(lambda order: order.customer),
            name="handlers",
        )
        for prefix in (1, 2):
            system.spawn(props(Storefront, prefix, orders_per_store, pool), name=f"store-{prefix}")
        with anyio.fail_after(20):
            await shared.halfway.wait()
            crashed = (await pool.router.ask(GetRoutees()))[0]
            await _crash(crashed)  # mid-stream: its orders wait in its mailbox meanwhile
            await shared.done.wait()
            accepted = sum(shared.totals.values())
            for handler in await pool.router.ask(GetRoutees()):
                sender = system.lookup(f"{handler.path}/to-ledger")
                if sender is not None:
                    await sender.ask(WaitUntilDelivered())  # every payment acknowledged
        declined = shared.declined
        print(f"orders handled: {shared.handled}, declined while payments were down: {declined}")
        print(f"breaker transitions: {' '.join(transitions)}")
        print(f"per-customer totals: {dict(sorted(shared.totals.items()))}")
        numbers = [payment.number for payment in books.booked]
        print(f"ledger crashes: {books.crashes}, bookings: {len(numbers)}, accepted: {accepted}")
        print(f"booked exactly once: {len(numbers) == len(set(numbers)) == accepted}")
        resends = sum(outbox.resends for outbox in shared.outboxes.values())
        print(f"deliveries sent again after a crash: {resends > 0}")
        print(f"handler restarted in its slot: {crashed.statistics().restarts == 1}")


async def _crash(handler: ActorRef[Crash]) -> None:
    try:
        await handler.ask(Crash("fault injected by the example"))
    except InjectedFailure:
        print(f"{handler.path} crashed on purpose")


def run(argv: Sequence[str] | None = None) -> None:
    """Parse ``--backend`` and run :func:`main` on it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    options = parser.parse_args(argv)
    anyio.run(main, backend=options.backend)


if __name__ == "__main__":
    run()
