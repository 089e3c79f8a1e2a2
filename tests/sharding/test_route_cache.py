"""The tell fast path of cluster routing: a cached route never outlives its owner.

``ClusterRouting`` caches, per shard, the function that sends to the shard's
owner. These tests drive a proxy's routing (a node that does not host the
type) over a recording placement, and check that every tell after a lease ends
or a hand-off goes to the new owner, in order, and never to the old one.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from attrs import frozen

from actors import ActorRef, ActorSystem, DeadLetter
from actors.sharding._routing import ANY_SHARD, ClusterRouting
from tests.actors.probe import Inbox, Recorder

pytestmark = pytest.mark.anyio


@frozen
class Host:
    node: str
    incarnation: str


class RecordingPlacement:
    """As much of ``Placement`` as a proxy's tells use; sends are recorded, per node."""

    lease_ttl = 1.0
    node_name = "proxy"

    def __init__(self, host: Host) -> None:
        self.host = host  # what a_host answers
        self.live: dict[str, str] = {host.node: host.incarnation}
        self.sent: list[tuple[str, str, int, object]] = []
        self.controls: list[tuple[str, list[Any]]] = []

    def holds(self, owner: Host) -> bool:
        return self.live.get(owner.node) == owner.incarnation

    def is_me(self, owner: Host) -> bool:
        return False

    async def a_host(self, type_name: str) -> Host:
        return self.host

    def sender(self, node: str, type_name: str) -> Any:
        def send(entity_id: str, hops: int, message: object) -> None:
            self.sent.append((node, entity_id, hops, message))

        return send

    def route(self, owner: Host, type_name: str, here: Any) -> Any:
        send = self.sender(owner.node, type_name)

        def route(entity_id: str, hops: int, message: object) -> bool:
            if not self.holds(owner):
                return False
            send(entity_id, hops, message)
            return True

        return route

    def control(self, node: str, type_name: str, message: list[Any]) -> None:
        self.controls.append((node, message))


def _not_called(key: int) -> None:
    raise AssertionError(f"the general path ran for shard {key}")


def _no_dead_letters(entity_id: str) -> ActorRef:
    raise AssertionError(f"no message may become a dead letter here ({entity_id})")


async def test_a_cached_route_is_dropped_when_its_owner_lease_ends_or_the_shard_moves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second, third = Host("h1", "i1"), Host("h2", "i2"), Host("h3", "i3")
    placement = RecordingPlacement(first)
    async with ActorSystem("routes") as system:
        routing = ClusterRouting(system, "counter", placement, None, _no_dead_letters)  # type: ignore[arg-type]

        # The first tell finds the host; the ones after it take the cached route.
        routing.deliver("a", 1)
        await routing.wait_resolved(ANY_SHARD)
        with monkeypatch.context() as patch:  # the cached route skips the general path
            patch.setattr(routing, "_trusted", _not_called)
            routing.deliver("a", 2)
            routing.deliver("b", 3)
        assert [(node, message) for node, _, _, message in placement.sent] == [
            ("h1", 1),
            ("h1", 2),
            ("h1", 3),
        ]

        # The host's lease ends: the next tell is held and goes to the next host, never to h1.
        del placement.live["h1"]
        placement.host = second
        placement.live["h2"] = "i2"
        routing.deliver("a", 4)
        await routing.wait_resolved(ANY_SHARD)
        routing.deliver("a", 5)
        assert [(node, message) for node, _, _, message in placement.sent[3:]] == [
            ("h2", 4),
            ("h2", 5),
        ]

        # A hand-off (as a leaving host's notice starts one): tells are held meanwhile,
        # then sent in order to the new owner, and the route follows it.
        released = anyio.Event()

        async def hand_off() -> tuple[Any, None]:
            await released.wait()
            placement.live["h3"] = "i3"
            return third, None

        routing.resolve_with(ANY_SHARD, hand_off)
        routing.deliver("a", 6)
        routing.deliver("b", 7)
        assert len(placement.sent) == 5  # held, not sent to h2
        released.set()
        await routing.wait_resolved(ANY_SHARD)
        routing.deliver("a", 8)
        assert [(node, message) for node, _, _, message in placement.sent[5:]] == [
            ("h3", 6),
            ("h3", 7),
            ("h3", 8),
        ]
        # A proxy's tells keep their hop count (the host routes them on).
        assert {hops for _, _, hops, _ in placement.sent} == {0}
        assert dict(system.dead_letters) == {}


async def test_a_forwarded_tell_past_the_hop_limit_leaves_the_fast_path() -> None:
    placement = RecordingPlacement(Host("h1", "i1"))
    async with ActorSystem("routes") as system:
        letters = Inbox()
        system.event_stream.subscribe(system.spawn(Recorder, letters), DeadLetter)
        sink = system.spawn(Recorder, Inbox())
        routing = ClusterRouting(system, "counter", placement, None, lambda _: sink)  # type: ignore[arg-type]
        routing.deliver("a", 1)
        await routing.wait_resolved(ANY_SHARD)
        routing.deliver("a", 2, hops=4)  # a routing loop: a dead letter, not a send
        assert [message for _, _, _, message in placement.sent] == [1]
        [letter] = await letters.wait_for(1)
        assert letter.message == 2
        assert letter.reason == "routing loop: forwarded 4 times"
        assert dict(system.dead_letters) == {int: 1}
