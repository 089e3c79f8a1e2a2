"""A parent's children: a short chain through the children themselves, or a dict.

Most parents have a few children: a worker pair, a Fibonacci call's two, a
supervisor's handful. A dict per such parent is an object of 200-odd bytes
that the garbage collector tracks, and a spawn-heavy tree makes the collector
run its full passes (docs/benchmarks.md, "Fibonacci"). So up to
``SMALL_FAMILY`` children hang off ``ActorCell.child_cells`` as a chain linked
by each child's ``next_sibling`` slot, in spawn order, and cost nothing of
their own. The next child turns the chain into a dict keyed as before (the
name, or the n of ``$n``; see ``_names``), kept for the parent's life: lookups
by key stay constant-time for a large family such as ``/user``.

Both forms keep spawn order, which stopping (children in reverse) and the
rest-for-one strategy rely on. Every function here runs on the loop thread
that runs the system, as every touch of a cell does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._cell import ActorCell

#: The most children kept as a chain: a lookup walks at most this many cells.
SMALL_FAMILY = 8


def add_child(parent: ActorCell, child: ActorCell) -> None:
    """Register ``child`` under ``parent``, last in spawn order; its key must be free."""
    children = parent.child_cells
    if children is None:
        parent.child_cells = child
        return
    if type(children) is dict:
        children[child.key] = child
        return
    assert not isinstance(children, dict)
    count = 1
    last = children
    while last.next_sibling is not None:
        last = last.next_sibling
        count += 1
    if count < SMALL_FAMILY:
        last.next_sibling = child
        return
    family: dict[str | int, ActorCell] = {}
    cell: ActorCell | None = children
    while cell is not None:
        family[cell.key] = cell
        cell.next_sibling, cell = None, cell.next_sibling
    family[child.key] = child
    parent.child_cells = family


def find_child(parent: ActorCell, key: str | int) -> ActorCell | None:
    """The child registered under ``key`` (a name, or the n of ``$n``), or ``None``."""
    children = parent.child_cells
    if children is None:
        return None
    if type(children) is dict:
        return children.get(key)
    assert not isinstance(children, dict)
    cell: ActorCell | None = children
    while cell is not None:
        if cell.key == key:
            return cell
        cell = cell.next_sibling
    return None


def remove_child(parent: ActorCell, child: ActorCell) -> bool:
    """Unregister ``child``; ``False`` if it was not registered under ``parent``."""
    children = parent.child_cells
    if children is None:
        return False
    if type(children) is dict:
        if children.get(child.key) is not child:
            return False
        del children[child.key]
        return True
    if children is child:
        parent.child_cells, child.next_sibling = child.next_sibling, None
        return True
    assert not isinstance(children, dict)
    previous = children
    while previous.next_sibling is not None:
        if previous.next_sibling is child:
            previous.next_sibling, child.next_sibling = child.next_sibling, None
            return True
        previous = previous.next_sibling
    return False


def children_of(parent: ActorCell) -> list[ActorCell]:
    """A snapshot of ``parent``'s children in spawn order: safe to change them while iterating."""
    children = parent.child_cells
    if children is None:
        return []
    if type(children) is dict:
        return list(children.values())
    assert not isinstance(children, dict)
    family = []
    cell: ActorCell | None = children
    while cell is not None:
        family.append(cell)
        cell = cell.next_sibling
    return family


def count_children(parent: ActorCell) -> int:
    """How many children ``parent`` has registered."""
    children = parent.child_cells
    if children is None:
        return 0
    if type(children) is dict:
        return len(children)
    assert not isinstance(children, dict)
    count = 0
    cell: ActorCell | None = children
    while cell is not None:
        count += 1
        cell = cell.next_sibling
    return count
