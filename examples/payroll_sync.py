"""Actors from a plain synchronous script: a supervised pool behind ``BlockingActorSystem``.

No ``async``, no event loop in sight. A payroll job reads lines of
``name,amount`` and parses them on a pool of three ``Parser`` actors, from
four threads at once (a ``ThreadPoolExecutor``), then books each entry with
a ``Ledger``. A ``Payroll`` supervisor owns both: the ledger as a declared
child, the pool spawned in ``on_start``.

A malformed line makes its parser fail: the blocking ``ask`` raises the
parser's own ``ValueError`` in the calling thread, and the pool (a
supervisor) restarts that worker, so the job goes on. Leaving the ``with``
block stops every actor gracefully: the ledger's ``on_stop`` reports what
it booked. Run with ``--backend trio`` to use trio's loop instead.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor

from attrs import frozen

from actors import Actor, ActorRef, Supervisor
from actors.blocking import BlockingActorSystem
from actors.routing import GetRoutees, RouterRef, spawn_pool
from supervision import OneForOne, child

LINES = [
    "ada,120",
    "bob,80",
    "ada,not a number",
    "cy,45",
    "bob,20",
    "dee",
    "cy,15",
    "ada,30",
]


@frozen
class Parse:
    """Parse one line; the reply is an ``Entry``."""

    line: str


@frozen
class Entry:
    """One booked amount."""

    name: str
    amount: int


@frozen
class Totals:
    """Ask the ledger for the totals by name."""


@frozen
class Parts:
    """Ask the payroll for its pool and its ledger."""


class Parser(Actor):
    def receive(self, message: object) -> Entry:
        assert isinstance(message, Parse)
        name, separator, amount = message.line.partition(",")
        if not separator:
            raise ValueError(f"no amount in {message.line!r}")
        return Entry(name, int(amount))  # int() raises ValueError on a bad amount


class Ledger(Actor):
    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.entries = 0

    def on_stop(self) -> None:
        print(f"ledger closed after {self.entries} entries")

    def receive(self, message: object) -> dict[str, int] | None:
        match message:
            case Entry(name, amount):
                self.totals[name] = self.totals.get(name, 0) + amount
                self.entries += 1
            case Totals():
                return dict(sorted(self.totals.items()))
        return None


class Payroll(Supervisor):
    strategy = OneForOne(max_restarts=3, within=5.0)
    children = (child(Ledger, name="ledger"),)

    def on_start(self) -> None:
        self.parsers = spawn_pool(self.context, Parser, size=3, name="parsers")

    def receive(self, message: object) -> tuple[RouterRef, ActorRef]:
        ledger = self.context.children[0]
        return self.parsers, ledger  # answers any message with its parts


def main(backend: str = "asyncio") -> None:
    with BlockingActorSystem("payroll", backend=backend) as system:
        payroll = system.spawn(Payroll, name="payroll")
        parsers_ref, ledger_ref = payroll.ask(Parts(), timeout=5)
        parsers, ledger = system.wrap(parsers_ref), system.wrap(ledger_ref)

        def book(line: str) -> str:
            try:
                entry = parsers.ask(Parse(line), timeout=5)
            except ValueError as error:
                return f"rejected {line!r}: {error}"
            ledger.tell(entry)  # never blocks
            return f"booked {entry.amount} for {entry.name}"

        with ThreadPoolExecutor(max_workers=4) as threads:
            for outcome in threads.map(book, LINES):
                print(outcome)

        # Asked after every tell above was made: the ledger has booked them all.
        print(f"totals: {ledger.ask(Totals(), timeout=5)}")
        workers = system.wrap(parsers_ref.router).ask(GetRoutees(), timeout=5)
        restarts = sum(system.call(worker.statistics).restarts for worker in workers)
        print(f"parser restarts: {restarts} (the pool kept {len(workers)} workers)")
    print("payroll stopped")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    main(parser.parse_args().backend)
