"""Shopping carts as sharded entities: activated on demand, passivated when idle, reminded later.

Each cart is a durable-state entity addressed by its id: nobody spawns it,
the first message activates it. Idle carts are passivated (stopped) and come
back, with their contents, on the next message. A cart left alone reminds
itself to expire: the reminder is stored in the journal, so it fires even
though the cart was passivated meanwhile, and even after the program
restarted. Run it::

    python examples/sharded_carts.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import anyio
from attrs import frozen

from actors import Actor, ActorSystem
from actors.persistence import DurableStateActor, MessageRegistry, SqliteJournal
from actors.sharding import EntityPassivated

EXPIRE_AFTER = 2.0  # seconds a cart may sit untouched


@frozen
class AddItem:
    item: str


@frozen
class Expire:
    pass


class Tally:
    """Names written down until ``count`` have arrived, then ``done`` is set."""

    def __init__(self, count: int) -> None:
        self.names: list[str] = []
        self.count = count
        self.done = anyio.Event()

    def add(self, name: str) -> None:
        self.names.append(name)
        if len(self.names) >= self.count:
            self.done.set()


class Watcher(Actor):
    """Writes down each passivated cart (subscribed to ``EntityPassivated``)."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally

    def receive(self, message: EntityPassivated) -> None:
        self.tally.add(message.entity_id)


class Cart(DurableStateActor):
    """The items of one cart; ``persistence_id`` is ``"cart/<id>"`` by default."""

    def __init__(self, cart_id: str, expired: Tally) -> None:
        self.cart_id = cart_id
        self.expired = expired
        self.state: list[str] = []

    async def receive(self, message: Any) -> Any:
        match message:
            case AddItem(item):
                await self.save([*self.state, item])
                # Replaces the previous reminder: expiry counts from the last change.
                await self.context.remind("expire", Expire(), after=EXPIRE_AFTER)
            case Expire():
                self.expired.add(f"{self.cart_id} ({', '.join(self.state)})")
                await self.save([])
        return list(self.state)


def registry() -> MessageRegistry:
    found = MessageRegistry()
    found.register(AddItem, Expire)
    return found


async def main(path: Path | None = None) -> None:
    """Two runs of a shop on one journal file."""
    path = path or Path(tempfile.mkdtemp()) / "carts.db"
    expired = Tally(2)
    async with ActorSystem("shop", journal=SqliteJournal(path, registry=registry())) as system:
        passivated = Tally(2)
        system.event_stream.subscribe(system.spawn(Watcher, passivated), EntityPassivated)
        region = await system.start_sharding("cart", Cart, expired, passivate_after=0.1)
        ada, bob = system.entity("cart", "ada"), system.entity("cart", "bob")
        await ada.ask(AddItem("tea"))
        print("ada's cart:", await ada.ask(AddItem("milk")))
        print("bob's cart:", await bob.ask(AddItem("bread")))
        print("live carts:", sorted(region.active_entities))
        await passivated.done.wait()
        print("after a quiet moment, live carts:", sorted(region.active_entities))
        print("ada's cart comes back with:", await ada.ask("show"))
    print("the shop closes with ada's and bob's expiry reminders pending")
    async with ActorSystem("shop", journal=SqliteJournal(path, registry=registry())) as system:
        region = await system.start_sharding("cart", Cart, expired, passivate_after=0.1)
        print("the shop reopens; live carts:", sorted(region.active_entities))
        with anyio.fail_after(10):
            await expired.done.wait()
        print("expired by their reminders:", "; ".join(sorted(expired.names)))
        print("ada's cart now:", await system.entity("cart", "ada").ask("show"))


if __name__ == "__main__":
    anyio.run(main)
