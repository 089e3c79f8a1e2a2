"""Hot code upgrade of a running counter service, without losing a message.

A ``CounterV1`` service counts hits per page in a dict. While clients keep
sending hits, the program upgrades it in place to ``CounterV2``, which keeps
its counts in a ``collections.Counter`` and also remembers the total:
``CounterV2.code_change`` migrates the state (OTP's ``code_change``). The
upgrade is a control message: the hit being handled finishes on the old code,
the queued hits are handled by the new code, and every client's ``ask`` gets
its answer. A second upgrade whose ``code_change`` raises is rolled back: the
service keeps running ``CounterV2``.

Run it: ``python examples/counter_upgrade.py [--backend trio]``.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any, Self

import anyio
from attrs import frozen

from actors import Actor, ActorRef, ActorSystem


@frozen
class Hit:
    page: str


@frozen
class Report:
    """Ask for (version, counts per page, total)."""


class CounterV1(Actor):
    def __init__(self) -> None:
        self.hits: dict[str, int] = {}

    def receive(self, message: Any) -> Any:
        match message:
            case Hit(page):
                self.hits[page] = self.hits.get(page, 0) + 1
                return None
            case Report():
                return "v1", dict(self.hits), sum(self.hits.values())
        return None


class CounterV2(Actor):
    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.total = 0
        self.migrated = 0

    @classmethod
    def code_change(cls, old: Actor, extra: Any) -> Self:
        assert isinstance(old, CounterV1)
        new = super().code_change(old, extra)  # copies old.hits (a dict) and the context
        new.hits = Counter(old.hits)
        new.total = new.migrated = sum(old.hits.values())
        return new

    def receive(self, message: Any) -> Any:
        match message:
            case Hit(page):
                self.hits[page] += 1
                self.total += 1
                return None
            case Report():
                return "v2", dict(self.hits), self.total
            case "migrated":
                return self.migrated
        return None


class CounterV3(CounterV2):
    @classmethod
    def code_change(cls, old: Actor, extra: Any) -> Self:
        raise RuntimeError("v3 is not ready")


async def client(service: ActorRef, page: str, hits: int) -> None:
    for number in range(hits):
        service.tell(Hit(page))
        if number % 10 == 0:
            await anyio.lowlevel.checkpoint()  # let the upgrade land mid-stream


async def main() -> None:
    async with ActorSystem("counters") as system:
        service = system.spawn(CounterV1, name="counter")
        async with anyio.create_task_group() as group:
            for page, hits in (("home", 300), ("about", 200)):
                group.start_soon(client, service, page, hits)
            await anyio.lowlevel.checkpoint()
            version, counts, total = await service.ask(Report())
            print(f"before the upgrade: {version}, {total} hits so far")
            await system.upgrade(service, CounterV2)
            print("upgraded to CounterV2 while clients kept sending")
        version, counts, total = await service.ask(Report())
        print(f"after the clients: {version} counts {dict(sorted(counts.items()))}, total {total}")
        print(f"CounterV2 took over with {await service.ask('migrated')} hits from CounterV1")
        print(f"hits lost: {500 - total}")
        try:
            await system.upgrade(service, CounterV3)
        except RuntimeError as error:
            print(f"upgrade to CounterV3 refused: {error}")
        service.tell(Hit("home"))
        version, counts, total = await service.ask(Report())
        print(f"still running: {version}, total {total}")


if __name__ == "__main__":
    anyio.run(main, backend=sys.argv[2] if sys.argv[1:2] == ["--backend"] else "asyncio")
