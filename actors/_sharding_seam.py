"""The seam for sharding: ``system.start_sharding``, ``system.entity`` and ``context.remind``.

``actors.sharding`` is a higher layer built on the core's public face, so the
core never imports it at module level: these methods import it when first
called (``importlib``, so that a program that never shards never loads it),
and everything they do is done there. ``ActorSystem`` takes the two system
methods as a mixin, which keeps the system module about running actors.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from ._actor import Actor
    from ._context import ActorContext
    from .sharding import EntityRef, ShardRegion


def _sharding() -> Any:
    return importlib.import_module("actors.sharding")


class ShardingMethods:
    """The sharding half of ``ActorSystem`` (a mixin; see ``actors.sharding``)."""

    async def start_sharding(
        self,
        type_name: str,
        entity_class: type[Actor],
        *args: Any,
        shards: int = 64,
        passivate_after: float | None = 120.0,
        remember_entities: bool = False,
        kwargs: Mapping[str, Any] | None = None,
    ) -> ShardRegion:
        """Host the entity type ``type_name`` here; return its ``actors.sharding.ShardRegion``.

        Each entity is an instance of ``entity_class`` built as
        ``entity_class(entity_id, *args, **kwargs)``, activated by the first
        message sent to ``system.entity(type_name, entity_id)`` and
        passivated (stopped) after ``passivate_after`` idle seconds (``None``:
        never). With ``remember_entities=True`` the active entities are
        recorded in the journal and activated again when the region next
        starts. In a cluster, call it on every node that hosts the type, with
        the same ``shards``: each shard is then owned by one node. See
        ``ShardRegion`` for the guarantees.

        Raises:
            ValueError: a bad type name, shard count or passivation time, or
                the type is already hosted here.
            TypeError: ``entity_class`` is not an ``Actor`` whose constructor
                takes the entity id first.
            actors.sharding.ShardingError: a persistent entity class in a
                system without a journal; in a cluster, a live node hosting the
                type with another shard count, or ``remember_entities=True``.
        """
        region: ShardRegion = await _sharding().ShardRegion.start(
            self,
            type_name,
            entity_class,
            *args,
            shards=shards,
            passivate_after=passivate_after,
            remember_entities=remember_entities,
            kwargs=kwargs,
            cluster=getattr(self, "_cluster_node", None),
        )
        return region

    def entity(self, type_name: str, entity_id: str) -> EntityRef:
        """The ``actors.sharding.EntityRef`` of entity ``entity_id`` of type ``type_name``.

        Valid across passivation and restarts; cheap to make and to compare.
        In a cluster it works on every node, hosting the type or not.

        Raises:
            LookupError: no region of ``type_name`` was started in this system
                (and the system is in no cluster).
            ValueError: ``entity_id`` is not a non-empty string.
        """
        # The sharding package's own entry point for this seam (a private module of it).
        proxy = importlib.import_module("actors.sharding._proxy")
        cluster = getattr(self, "_cluster_node", None)
        ref: EntityRef = proxy.entity_ref(self, cluster, type_name, entity_id)
        return ref


async def remind(
    context: ActorContext,
    name: str,
    message: object,
    *,
    after: float | None,
    at: datetime | None,
    every: float | None,
) -> None:
    """``context.remind``: delegated to the region that hosts the entity."""
    region = _sharding().ShardRegion.hosting(context.self_ref)
    entity_id = region.entity_id_of(context.self_ref)
    await region.reminders.remind(entity_id, name, message, after=after, at=at, every=every)


async def cancel_reminder(context: ActorContext, name: str) -> bool:
    """``context.cancel_reminder``: delegated to the region that hosts the entity."""
    region = _sharding().ShardRegion.hosting(context.self_ref)
    cancelled: bool = await region.reminders.cancel(region.entity_id_of(context.self_ref), name)
    return cancelled
