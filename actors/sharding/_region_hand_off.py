"""A region's activations ending: passivated, stopped, or handed off to another node.

Split from ``_region.py`` (one concept a module): when an idle activation
is passivated, what the region does when an activation ends, and how an
activation is stopped for a hand-off without losing what its mailbox holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

from actors import ActorRef, DeadLetter, MailboxFull

from ._events import EntityPassivated
from ._hash import shard_of
from ._region_actor import Forward

if TYPE_CHECKING:
    from actors import ActorContext

    from ._region import ShardRegion

#: Seconds between looks at a handing-off activation's mailbox (it drains; nothing new enters).
DRAIN_POLL = 0.005


async def hand_off_entity(region: ShardRegion, entity_id: str) -> None:
    """Stop ``entity_id``'s activation once it has handled its mailbox: its shard moves away.

    From now on, messages for it wait in the activation's buffer (the routing
    holds the shard's messages before they get here, so that buffer holds
    only stragglers); once its mailbox is empty and it is idle it is stopped,
    and its buffer goes back to the routing, ahead of what the routing holds.
    Returns when the region has seen it end.
    """
    activation = region._activations.get(entity_id)
    if activation is None:
        return
    activation.handing_off = True
    if activation.buffer is None:
        activation.buffer = []
    if activation.ended is None:
        activation.ended = anyio.Event()
    ended = activation.ended
    ref = activation.ref
    while True:
        statistics = ref.statistics()
        if statistics.state in ("stopping", "stopped") or (
            statistics.state == "idle" and not statistics.mailbox_depth
        ):
            break
        await anyio.sleep(DRAIN_POLL)  # no event for "mailbox empty": a short, bounded look
    await region.system.stop(ref)
    await ended.wait()


def sweep(region: ShardRegion, context: ActorContext) -> None:
    """Passivate the activations idle for two sweeps in a row, with empty mailboxes."""
    for activation in list(region._activations.values()):
        if activation.buffer is not None:
            continue
        if activation.touched:
            activation.touched = False
            activation.idle_sweeps = 0
            continue
        activation.idle_sweeps += 1
        if activation.idle_sweeps < 2:
            continue
        statistics = activation.ref.statistics()
        if statistics.state != "idle" or statistics.mailbox_depth:
            continue
        activation.buffer = []
        context.stop(activation.ref)


def terminated(region: ShardRegion, ref: ActorRef) -> None:
    """The activation ``ref`` has ended (the region actor saw ``Terminated``)."""
    entity_id = region._ids.pop(ref, None)
    if entity_id is None:
        return
    activation = region._activations.get(entity_id)
    if activation is None or activation.ref is not ref:
        return
    del region._activations[entity_id]
    passivated = activation.buffer is not None and not activation.handing_off
    region._passivated += passivated
    shard = shard_of(entity_id, region.shards)
    reason = "handed off" if activation.handing_off else "idle" if passivated else "stopped"
    region.system.event_stream.publish(
        EntityPassivated(
            type_name=region.type_name, entity_id=entity_id, shard=shard, reason=reason
        )
    )
    if region._remembered is not None and not activation.handing_off:
        # A handed-off entity stays remembered: its shard's next owner activates it.
        region._remembered.change(entity_id, shard, present=False)
    if activation.handing_off and region.routing is not None:
        region.routing.put_back(
            shard, [(entity_id, message, 0) for message in activation.buffer or ()]
        )
    elif activation.buffer:
        successor = region._activate(entity_id)
        for message in activation.buffer:
            if successor is None:
                region.region_ref.tell(Forward(entity_id, message))
                continue
            try:
                successor.ref.tell(message)
            except MailboxFull:
                region.system.event_stream.publish(
                    DeadLetter(message=message, recipient=successor.ref, reason="mailbox full")
                )
    if activation.ended is not None:
        activation.ended.set()
