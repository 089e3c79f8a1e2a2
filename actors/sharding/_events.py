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
        reason: ``"idle"`` (passivated by the region) or ``"stopped"`` (the
            activation stopped itself, or stopped after a failure).
    """

    type_name: str
    entity_id: str
    shard: int
    reason: str
