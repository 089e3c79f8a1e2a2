"""A bank as a supervision tree with persistent accounts: the anyactors showcase (``make demo``).

``Bank`` is a ``Supervisor`` that declares two accounts and an auditor as its
children. Money moves only by message: deposits, withdrawals, and transfers in
which one account tells the other to credit the amount. Accounts are
event-sourced (``actors.persistence``): each posting is persisted to a SQLite
journal before it is acknowledged, and an account recovers its balance from
the journal whenever it starts. The bank's ``OneForOne`` strategy has a
``decider``:

* ``InsufficientFunds`` is a business error: ``RESUME`` keeps the account's
  state, and the caller of ``ask`` still gets the exception;
* anything else is a crash: ``RESTART`` builds a fresh account under the same
  ref, which recovers its balance from the journal, while the other accounts
  keep going.

The auditor counts every posting through ``system.event_stream``, and a
dead-letter listener counts the money sent to an account after it was closed.
At the end the bank closes (the whole actor system exits) and reopens on the
same journal file, and every account is back with what it held.

Run it with ``python examples/bank.py [--backend trio]``. With ``--observer``
(``make demo OBSERVER=1``) it serves the live observer page (``actors.observer``,
needs ``anyactors[observer]``) and, after the story, keeps the bank busy: a
deposit every half second, and a crash of ada every few seconds, so that you
can watch her supervisor restart her (or use the page's own buttons). Stop it
with Ctrl+C.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import anyio
from attrs import frozen

from actors import Actor, ActorRef, ActorSystem, DeadLetter, Supervisor
from actors.persistence import EventSourcedActor, MessageRegistry, SqliteJournal
from supervision import Directive, OneForOne, child


@frozen
class Deposit:
    amount: int


@frozen
class Transfer:
    amount: int
    to: ActorRef


@frozen
class Fault:
    """Make an account crash, as a bug would."""


@frozen
class Report:
    """Ask for a figure: an account's balance, the auditor's postings, the bank's accounts."""


@frozen(kw_only=True)
class Posted:
    """Event: an account's balance changed by ``amount``; stored, then published."""

    account: str
    amount: int
    balance: int


def bank_registry() -> MessageRegistry:
    """The types the journal stores, under stable names (a class may be renamed later)."""
    registry = MessageRegistry()
    registry.register(Posted, tag="bank.Posted")
    return registry


class InsufficientFundsError(Exception):
    """A business error: the account keeps its state (the decider resumes it)."""


def bank_decider(error: BaseException) -> Directive:
    """Resume after a business error, restart after anything else that is an Exception."""
    if isinstance(error, InsufficientFundsError):
        return Directive.RESUME
    return Directive.RESTART if isinstance(error, Exception) else Directive.ESCALATE


class Account(EventSourcedActor):
    """An account whose balance is the sum of its persisted postings.

    Its persistence id is its path (``/user/bank/ada``), so the account of
    that name finds its postings after a restart, and in the next run.
    """

    def __init__(self, opening_balance: int) -> None:
        self.balance = opening_balance

    def apply(self, event: object) -> None:
        if isinstance(event, Posted):
            self.balance = event.balance

    async def _post(self, amount: int) -> int:
        if self.balance + amount < 0:
            raise InsufficientFundsError(
                f"{self.context.self_ref.name} has {self.balance}, cannot pay {-amount}"
            )
        event = Posted(
            account=self.context.self_ref.name, amount=amount, balance=self.balance + amount
        )
        await self.persist(event)  # stored before anyone hears of it
        self.context.system.event_stream.publish(event)
        return self.balance

    async def receive(self, message: object) -> int:
        match message:
            case Deposit(amount):
                return await self._post(amount)
            case Transfer(amount, to):
                balance = await self._post(-amount)
                to.tell(Deposit(amount))
                return balance
            case Report():
                return self.balance
            case Fault():
                raise RuntimeError("ledger corrupted")
        raise TypeError(f"an account cannot handle {message!r}")


class Auditor(Actor):
    """Counts every posting of every account, from the event stream."""

    def __init__(self) -> None:
        self.postings = 0

    def on_start(self) -> None:
        self.context.system.event_stream.subscribe(self.context.self_ref, Posted)

    def receive(self, message: object) -> int | None:
        if isinstance(message, Posted):
            self.postings += 1
            return None
        return self.postings if isinstance(message, Report) else None


class Bank(Supervisor):
    strategy = OneForOne(max_restarts=3, within=5.0, decider=bank_decider)
    children = (
        child(Account, 100, name="ada"),
        child(Account, 50, name="bob"),
        child(Auditor, name="auditor"),
    )

    def receive(self, message: object) -> dict[str, ActorRef]:
        if isinstance(message, Report):
            return {ref.name: ref for ref in self.context.children}
        raise TypeError(f"the bank cannot handle {message!r}")


class DeadLetterCounter(Actor):
    def __init__(self) -> None:
        self.lost = 0

    def receive(self, message: object) -> int | None:
        if isinstance(message, DeadLetter) and isinstance(message.message, Deposit):
            self.lost += message.message.amount
            print(f"  dead letter: {message.message} for {message.recipient.path}")
        return self.lost if isinstance(message, Report) else None


async def main(*, observer_port: int | None = None) -> None:
    """Tell the bank's story; with ``observer_port``, serve the observer and keep going."""
    with tempfile.TemporaryDirectory() as directory:
        await tell_the_story(Path(directory) / "bank.db", observer_port=observer_port)


async def tell_the_story(path: Path, *, observer_port: int | None) -> None:
    """The story, on a fresh journal file at ``path``."""
    journal = SqliteJournal(path, registry=bank_registry())
    async with ActorSystem("bank", journal=journal) as system:
        if observer_port is not None:
            await start_observer(system, port=observer_port)
        bank = system.spawn(Bank, name="bank")
        dead = system.spawn(DeadLetterCounter, name="dead-letters")
        system.event_stream.subscribe(dead, DeadLetter)
        # spawn() returns before the bank has started its children; asking the
        # bank waits for its start, so the accounts exist once it answers.
        accounts = await bank.ask(Report())
        ada, bob, auditor = accounts["ada"], accounts["bob"], accounts["auditor"]

        async def balances(when: str) -> None:
            print(f"{when}: ada={await ada.ask(Report())} bob={await bob.ask(Report())}")

        await balances("opening balances")
        await ada.ask(Deposit(20))
        await ada.ask(Transfer(70, bob))
        await balances("after ada deposits 20 and sends 70 to bob")

        try:
            await ada.ask(Transfer(500, bob))
        except InsufficientFundsError as error:
            print(f"business error, ada resumed with her state: {error}")
        await balances("after the refused transfer")

        try:
            await ada.ask(Fault())
        except RuntimeError as error:
            print(f"ada crashed ({error}); the bank restarts her alone")
        await bob.ask(Deposit(5))  # bob keeps going meanwhile
        assert system.lookup("bank/ada") == ada  # a restart keeps the ref
        await balances("after ada's restart (her balance recovered) and bob's deposit of 5")

        await system.stop(bob)
        print("bob's account is closed")
        await ada.ask(Transfer(30, bob))
        print(f"auditor saw {await auditor.ask(Report())} postings")
        print(f"money lost to closed accounts: {await dead.ask(Report())}")
        by_type = {kind.__name__: count for kind, count in system.dead_letters.items()}
        print(f"dead letters by type: {by_type}")
        if observer_port is not None:
            await keep_busy(ada)
    print(f"the bank closes; its journal {path.name} keeps every posting")

    reopened = SqliteJournal(path, registry=bank_registry())
    async with ActorSystem("bank", journal=reopened) as system:
        accounts = await system.spawn(Bank, name="bank").ask(Report())
        ada, bob = accounts["ada"], accounts["bob"]
        print(
            f"the bank reopens from {path.name}: "
            f"ada={await ada.ask(Report())} bob={await bob.ask(Report())}"
        )


async def start_observer(system: ActorSystem, *, port: int) -> None:
    """Serve the observer page, with its actions on (it listens on loopback only)."""
    from actors.observer import serve_observer  # noqa: PLC0415 - only with --observer

    observer = await serve_observer(
        system, port=port, actions=True, message_types=[Deposit, Report, Fault]
    )
    print(f"observer: {observer.url}?token={observer.token} (Ctrl+C to stop)", flush=True)


async def keep_busy(ada: ActorRef) -> None:
    """Keep ada busy, and crashing now and then, until cancelled: for the observer page."""
    ticks = 0
    while True:
        await anyio.sleep(0.5)
        ticks += 1
        ada.tell(Deposit(1))
        if ticks % 8 == 0:
            ada.tell(Fault())  # crashes her: watch the restart on the page


def run(argv: Sequence[str] | None = None) -> None:
    """Parse ``--backend`` (and ``--observer``, ``--port``) and run :func:`main` on it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument(
        "--observer", action="store_true", help="serve the live observer page and keep running"
    )
    parser.add_argument(
        "--port", type=int, default=8089, help="the observer's port (0: any free port)"
    )
    options = parser.parse_args(argv)
    port = options.port if options.observer else None
    try:
        anyio.run(partial(main, observer_port=port), backend=options.backend)
    except KeyboardInterrupt:
        print("stopped")


if __name__ == "__main__":
    run()
