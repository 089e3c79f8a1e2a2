"""A tell's fast path on a hosting node refuses exactly when ``holds`` says the owner does not hold."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from actors.remote._shard_placement import FENCE_AFTER, NatsPlacement
from actors.remote._shard_records import Owner

LEASE_TTL = 4.0


def _placement() -> tuple[NatsPlacement, Any, list[float]]:
    membership = SimpleNamespace(incarnation="i1", lease_epoch=3, renewed_at=100.0, live={})
    node = SimpleNamespace(
        name="n1", membership=membership, config=SimpleNamespace(lease_ttl=LEASE_TTL)
    )
    placement = NatsPlacement(node)  # type: ignore[arg-type]
    now = [100.0]
    placement._clock = lambda: now[0]
    return placement, membership, now


@given(
    incarnation=st.sampled_from(["i1", "i0"]),
    epoch=st.sampled_from([3, 2]),
    later_epoch=st.booleans(),
    age=st.floats(min_value=0, max_value=2 * LEASE_TTL),
)
def test_this_nodes_route_delivers_exactly_while_its_ownership_holds(
    incarnation: str, epoch: int, later_epoch: bool, age: float
) -> None:
    placement, membership, now = _placement()
    delivered: list[tuple[str, object]] = []
    owner = Owner("n1", incarnation, 7, epoch)
    route = placement.route(owner, "counter", lambda *item: delivered.append(item))
    # The lease ages, and may be found expired (a new epoch), after the route was made.
    now[0] += age
    if later_epoch:
        membership.lease_epoch += 1
    held = placement.holds(owner)
    assert route("e1", 0, "hello") is held
    assert delivered == ([("e1", "hello")] if held else [])
    # Fencing: past FENCE_AFTER of the lease time, this node's own shards never hold.
    if age >= LEASE_TTL * FENCE_AFTER:
        assert not held
