"""Generated names (``$1``, ``$2``, ...): paths, lookup, supervision and stop, as for given names.

The runtime keeps a generated name as its number and spells it out only when
asked (see ``ActorCell.name``); these tests pin that nothing outside can tell.
"""

from __future__ import annotations

from typing import Any

import pytest

from actors import Actor, ActorSystem

from .probe import Inbox, Recorder

pytestmark = pytest.mark.anyio


class Parent(Actor):
    """Spawns an unnamed child on ``"spawn"`` and answers with its ref."""

    def receive(self, message: Any) -> Any:
        if message == "spawn":
            return self.context.spawn(Recorder, Inbox())
        return None


class Flaky(Actor):
    """Fails on ``"fail"``; answers ``"id"`` with its own identity."""

    def receive(self, message: Any) -> Any:
        if message == "fail":
            raise RuntimeError("restart me")
        return id(self)


async def test_generated_names_read_and_look_up_like_given_ones() -> None:
    async with ActorSystem() as system:
        first = system.spawn(Recorder, Inbox())
        second = system.spawn(Recorder, Inbox())
        first_number = int(first.name.removeprefix("$"))
        assert first.name == f"${first_number}"
        assert second.name == f"${first_number + 1}"
        assert first.path == f"/user/{first.name}"
        assert system.lookup(first.name) is first
        assert system.lookup(first.path) is first
        assert system.lookup(second.name) is second
        assert await system.find(first.name) is first
        # Only the exact spelling names the actor.
        for near_miss in (f"$0{first_number}", f"${first_number}x", "$", "$-1", "$\u0661"):
            assert system.lookup(near_miss) is None, near_miss
        assert system.children() == (first, second)
        await system.stop(first)
        assert system.lookup(first.name) is None
        assert system.lookup(second.name) is second


async def test_a_generated_child_path_under_a_named_and_a_generated_parent() -> None:
    async with ActorSystem() as system:
        named = system.spawn(Parent, name="p")
        unnamed = system.spawn(Parent)
        child = await named.ask("spawn")
        grandchild_parent = await unnamed.ask("spawn")
        assert child.path == f"/user/p/{child.name}"
        assert grandchild_parent.path == f"/user/{unnamed.name}/{grandchild_parent.name}"
        assert system.lookup(f"p/{child.name}") is child
        assert system.lookup(grandchild_parent.path) is grandchild_parent
        assert system.children(named) == (child,)


async def test_a_generated_name_is_kept_across_a_restart_and_freed_at_a_stop() -> None:
    async with ActorSystem() as system:
        ref = system.spawn(Flaky)
        before = await ref.ask("id")
        with pytest.raises(RuntimeError, match="restart me"):
            await ref.ask("fail")
        assert await ref.ask("id") != before  # a fresh instance, same actor
        assert system.lookup(ref.name) is ref
        assert ref.statistics().restarts == 1
        await system.stop(ref)
        assert system.lookup(ref.path) is None
        assert system.children() == ()
