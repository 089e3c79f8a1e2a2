"""The region actor: parent of a region's activations, and where its timers and events land."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from attrs import frozen

from actors import Actor, Terminated

from ._reminders import Due

if TYPE_CHECKING:
    from ._region import ShardRegion


@frozen
class Sweep:
    """To the region actor: look for idle activations."""


@frozen
class Forward:
    """To the region actor: a message that found no live region (restarting, or stopped)."""

    entity_id: str
    message: object


SWEEP = Sweep()


class RegionActor(Actor):
    """The parent of a region's activations (``/user/sharding:<type>``)."""

    def __init__(self, region: ShardRegion) -> None:
        self._region = region

    def on_start(self) -> None:
        self._region._attached(self.context)

    def on_stop(self) -> None:
        self._region._detached()

    def receive(self, message: Any) -> None:
        region = self._region
        if isinstance(message, Terminated):
            region._terminated(message.ref)
        elif message is SWEEP:
            region._sweep(self.context)
        elif isinstance(message, Due):
            region.reminders.receive(self.context, message)
        elif isinstance(message, Forward):
            region.deliver(message.entity_id, message.message)
