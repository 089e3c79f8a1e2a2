"""The typed API at run time: props, narrow_ref, Request.ask, and the check_messages option."""

from __future__ import annotations

import functools
import operator
import types
from typing import Any, Literal, TypeVar

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors import (
    Actor,
    ActorRef,
    ActorSystem,
    MessageTypeError,
    Props,
    Terminated,
    narrow_ref,
    props,
)
from actors._message_check import acceptance_of, declared_message_type
from actors._ref import LocalActorRef
from actors.routing import GetRoutees, spawn_balancing_pool, spawn_pool

from ..typing._bank import Account, Auditor, Deposit, Echo, GetBalance, GetOwner, Withdraw
from .probe import Inbox

REFUSED = (
    r"^/user/ada accepts Deposit \| GetBalance \| GetOwner "
    r"\(Account is an Actor\[Deposit \| GetBalance \| GetOwner\]\), not Withdraw: "
    r"Withdraw\(amount=5\); send one of those, or add Withdraw to Account's message type$"
)


@pytest.mark.anyio
async def test_off_by_default_refs_are_plain_and_deliver_anything() -> None:
    async with ActorSystem() as system:
        account = system.spawn(Account, "ada")
        assert type(account) is LocalActorRef  # nothing added to the message path
        untyped: ActorRef[Any] = account
        assert await untyped.ask(Withdraw(5)) is None  # handled (ignored) by receive


@pytest.mark.anyio
async def test_a_message_outside_the_declared_type_fails_at_the_sender() -> None:
    async with ActorSystem(check_messages=True) as system:
        account = system.spawn(Account, "ada", name="ada")
        untyped: ActorRef[Any] = account
        with pytest.raises(MessageTypeError, match=REFUSED):
            untyped.tell(Withdraw(5))
        with pytest.raises(MessageTypeError, match=REFUSED):
            await untyped.send(Withdraw(5))
        with pytest.raises(MessageTypeError, match=REFUSED):
            await untyped.ask(Withdraw(5))
        assert isinstance(MessageTypeError("x"), TypeError)
        account.tell(Deposit(3))
        await account.send(Deposit(4))
        assert await account.ask(GetBalance()) == 7  # nothing refused reached it
        # From another process (a transport's hook): a refused ask fails back
        # to the remote asker.
        with pytest.raises(MessageTypeError, match=REFUSED):
            await untyped._ask_carried(Withdraw(5), None)
        assert await account._ask_carried(GetBalance(), None) == 7
        # Actors that declare nothing accept anything, with a plain ref.
        echo = system.spawn(Echo)
        assert type(echo) is LocalActorRef
        assert await echo.ask(object) is object


@pytest.mark.anyio
async def test_the_runtimes_own_messages_are_not_checked() -> None:
    inbox = Inbox()

    class Watcher(Actor[Literal["watch"]]):
        def __init__(self, target: ActorRef) -> None:
            self.target = target

        def on_start(self) -> None:
            self.context.watch(self.target)
            self.context.schedule_once(0, "timer")

        def receive(self, message: Any) -> None:
            inbox.record(message)

    async with ActorSystem(check_messages=True) as system:
        echo = system.spawn(Echo)
        watcher = system.spawn(Watcher, echo)
        with pytest.raises(MessageTypeError, match=r"accepts 'watch' \(Watcher is an Actor"):
            watcher.tell("other")  # type: ignore[arg-type]
        watcher.tell("watch")
        await system.stop(echo)
        messages = await inbox.wait_for(3)
        assert set(map(repr, messages)) == {"'watch'", "'timer'", repr(Terminated(echo))}


@pytest.mark.anyio
async def test_typed_refs_keep_their_slots_and_are_never_subscripted() -> None:
    async with ActorSystem() as system:
        account = system.spawn(props(Account, "ada"))
        assert LocalActorRef.__slots__ == ("_cell",)
        assert ActorRef.__slots__ == ()
        assert not hasattr(account, "__dict__")
        assert not hasattr(account, "__orig_class__")
        assert Actor.__slots__ == ("__dict__", "__weakref__", "context")


KINDS: list[type] = [int, str, bytes, float, Deposit, Withdraw]
VALUES = st.one_of(
    st.integers(), st.text(), st.binary(), st.floats(), st.builds(Deposit, st.integers())
)


@given(declared=st.sets(st.sampled_from(KINDS), min_size=1), message=VALUES)
def test_the_check_accepts_exactly_the_instances_of_the_declared_union(
    declared: set[type], message: object
) -> None:
    union: Any = functools.reduce(operator.or_, sorted(declared, key=lambda kind: kind.__name__))
    generic: Any = Actor
    actor_class = types.new_class("Declared", (generic[union],))
    acceptance = acceptance_of(actor_class)
    assert acceptance is not None
    assert acceptance.accepts(message) == isinstance(message, tuple(declared))


def test_the_declared_type_is_read_through_generic_bases() -> None:
    message = TypeVar("message")

    class Base(Actor[message | None]):
        pass

    class Concrete(Base[bytes]):
        pass

    class Wrapped(Concrete, Actor[Any]):
        pass

    assert declared_message_type(Concrete) == bytes | None
    assert declared_message_type(Wrapped) is Any
    assert declared_message_type(Echo) is Any


@pytest.mark.anyio
async def test_props_binds_checked_constructor_arguments() -> None:
    async with ActorSystem(check_messages=True) as system:
        bound = props(Account, "bob", limit=100)
        assert bound == Props(Account, ("bob",), {"limit": 100})
        first = system.spawn(bound, name="bob")
        second = system.spawn(bound)  # a Props spawns any number of actors
        assert await GetOwner().ask(first) == await second.ask(GetOwner()) == "bob"
        with pytest.raises(TypeError, match=r"^spawn\(props\(\.\.\.\)\) takes the constructor"):
            system.spawn(bound, "extra")  # type: ignore[call-overload]
        with pytest.raises(TypeError, match=r"^props\(\) needs an Actor subclass"):
            props(Deposit, 1)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_narrow_ref_checks_the_class_of_a_local_actor() -> None:
    async with ActorSystem() as system:
        system.spawn(Account, "ada", name="ada")
        found = system.lookup("ada")
        assert found is not None
        account = narrow_ref(found, Account)
        assert account is found
        assert await GetBalance().ask(account) == 0
        with pytest.raises(MessageTypeError, match=r"^/user/ada runs Account, not Auditor; "):
            narrow_ref(found, Auditor)
        with pytest.raises(TypeError, match=r"^narrow_ref\(\) needs an ActorRef"):
            narrow_ref("ada", Account)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"^narrow_ref\(\) needs an Actor subclass"):
            narrow_ref(found, Deposit)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_routers_check_at_the_sender_and_balancing_pools_still_work() -> None:
    async with ActorSystem(check_messages=True) as system:
        pool = spawn_pool(system, Account, "pooled", size=2)
        await pool.router.ask(GetRoutees())  # settled: sends go straight to the workers
        untyped: ActorRef[Any] = pool
        with pytest.raises(MessageTypeError, match=r"^/user/\$\d+/w\d accepts Deposit"):
            untyped.tell(Withdraw(5))
        assert await pool.ask(GetOwner()) == "pooled"
        balancing = spawn_balancing_pool(system, Account, "balanced", size=2)
        with anyio.fail_after(10):
            assert await GetOwner().ask(balancing) == "balanced"
