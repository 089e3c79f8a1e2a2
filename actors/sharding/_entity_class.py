"""Checking an entity class, and giving a persistent one its default ``persistence_id``."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from actors import Actor, ActorSystem

from ._errors import ShardingError


def _persistent_bases() -> tuple[type[Actor], ...]:
    try:
        from actors.persistence import DurableStateActor, EventSourcedActor  # noqa: PLC0415
    except ImportError:  # pragma: no cover - the persistence extra is not installed
        return ()
    return (EventSourcedActor, DurableStateActor)


def entity_class_for(
    system: ActorSystem,
    type_name: str,
    entity_class: object,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
) -> type[Actor]:
    """The class to spawn for each entity; raises at once if ``entity_class`` cannot be one.

    For an ``EventSourcedActor`` or ``DurableStateActor`` that does not set
    its own ``persistence_id``, a subclass (same name) whose constructor sets
    it to ``"<type>/<id>"`` before the class's own ``__init__`` runs, so that
    the id is the same on whichever node or path the entity runs, and an
    ``__init__`` that sets another one still wins.
    """
    if not (isinstance(entity_class, type) and issubclass(entity_class, Actor)):
        raise TypeError(f"entity_class must be an Actor subclass (got {entity_class!r})")
    name = entity_class.__name__
    if entity_class.__init__ is object.__init__:
        raise TypeError(
            f"{name} has no __init__, but an entity's constructor takes its entity id first; "
            f"define `def __init__(self, entity_id: str) -> None`"
        )
    try:
        inspect.signature(entity_class.__init__).bind(None, "id", *args, **kwargs)
    except TypeError as error:
        raise TypeError(
            f"{name}.__init__ must accept (entity_id, *args, **kwargs) as start_sharding "
            f"passes them ({error}); the entity id comes first"
        ) from None
    persistent = _persistent_bases()
    if not persistent or not issubclass(entity_class, persistent):
        return entity_class
    if system.journal is None:
        raise ShardingError(
            f"{name} is a persistent entity, and actor system {system.name!r} has no journal; "
            f"create it with ActorSystem({system.name!r}, journal=SqliteJournal(...))"
        )
    default = inspect.getattr_static(persistent[0], "persistence_id")
    if inspect.getattr_static(entity_class, "persistence_id") is not default:
        return entity_class  # the class says where its history lives
    original_init: Any = entity_class.__init__

    def __init__(self: Any, entity_id: str, *args: Any, **kwargs: Any) -> None:
        self.persistence_id = f"{type_name}/{entity_id}"
        original_init(self, entity_id, *args, **kwargs)

    namespace = {
        "__init__": __init__,
        "__module__": entity_class.__module__,
        "__qualname__": entity_class.__qualname__,
        "__doc__": entity_class.__doc__,
    }
    subclass: type[Actor] = type(name, (entity_class,), namespace)
    return subclass
