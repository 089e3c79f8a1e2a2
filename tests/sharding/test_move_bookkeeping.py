"""The pure parts of shard moves: held-message bookkeeping, and which shards a round moves."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from actors.sharding import MoveLimits
from actors.sharding._held import HeldMessages
from actors.sharding._limits import shards_to_move

KEYS = st.integers(min_value=-1, max_value=3)


class HeldMachine(RuleBasedStateMachine):
    """``HeldMessages`` against a model: FIFO per shard, nothing lost, never past the bound."""

    def __init__(self) -> None:
        super().__init__()
        self.limit = 5
        self.held = HeldMessages(self.limit)
        self.model: dict[int, list[tuple[str, object, int]]] = {}
        self.serial = 0

    def _next(self) -> tuple[str, object, int]:
        self.serial += 1
        return (f"e{self.serial}", self.serial, 0)

    def _count(self) -> int:
        return sum(len(queue) for queue in self.model.values())

    @rule(key=KEYS)
    def hold(self, key: int) -> None:
        item = self._next()
        accepted = self.held.hold(key, item)
        # Refused exactly when the bound is reached: the caller makes it a dead letter.
        assert accepted == (self._count() < self.limit)
        if accepted:
            self.model.setdefault(key, []).append(item)

    @rule(key=KEYS)
    def open(self, key: int) -> None:
        assert self.held.open(key) == (key not in self.model)
        self.model.setdefault(key, [])

    @rule(key=KEYS, count=st.integers(min_value=0, max_value=3))
    def put_back(self, key: int, count: int) -> None:
        items = [self._next() for _ in range(count)]
        self.held.put_back(key, items)  # accepted once already: never refused
        self.model[key] = items + self.model.get(key, [])

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def take(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.model)))
        assert self.held.take(key) == self.model.pop(key)

    @invariant()
    def counts_agree(self) -> None:
        assert len(self.held) == self._count()
        for key in self.model:
            assert key in self.held


TestHeldMessages = HeldMachine.TestCase


@given(
    owned=st.sets(st.integers(min_value=0, max_value=63)),
    nodes=st.lists(st.sampled_from("abcd"), min_size=64, max_size=64),
    limit=st.integers(min_value=1, max_value=10),
)
def test_a_round_moves_at_most_its_limit_and_only_to_preferred_hosts(
    owned: set[int], nodes: list[str], limit: int
) -> None:
    moves = shards_to_move(owned, nodes.__getitem__, "a", limit)
    misplaced = sorted(shard for shard in owned if nodes[shard] != "a")
    assert len(moves) <= limit
    # Each move is an owned shard going to its preferred host, lowest shards first.
    assert moves == [(shard, nodes[shard]) for shard in misplaced[:limit]]


def test_moves_per_round_follow_akka_absolute_and_relative_limits() -> None:
    assert MoveLimits().moves_per_round(1000) == 20  # absolute 20 < 10% of 1000
    assert MoveLimits().moves_per_round(64) == 6  # 10% of 64
    assert MoveLimits().moves_per_round(4) == 1  # never below one
    assert MoveLimits(rebalance_absolute_limit=2).moves_per_round(64) == 2


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"held_messages": 0}, r"^the held-message limit must be a whole number >= 1 \(got 0\)$"),
        (
            {"rebalance_absolute_limit": True},
            r"^rebalance_absolute_limit must be a whole number >= 1 \(got True\)$",
        ),
        ({"rebalance_relative_limit": 1.5}, r"^rebalance_relative_limit must be > 0 and <= 1"),
        ({"rebalance_interval": -1}, r"^rebalance_interval must be > 0 seconds, or None"),
    ],
)
def test_bad_limits_are_refused_where_they_are_given(
    options: dict[str, object], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        MoveLimits(**options)  # type: ignore[arg-type]
