"""Mistakes both checkers must report: each marked line carries the exact expected error.

``mypy --strict`` (which warns about unused ignores) must pass with the
``# type: ignore[code]`` comments, and basedpyright (type-ignore comments
disabled, unnecessary ``# pyright: ignore`` an error) with the
``# pyright: ignore[rule]`` ones: so each line must fail with exactly that
error in each checker. Never run.
"""

from __future__ import annotations

from actors import Actor, ActorRef, ActorSystem, narrow_ref, props
from actors.routing import spawn_pool

from ._bank import Account, Auditor, Deposit, GetBalance, Withdraw


async def wrong_message_to_a_typed_ref(system: ActorSystem) -> None:
    account = system.spawn(Account, "ada")
    account.tell(Withdraw(5))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await account.send(Withdraw(5))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await account.ask(Withdraw(5))  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    withdrawals: ActorRef[Withdraw] = account  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    pool = spawn_pool(system, Account, "pool", size=2)
    pool.tell(Withdraw(5))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    print(withdrawals)


async def wrong_reply_type(system: ActorSystem) -> None:
    account = system.spawn(Account, "ada")
    owner: str = await account.ask(GetBalance())  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    also: str = await GetBalance().ask(account)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(owner, also)


async def request_to_a_ref_that_does_not_accept_it(system: ActorSystem) -> None:
    auditor = system.spawn(Auditor)
    # The checked spelling catches it; account.ask(GetBalance()) checks the reply only.
    await GetBalance().ask(auditor)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def wrong_constructor_arguments(system: ActorSystem) -> None:
    system.spawn(props(Account, 42))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    system.spawn(props(Account))  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    system.spawn(props(Account, "ada", limt=3))  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    system.spawn(props(Account, "ada"), "extra")  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]


def narrowing_needs_an_actor_class(ref: ActorRef) -> None:
    narrow_ref(ref, Deposit)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


class ReceivesOtherThanItDeclares(Actor[Deposit]):
    def receive(self, message: Withdraw) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return None
