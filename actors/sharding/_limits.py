"""``MoveLimits``: how much a cluster region holds, and how many shards it moves at a time."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from attrs import field, frozen

from ._held import DEFAULT_HELD_LIMIT, check_held_limit


def _check_absolute(_instance: object, _attribute: object, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"rebalance_absolute_limit must be a whole number >= 1 (got {value!r})")


def _check_relative(_instance: object, _attribute: object, value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 < value <= 1
    ):
        raise ValueError(f"rebalance_relative_limit must be > 0 and <= 1 (got {value!r})")


def _check_interval(_instance: object, _attribute: object, value: float | None) -> None:
    if value is not None and (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(
            f"rebalance_interval must be > 0 seconds, or None for the lease time (got {value!r})"
        )


def _check_held(_instance: object, _attribute: object, value: object) -> None:
    check_held_limit(value)


@frozen(kw_only=True)
class MoveLimits:
    """The bounds of a cluster region: held messages, and shard moves per rebalancing round.

    Set on a started region: ``region.limits = MoveLimits(held_messages=1000)``
    (refine one with ``attrs.evolve``). Akka's ``LeastShardAllocationStrategy``
    bounds a round alike: at most ``min(absolute, relative * shards)`` moves
    (but at least one).

    Attributes:
        held_messages: the most messages this node holds for the type while
            shard owners are looked up or shards move. Past it a ``tell``
            becomes a ``DeadLetter`` (counted, with the reason), and ``send``
            waits for room: memory stays bounded, nothing is dropped silently.
        rebalance_absolute_limit: the most shards this node hands off in one round.
        rebalance_relative_limit: the same bound as a fraction of the shard count.
        rebalance_interval: seconds between rounds (``None``: the cluster's
            lease time).
    """

    held_messages: int = field(default=DEFAULT_HELD_LIMIT, validator=_check_held)
    rebalance_absolute_limit: int = field(default=20, validator=_check_absolute)
    rebalance_relative_limit: float = field(default=0.1, validator=_check_relative)
    rebalance_interval: float | None = field(default=None, validator=_check_interval)

    def moves_per_round(self, shards: int) -> int:
        """How many shards may move in one round for a type of ``shards`` shards (at least one)."""
        relative = math.floor(self.rebalance_relative_limit * shards)
        return max(1, min(self.rebalance_absolute_limit, relative))


def shards_to_move(
    owned: Iterable[int], preferred_of: Callable[[int], str], me: str, limit: int
) -> list[tuple[int, str]]:
    """The owned shards to hand off this round, each with its target: at most ``limit``.

    A shard moves when its preferred host (rendezvous hashing over the live
    hosts) is another node; the lowest-numbered such shards go first, so
    every node picks alike and a round's choice is stable.
    """
    moves: list[tuple[int, str]] = []
    for shard in sorted(set(owned)):
        if len(moves) >= limit:
            break
        target = preferred_of(shard)
        if target != me:
            moves.append((shard, target))
    return moves
