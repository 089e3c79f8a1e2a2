"""A tell's fast path on a hosting node refuses exactly when ``holds`` says the owner does not hold."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from actors.remote._shard_placement import FENCE_AFTER, NatsPlacement
from actors.remote._shard_records import Owner
from actors.sharding._routing import ClusterRouting

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


class _Activation:
    """A region's activation record with a ref that records what it is told."""

    def __init__(self, passivating: bool) -> None:
        self.told: list[object] = []
        self.ref = SimpleNamespace(tell=self.told.append)
        self.buffer: list[object] | None = [] if passivating else None
        self.touched = False


@given(
    incarnation=st.sampled_from(["i1", "i0"]),
    epoch=st.sampled_from([3, 2]),
    later_epoch=st.booleans(),
    age=st.floats(min_value=0, max_value=2 * LEASE_TTL),
    activation=st.sampled_from(["live", "passivating", "none"]),
    holding=st.booleans(),
    moved=st.booleans(),
)
def test_the_owners_fast_path_reaches_an_activation_only_while_the_lease_holds(
    *,
    incarnation: str,
    epoch: int,
    later_epoch: bool,
    age: float,
    activation: str,
    holding: bool,
    moved: bool,
) -> None:
    placement, membership, now = _placement()
    activations: dict[str, _Activation] = {}
    region: Any = SimpleNamespace(
        shards=16,
        limits=SimpleNamespace(held_messages=10),
        _activations=activations,
        deliver_here=lambda *item: here.append(item),
    )
    here: list[tuple[str, object]] = []
    general: list[tuple[str, object, int]] = []
    routing = ClusterRouting(None, "counter", placement, region, lambda _: None)  # type: ignore[arg-type, return-value]
    key = routing._key("e1")
    owner = Owner("n1", incarnation, 7, epoch)
    routing._owners[key] = owner
    # The general path delivers the shard's first message here if this node is the owner
    # (in this incarnation and lease epoch), and makes the fast path's entry for it.
    mine = placement.is_me(owner)
    if mine:
        routing._send(owner, "e1", "first", 1, key)
        assert here == [("e1", "first")]
        here.clear()
    routing.deliver = lambda *item: general.append(item)  # type: ignore[method-assign]
    if activation != "none":
        activations["e1"] = _Activation(passivating=activation == "passivating")
    # Then the lease ages (or is found expired: a new epoch), the shard starts holding
    # messages (a hand-off), or another owner replaces this one (a move).
    now[0] += age
    if later_epoch:
        membership.lease_epoch += 1
    if holding:
        routing._held.open(key)
    if moved:
        routing._owners[key] = Owner("n2", "i2", 8)
    routing.routed_tell("e1", "hello", 1)
    fast = mine and placement.holds(owner) and not holding and not moved
    told = activations["e1"].told if "e1" in activations else []
    if fast and activation == "live":
        assert (told, here, general) == (["hello"], [], [])
    elif fast:  # passivating, or not active: the region buffers or activates
        assert (told, here, general) == ([], [("e1", "hello")], [])
    else:  # every other case takes the general path: never the activation at once
        assert (told, here, general) == ([], [], [("e1", "hello", 1)])
    # Fencing: past FENCE_AFTER of the lease time, nothing reaches an activation here.
    if age >= LEASE_TTL * FENCE_AFTER:
        assert told == []
