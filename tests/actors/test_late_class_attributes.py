"""Class attributes assigned after the class statement are honoured, or refused at spawn.

A supervisor built by a factory function (``class Tree(Supervisor): pass``,
then ``Tree.children = [...]``) is ordinary Python; the runtime must neither
ignore such an assignment nor accept a bad value silently.
"""

from __future__ import annotations

from typing import Any

import pytest

from actors import ActorSystem, DuplicateActorName, Supervisor
from supervision import OneForAll, child

from .probe import Boom, Fragile, Inbox

pytestmark = pytest.mark.anyio


def tree_class() -> type[Supervisor]:
    class Tree(Supervisor):
        pass

    return Tree


async def test_children_assigned_after_the_class_statement_are_started() -> None:
    inbox = Inbox()
    tree = tree_class()
    tree.children = [
        child(Fragile, "a", inbox, name="a"),
        child(Fragile, "b", inbox, name="b"),
    ]
    async with ActorSystem() as system:
        system.spawn(tree, name="tree")
        assert await inbox.wait_for(2) == [("start", "a"), ("start", "b")]
        a = system.lookup("tree/a")
        assert a is not None
        assert await a.ask("count") == 0  # a live actor answering


async def test_strategy_assigned_after_the_class_statement_is_applied() -> None:
    inbox = Inbox()
    tree = tree_class()
    tree.children = [child(Fragile, "a", inbox, name="a"), child(Fragile, "b", inbox, name="b")]
    tree.strategy = OneForAll(max_restarts=3, within=5.0)
    async with ActorSystem() as system:
        system.spawn(tree, name="tree")
        await inbox.wait_for(2)
        a = system.lookup("tree/a")
        assert a is not None
        a.tell(Boom(ValueError("boom")))
        # One for all: b is restarted with a (stopped in reverse order, started in order).
        seen = await inbox.wait_for(6)
        assert seen[2:] == [("stop", "b"), ("stop", "a"), ("start", "a"), ("start", "b")]


async def test_a_later_reassignment_is_honoured_for_the_next_spawn() -> None:
    inbox = Inbox()
    tree = tree_class()
    tree.children = [child(Fragile, "a", inbox, name="a")]
    async with ActorSystem() as system:
        system.spawn(tree, name="first")
        await inbox.wait_for(1)
        tree.children = [child(Fragile, "z", inbox, name="z")]
        system.spawn(tree, name="second")
        assert await inbox.wait_for(2) == [("start", "a"), ("start", "z")]


@pytest.mark.parametrize(
    ("attribute", "value", "error", "pattern"),
    [
        (
            "children",
            ["not a spec"],
            TypeError,
            r"^Tree.children\[0\] must be made with supervision.child\(\.\.\.\) "
            r"\(got 'not a spec'\)$",
        ),
        (
            "children",
            [child(Fragile, name="same"), child(Fragile, name="same")],
            DuplicateActorName,
            r"^Tree.children has two children named 'same'",
        ),
        (
            "strategy",
            "one_for_all",
            TypeError,
            r"^Tree.strategy must be a supervision strategy instance such as "
            r"OneForOne\(max_restarts=3, within=5.0\) \(got 'one_for_all'\)$",
        ),
        (
            "mailbox",
            10,
            TypeError,
            r"^Tree.mailbox must be an actors.MailboxConfig or None \(got 10\)$",
        ),
    ],
)
async def test_a_bad_value_assigned_later_is_refused_at_spawn(
    attribute: str, value: Any, error: type[Exception], pattern: str
) -> None:
    tree = tree_class()
    setattr(tree, attribute, value)
    async with ActorSystem() as system:
        with pytest.raises(error, match=pattern):
            system.spawn(tree, name="tree")
        # Nothing half-made was left under the name.
        assert system.lookup("tree") is None
