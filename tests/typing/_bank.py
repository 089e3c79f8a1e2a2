"""A small typed bank, shared by the type-checker cases (accepted.py, rejected.py)."""

from __future__ import annotations

from typing import Any

from attrs import frozen

from actors import Actor, Request


@frozen
class Deposit:
    amount: int


@frozen
class Withdraw:
    amount: int


@frozen
class GetBalance(Request[int]):
    """Answered with the balance, an ``int``."""


@frozen
class GetOwner(Request[str]):
    """Answered with the owner's name."""


class Account(Actor[Deposit | GetBalance | GetOwner]):
    """Takes deposits and answers its balance; refuses withdrawals (not in its type)."""

    def __init__(self, owner: str, *, limit: int = 0) -> None:
        self.owner = owner
        self.limit = limit
        self.balance = 0

    def receive(self, message: Deposit | GetBalance | GetOwner) -> int | str | None:
        match message:
            case Deposit(amount):
                self.balance += amount
            case GetBalance():
                return self.balance
            case GetOwner():
                return self.owner
        return None


class Auditor(Actor[Withdraw]):
    """Accepts only withdrawals: a GetBalance is not for it."""

    def receive(self, message: Withdraw) -> None:
        return None


class Echo(Actor):
    """Untyped: a bare Actor accepts anything and answers it back."""

    def receive(self, message: Any) -> Any:
        return message
