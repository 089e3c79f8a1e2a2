"""hypothesis helpers: strategies from attrs messages, and the stateful-test base."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from attrs import define, frozen
from hypothesis import given, settings
from hypothesis import strategies as st

from actors import Actor, ActorRef, Supervisor
from actors.testing import Crash, InjectedFailure
from actors.testing.protocols import ProtocolMachine, from_attrs, messages
from supervision import OneForOne, child


@frozen
class Deposit:
    amount: int


@frozen
class Withdraw:
    amount: int


@given(message=messages(Deposit, Withdraw, amount=st.integers(1, 100)))
def test_messages_draws_instances_of_the_attrs_classes(message: Any) -> None:
    assert isinstance(message, Deposit | Withdraw)
    assert 1 <= message.amount <= 100


def test_from_attrs_refuses_other_classes() -> None:
    with pytest.raises(
        TypeError,
        match=r"^from_attrs\(\) needs an attrs class \(got <class 'int'>\); decorate it with @frozen$",
    ):
        from_attrs(int)


@define(eq=False)
class Books:
    """The account's durable state: a constructor argument, so it survives restarts."""

    balance: int = 0
    refused: int = 0


class Account(Actor):
    def __init__(self, books: Books) -> None:
        self.books = books

    def receive(self, message: Any) -> Any:
        match message:
            case Crash():
                raise InjectedFailure("injected by the state machine")
            case Deposit(amount):
                self.books.balance += amount
            case Withdraw(amount) if amount <= self.books.balance:
                self.books.balance -= amount
            case Withdraw():
                self.books.refused += 1
            case "balance":
                return self.books.balance


class AccountMachine(ProtocolMachine):
    """Balance never negative, and always what a plain model computes, through crashes."""

    def __init__(self) -> None:
        self.books = Books()
        self.model = 0
        super().__init__()

    async def start_actors(self) -> None:
        books = self.books

        class Branch(Supervisor):
            # Under the /user guardian, four crashes in five seconds would stop
            # the account for good: the first run of this machine found that.
            strategy = OneForOne(max_restarts=1000, within=1.0)
            children = [child(Account, books, name="account")]  # noqa: RUF012

        self.system.spawn(Branch, name="branch")
        account = self.system.lookup("branch/account")
        assert account is not None
        self.account = account

    def messages(self) -> st.SearchStrategy[Any]:
        return messages(Deposit, Withdraw, amount=st.integers(1, 50))

    def targets(self) -> Sequence[ActorRef]:
        return [self.account]

    async def deliver(self, target: ActorRef, message: Any) -> None:
        await super().deliver(target, message)
        if isinstance(message, Deposit):
            self.model += message.amount
        elif message.amount <= self.model:
            self.model -= message.amount

    async def assert_invariants(self) -> None:
        balance = await self.account.ask("balance", timeout=5)
        assert balance == self.model >= 0


TestAccountMachine = AccountMachine.TestCase
TestAccountMachine.settings = settings(max_examples=15, stateful_step_count=15, deadline=None)


class TrioAccountMachine(AccountMachine):
    backend = "trio"


TestTrioAccountMachine = TrioAccountMachine.TestCase
TestTrioAccountMachine.settings = settings(max_examples=10, stateful_step_count=10, deadline=None)
