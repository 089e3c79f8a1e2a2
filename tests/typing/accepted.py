"""Typed spellings that both checkers must accept; also run for real by test_type_checkers.py.

Checked with ``mypy --strict`` and basedpyright (strict); every ``assert_type``
is verified by both.
"""

from __future__ import annotations

from typing import Any, assert_type

from actors import Actor, ActorRef, ActorSystem, narrow_ref, props
from actors.remote import PoolRef, RemoteActorRef
from actors.routing import BalancingRef, RouterRef, spawn_balancing_pool, spawn_group, spawn_pool

from ._bank import Account, Deposit, Echo, GetBalance, GetOwner

AccountMessage = Deposit | GetBalance | GetOwner


async def typed_refs(system: ActorSystem) -> None:
    account = system.spawn(Account, "ada", name="ada")
    assert_type(account, ActorRef[AccountMessage])
    account.tell(Deposit(10))
    await account.send(Deposit(5))
    # The reply type comes from Request[int] ...
    balance = await account.ask(GetBalance())
    assert_type(balance, int)
    owner: str = await account.ask(GetOwner(), timeout=5)
    # ... and the checked spelling verifies that account accepts GetBalance too.
    assert_type(await GetBalance().ask(account), int)
    assert balance == 15
    assert owner == "ada"
    # Contravariance: a ref accepting more is a ref accepting less.
    deposits: ActorRef[Deposit] = account
    deposits.tell(Deposit(1))


async def typed_constructor_arguments(system: ActorSystem) -> None:
    checked = system.spawn(props(Account, "bob", limit=100), name="bob")
    assert_type(checked, ActorRef[AccountMessage])
    # The untyped spelling keeps working (its arguments are checked when the actor starts).
    unchecked = system.spawn(Account, "cy", name="cy", kwargs={"limit": 5})
    assert_type(unchecked, ActorRef[AccountMessage])
    assert await GetOwner().ask(checked) == "bob"
    assert await unchecked.ask(GetOwner()) == "cy"


async def untyped_refs(system: ActorSystem, anything: ActorRef) -> None:
    # Bare Actor and bare ActorRef mean Any: such code passes --strict unchanged.
    echo = system.spawn(Echo)
    assert_type(echo, ActorRef[Any])
    echo.tell(object())
    number: int = await echo.ask(42)
    assert number == 42
    anything.tell("whatever")


async def narrowing(system: ActorSystem) -> None:
    found = system.lookup("ada")
    assert found is not None
    assert_type(found, ActorRef[Any])
    account = narrow_ref(found, Account)
    assert_type(account, ActorRef[AccountMessage])
    assert await GetBalance().ask(account) == 16


class Branch(Actor[GetBalance]):
    """Spawns a typed child from its context and forwards balance requests to it."""

    def on_start(self) -> None:
        self.account = self.context.spawn(props(Account, "branch"), name="account")
        assert_type(self.account, ActorRef[AccountMessage])
        self.account.tell(Deposit(2))

    async def receive(self, message: GetBalance) -> int:
        return await self.account.ask(message)


async def children(system: ActorSystem) -> None:
    branch = system.spawn(Branch)
    assert await GetBalance().ask(branch) == 2


async def routers(system: ActorSystem) -> None:
    pool = spawn_pool(system, Account, "pool", size=2)
    assert_type(pool, RouterRef[AccountMessage])
    pool.tell(Deposit(1))
    assert_type(await pool.ask(GetBalance()), int)
    balancing = spawn_balancing_pool(system, Account, "balanced", size=2)
    assert_type(balancing, BalancingRef[AccountMessage])
    assert await balancing.ask(GetOwner()) == "balanced"
    group = spawn_group(system, [system.spawn(Account, "g0"), system.spawn(Account, "g1")])
    assert_type(group, RouterRef[AccountMessage])
    assert await GetOwner().ask(group) in {"g0", "g1"}


def remote_refs_are_generic_the_same_way(pool: PoolRef[Deposit], remote: RemoteActorRef) -> None:
    pool.tell(Deposit(1))
    remote.tell("anything: a bare RemoteActorRef accepts Any")


async def main() -> None:
    async with ActorSystem("typing") as system:
        await typed_refs(system)
        await typed_constructor_arguments(system)
        await untyped_refs(system, system.spawn(Echo))
        await narrowing(system)
        await children(system)
        await routers(system)
