"""Ask-cycle detection: a cycle of actors each awaiting the next raises at the ask."""

from __future__ import annotations

from typing import Any

import pytest
from attrs import frozen

from actors import Actor, ActorRef, ActorSystem, AskCycleError

pytestmark = pytest.mark.anyio


@frozen
class Relay:
    """Ask each ref in ``route`` in turn, passing the rest of the route along."""

    route: tuple[ActorRef, ...]


class Hop(Actor):
    async def receive(self, message: Any) -> Any:
        match message:
            case Relay(route) if route:
                try:
                    return await route[0].ask(Relay(route[1:]), timeout=5.0)
                except AskCycleError as error:
                    return error
            case Relay(()):
                return f"answered by {self.context.path}"


async def test_a_two_actor_cycle_raises_naming_the_chain() -> None:
    async with ActorSystem() as system:
        a, b = system.spawn(Hop, name="a"), system.spawn(Hop, name="b")
        error = await a.ask(Relay((b, a)))
        assert isinstance(error, AskCycleError)
        assert error.chain == ("/user/b", "/user/a", "/user/b")
        assert str(error).startswith("ask cycle: /user/b -> /user/a -> /user/b; each waits")


async def test_a_three_actor_cycle_raises() -> None:
    async with ActorSystem() as system:
        a, b, c = (system.spawn(Hop, name=name) for name in "abc")
        error = await a.ask(Relay((b, c, a)))
        assert isinstance(error, AskCycleError)
        assert error.chain == ("/user/c", "/user/a", "/user/b", "/user/c")


async def test_asking_oneself_is_a_cycle_of_one() -> None:
    async with ActorSystem() as system:
        a = system.spawn(Hop, name="a")
        error = await a.ask(Relay((a,)))
        assert isinstance(error, AskCycleError)
        assert error.chain == ("/user/a", "/user/a")


async def test_nested_asks_without_a_cycle_are_unaffected() -> None:
    async with ActorSystem() as system:
        hops = [system.spawn(Hop, name=f"h{index}") for index in range(5)]
        assert await hops[0].ask(Relay(tuple(hops[1:]))) == "answered by /user/h4"
        # Two callers may ask the same actor at once: no cycle, no error.
        assert await hops[1].ask(Relay((hops[2],))) == "answered by /user/h2"
