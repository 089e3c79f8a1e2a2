"""The shop's messages and actors, shared by every node of the cluster example.

* ``Clerk`` (on the intake node) takes an order, has it priced by the
  ``pricing`` pool, and posts it to the ledger's durable mailbox. A pricing
  request that gets no answer (its member died) is asked again: pricing is
  idempotent, so a retry is safe.
* ``Pricer`` (one on each pricing node) prices an order.
* ``Ledger`` (on the ledger node, behind a durable mailbox) books each order
  once, by its number: delivery is at least once, so a redelivered posting is
  recognised and skipped.
"""

from __future__ import annotations

import anyio
from attrs import define, frozen

from actors import Actor, ActorRef, Request
from actors.remote import ActorNotFound, DurableRef, MessageRegistry, RemoteError

#: Cents per unit of each product.
PRICES = {"apple": 40, "pear": 55, "plum": 25}

#: Seconds one pricing takes (a real pricer would call a service here).
PRICING_WORK = 0.005

#: Seconds a clerk waits for a price before asking again.
PRICING_TIMEOUT = 1.0


@frozen(kw_only=True)
class PlaceOrder:
    """An order, as it arrives at the intake."""

    order: int
    sku: str
    qty: int


@frozen(kw_only=True)
class PriceOrder(Request["Priced"]):
    """Asks the pricing pool for the price of an order; the reply is a ``Priced``."""

    order: int
    sku: str
    qty: int


@frozen(kw_only=True)
class Priced:
    """A price, and the pricing node that computed it."""

    order: int
    cents: int
    priced_by: str


@frozen(kw_only=True)
class Posting:
    """What the ledger books for a priced order; the order number is its id."""

    order: int
    cents: int
    priced_by: str


def make_registry() -> MessageRegistry:
    """The types that cross the wire: the same on every node."""
    registry = MessageRegistry()
    registry.register(PriceOrder, Priced, Posting)
    return registry


class Pricer(Actor[PriceOrder]):
    """Prices orders; a member of the cluster-wide ``pricing`` pool."""

    def __init__(self, node: str) -> None:
        self.node = node

    async def receive(self, message: PriceOrder) -> Priced:
        await anyio.sleep(PRICING_WORK)
        cents = PRICES[message.sku] * message.qty
        return Priced(order=message.order, cents=cents, priced_by=self.node)


@define
class Retries:
    """How many pricing requests went unanswered and were asked again."""

    count: int = 0


class Clerk(Actor[PlaceOrder]):
    """Takes an order: has it priced (asking again if need be), then posts it to the ledger."""

    def __init__(
        self, pricing: ActorRef[PriceOrder], ledger: DurableRef[Posting], retries: Retries
    ) -> None:
        self.pricing = pricing
        self.ledger = ledger
        self.retries = retries

    async def receive(self, message: PlaceOrder) -> Priced:
        request = PriceOrder(order=message.order, sku=message.sku, qty=message.qty)
        while True:
            try:
                priced = await request.ask(self.pricing, timeout=PRICING_TIMEOUT)
                break
            except (TimeoutError, ActorNotFound, RemoteError):
                self.retries.count += 1  # its pricer died: any other member will do
        posting = Posting(order=priced.order, cents=priced.cents, priced_by=priced.priced_by)
        # Stored in JetStream before this returns; the id makes a resend harmless.
        await self.ledger.send(posting, message_id=f"order-{message.order}")
        return priced


class Ledger(Actor[Posting]):
    """Books each order once by its number, and reports once all ``expected`` are booked."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.booked: dict[int, Posting] = {}
        self.skipped = 0

    def receive(self, message: Posting) -> None:
        if message.order in self.booked:
            self.skipped += 1  # delivered again: booked already
            return
        self.booked[message.order] = message
        if len(self.booked) == self.expected:
            by_node: dict[str, int] = {}
            for posting in self.booked.values():
                by_node[posting.priced_by] = by_node.get(posting.priced_by, 0) + 1
            priced = " ".join(f"{node}={count}" for node, count in sorted(by_node.items()))
            total = sum(posting.cents for posting in self.booked.values())
            print(
                f"booked {len(self.booked)} orders {min(self.booked)}-{max(self.booked)}, "
                f"total {total} cents, skipped {self.skipped} redelivered; priced by {priced}",
                flush=True,
            )
        return
