"""The region actor: parent of a region's activations, and where its timers and events land."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio
from attrs import define, frozen

from actors import Actor, ActorRef, Terminated
from supervision import Directive, OneForOne

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


@define(eq=False)
class Activation:
    """The region's record of one live activation."""

    ref: ActorRef
    #: Messages held while the activation is being passivated; ``None`` while it is live.
    buffer: list[object] | None = None
    touched: bool = True
    idle_sweeps: int = 0
    ended: anyio.Event | None = None
    #: Stopping because its shard moves to another node: what it held goes there.
    handing_off: bool = False


def child_name(entity_id: str) -> str:
    """The actor name of an activation: its id, percent-encoded."""
    return quote(entity_id, safe="")  # no '/', and a leading '$' becomes '%24'


def entity_decider(error: BaseException) -> Directive:
    """How a region treats a failed activation: as Orleans and Dapr do, not as a plain child.

    An exception goes to the asker and the activation carries on with its
    state and mailbox (``RESUME``): a failure is one message's, and resuming
    counts towards no restart intensity, so one entity's failures never stop
    the region and its other entities. A persistence error stops the
    activation (the next message activates one that recovers what the
    journal holds); an error class's own ``default_directive`` wins (so
    ``PersistenceConflict`` stops it). Anything not an ``Exception`` escalates.
    """
    preferred = getattr(type(error), "default_directive", None)
    if isinstance(preferred, Directive):
        return preferred
    if not isinstance(error, Exception):
        return Directive.ESCALATE
    try:
        from actors.persistence import PersistenceError  # noqa: PLC0415 - an optional extra
    except ImportError:  # pragma: no cover - the persistence extra is not installed
        return Directive.RESUME
    return Directive.STOP if isinstance(error, PersistenceError) else Directive.RESUME


class RegionActor(Actor):
    """The parent of a region's activations (``/user/sharding:<type>``)."""

    strategy = OneForOne(decider=entity_decider)

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
