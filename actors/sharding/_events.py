"""Events a region publishes on ``system.event_stream``: what to watch instead of an entity."""

from __future__ import annotations

from attrs import frozen


@frozen(kw_only=True)
class EntityActivated:
    """An activation of an entity started (on its first message, a reminder, or remembered).

    Attributes:
        type_name: the entity type, as given to ``start_sharding``.
        entity_id: the entity's id.
        shard: the shard that holds it.
    """

    type_name: str
    entity_id: str
    shard: int


@frozen(kw_only=True)
class EntityPassivated:
    """An activation of an entity ended: passivated when idle, stopped itself, or failed.

    The entity is not gone: its next message activates it again.

    Attributes:
        type_name: the entity type.
        entity_id: the entity's id.
        shard: the shard that holds it.
        reason: ``"idle"`` (passivated by the region), ``"handed off"`` (its
            shard moved to another node, in a cluster) or ``"stopped"`` (the
            activation stopped itself, or stopped after a failure).
    """

    type_name: str
    entity_id: str
    shard: int
    reason: str


@frozen(kw_only=True)
class ShardClaimed:
    """This node became the owner of a shard, in a cluster (it claimed it, or it was handed over).

    Published by the new owner when it first routes a message of the shard
    (or activates a remembered entity of it) after winning its record.

    Attributes:
        type_name: the entity type.
        shard: the shard.
        node: this node's name.
    """

    type_name: str
    shard: int
    node: str


@frozen(kw_only=True)
class ShardHandedOff:
    """This node handed a shard off, in a cluster: a graceful leave, or a rebalancing move.

    Published once the shard's activations here have stopped (each after
    handling what its mailbox held), its ownership record names the new
    owner (or was released, if no other node hosts the type), and the
    messages held meanwhile were sent there.

    Attributes:
        type_name: the entity type.
        shard: the shard.
        node: the node it was handed to (``""``: released, no other host).
    """

    type_name: str
    shard: int
    node: str
