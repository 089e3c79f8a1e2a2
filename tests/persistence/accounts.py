"""A persistent account, used by the actor tests."""

from __future__ import annotations

from typing import Any

from attrs import frozen

from actors import ActorRef
from actors.persistence import EventSourcedActor
from tests.persistence.events import Added, Total


@frozen
class Add:
    amount: int


@frozen
class Crash:
    pass


class Account(EventSourcedActor):
    """Sums ``Added`` events; replies to ``Add`` with the new total, to ``"total"`` with it."""

    def __init__(self, log: list[Any] | None = None) -> None:
        self.total = 0
        self.count = 0
        self.log = log if log is not None else []

    def apply(self, event: Any) -> None:
        match event:
            case Added(amount):
                if amount < 0 and self.total + amount < -1000:
                    raise ValueError(f"cannot apply {amount}")
                self.total += amount
                self.count += 1
        self.log.append(("apply", event))

    def on_recovered(self) -> None:
        self.log.append(("recovered", self.total, self.sequence_number))

    async def receive(self, message: Any) -> Any:
        match message:
            case Add(amount):
                await self.persist(Added(amount))
                return self.total
            case "total":
                self.log.append(("handled", "total", self.total))
                return self.total
            case ("total", tag):
                self.log.append(("handled", tag, self.total))
                return self.total
            case Crash():
                raise RuntimeError("crash")
            case ("persist many", amounts):
                await self.persist(*[Added(amount) for amount in amounts])
                return self.total
            case ("tell after persist", amount, target):
                await self.persist(Added(amount))
                assert isinstance(target, ActorRef)
                target.tell(self.total)
                return None


class SnapshottingAccount(Account):
    snapshot_every = 3
    snapshots_kept = 2

    def snapshot(self) -> object:
        return Total(self.total, self.count)

    def restore(self, snapshot: Any) -> None:
        self.log.append(("restore", snapshot))
        self.total = snapshot.total
        self.count = snapshot.count
