"""Group routers over refs that already exist."""

from __future__ import annotations

from typing import Any

import pytest

from actors import Actor, ActorSystem, DeadLetter
from actors.routing import (
    AddRoutee,
    ConsistentHash,
    GetRoutees,
    InvalidRouting,
    RemoveRoutee,
    spawn_group,
)
from actors.testing import spawn_probe

pytestmark = pytest.mark.anyio


class Named(Actor):
    def receive(self, message: Any) -> Any:
        return self.context.self_ref.name


async def test_a_group_routes_round_robin_over_existing_refs(actor_system: ActorSystem) -> None:
    refs = [actor_system.spawn(Named, name=name) for name in "abc"]
    group = spawn_group(actor_system, refs, name="group")
    assert [await group.ask(i) for i in range(6)] == ["a", "b", "c", "a", "b", "c"]


async def test_a_routee_that_stops_leaves_the_group(actor_system: ActorSystem) -> None:
    a, b = actor_system.spawn(Named, name="a"), actor_system.spawn(Named, name="b")
    group = spawn_group(actor_system, [a, b], name="group")
    await actor_system.stop(a)
    assert await group.router.ask(GetRoutees()) == (b,)
    assert {await group.ask(i) for i in range(4)} == {"b"}


async def test_routees_can_be_added_and_removed(actor_system: ActorSystem) -> None:
    a, b = actor_system.spawn(Named, name="a"), actor_system.spawn(Named, name="b")
    group = spawn_group(actor_system, [a], routing=ConsistentHash(str), name="group")
    group.router.tell(AddRoutee(b))
    assert await group.router.ask(GetRoutees()) == (a, b)
    group.router.tell(RemoveRoutee(a))
    assert await group.router.ask(GetRoutees()) == (b,)
    assert await group.ask("anything") == "b"


async def test_with_no_routees_left_messages_are_dead_letters(actor_system: ActorSystem) -> None:
    letters = spawn_probe(actor_system)
    actor_system.event_stream.subscribe(letters.ref, DeadLetter)
    a = actor_system.spawn(Named, name="a")
    group = spawn_group(actor_system, [a], name="group")
    await actor_system.stop(a)
    await group.router.ask(GetRoutees())
    group.tell("lost?")
    letter = await letters.fish(lambda m: isinstance(m, DeadLetter) and m.message == "lost?")
    assert letter.reason == "unhandled"


async def test_a_group_needs_refs(actor_system: ActorSystem) -> None:
    with pytest.raises(
        InvalidRouting, match=r"^a group router needs at least one routee \(got no refs\)$"
    ):
        spawn_group(actor_system, [])
    with pytest.raises(
        InvalidRouting, match=r"^a group router routes to ActorRefs only \(got 'a'\)$"
    ):
        spawn_group(actor_system, ["a"])  # type: ignore[list-item]
