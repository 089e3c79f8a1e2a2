"""Events, snapshots and states the persistence tests store."""

from __future__ import annotations

from attrs import frozen

from actors.persistence import MessageRegistry


@frozen
class Added:
    amount: int


@frozen
class Renamed:
    name: str


@frozen
class Total:
    total: int
    count: int = 0


@frozen
class Unregistered:
    n: int


def registry() -> MessageRegistry:
    registry = MessageRegistry()
    registry.register(Added, tag="test.Added")
    registry.register(Renamed, tag="test.Renamed")
    registry.register(Total, tag="test.Total")
    return registry
