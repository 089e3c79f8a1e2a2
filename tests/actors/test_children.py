"""A parent's children: kept in spawn order, found by key, across the chain and the dict.

Up to ``SMALL_FAMILY`` children are a chain through the children themselves,
more a dict (see ``actors._children``). A model test drives the bookkeeping
with arbitrary adds and removals against a plain list; the actor tests check
that lookups, the children's order, statistics and stopping in reverse order
hold on both sides of the switch, through the public API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors import Actor, ActorSystem
from actors._children import (
    SMALL_FAMILY,
    add_child,
    children_of,
    count_children,
    find_child,
    remove_child,
)

from .probe import Fragile, Inbox, terminated

if TYPE_CHECKING:
    from actors._cell import ActorCell

pytestmark = pytest.mark.anyio


class _Cell:
    """The fields of ``ActorCell`` that the bookkeeping touches."""

    __slots__ = ("child_cells", "key", "next_sibling")

    def __init__(self, key: str | int) -> None:
        self.key = key
        self.child_cells: Any = None
        self.next_sibling: Any = None


def _cell(key: str | int) -> ActorCell:
    return cast("ActorCell", _Cell(key))


# Each step: add a child with a fresh key (True), or remove the child at that
# position of the live ones (an int, taken modulo their count; a removal of
# one already removed when there are none).
_STEPS = st.lists(st.one_of(st.just(True), st.integers(0, 40)), max_size=60)


@given(_STEPS)
def test_bookkeeping_matches_a_list_through_any_adds_and_removals(steps: list[Any]) -> None:
    parent = _cell("parent")
    live: list[ActorCell] = []
    removed: list[ActorCell] = []
    for number, step in enumerate(steps):
        if step is True:
            child = _cell(f"c{number}" if number % 2 else number)
            add_child(parent, child)
            live.append(child)
        elif live:
            child = live.pop(step % len(live))
            assert remove_child(parent, child)
            assert child.next_sibling is None  # no dead link keeps a sibling reachable
            removed.append(child)
        assert children_of(parent) == live
        assert count_children(parent) == len(live)
        for child in live:
            assert find_child(parent, child.key) is child
        for child in removed:
            assert find_child(parent, child.key) is None
            assert not remove_child(parent, child)
        assert find_child(parent, "never") is None


def test_a_family_past_the_small_size_becomes_a_dict_in_spawn_order() -> None:
    parent = _cell("parent")
    children = [_cell(number) for number in range(SMALL_FAMILY + 1)]
    for child in children[:SMALL_FAMILY]:
        add_child(parent, child)
    assert parent.child_cells is children[0]  # a chain: no object of its own
    add_child(parent, children[-1])
    assert isinstance(parent.child_cells, dict)
    assert list(parent.child_cells.values()) == children
    assert all(child.next_sibling is None for child in children)


class Family(Actor):
    """Spawns named and unnamed children in turn; answers with their names in order."""

    def __init__(self, count: int, inbox: Inbox) -> None:
        for index in range(count):
            name = f"c{index}" if index % 2 else None
            self.context.spawn(Fragile, f"c{index}", inbox, name=name)

    def receive(self, message: Any) -> Any:
        if message == "names":
            return [child.name for child in self.context.children]
        # Stop the children at these positions.
        children = self.context.children
        for position in message:
            self.context.stop(children[position])
        return None


@pytest.mark.parametrize("count", [2, SMALL_FAMILY, SMALL_FAMILY + 4])
async def test_children_are_found_ordered_and_stopped_in_reverse(count: int) -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        parent = system.spawn(Family, count, inbox, name="family")
        names = await parent.ask("names")
        assert len(names) == count
        assert [name for name in names if not name.startswith("$")] == [
            f"c{index}" for index in range(1, count, 2)
        ]
        for name in names:
            found = system.lookup(f"family/{name}")
            assert found is not None
            assert found.name == name
        assert parent.statistics().children == count

        # Stop the first, one in the middle and the last: the rest keep their order.
        stopped = {0, count // 2, count - 1}
        watched = [system.children(parent)[position] for position in sorted(stopped)]
        await parent.ask(sorted(stopped))
        for ref in watched:
            await terminated(system, ref)
        remaining = [name for position, name in enumerate(names) if position not in stopped]
        assert await parent.ask("names") == remaining
        for position in stopped:
            assert system.lookup(f"family/{names[position]}") is None
        assert parent.statistics().children == len(remaining)

        inbox.messages.clear()
        await system.stop(parent)
        labels = [f"c{index}" for index in range(count)]
        expected = [
            ("stop", labels[position])
            for position in reversed(range(count))
            if position not in stopped
        ]
        assert inbox.messages == expected
