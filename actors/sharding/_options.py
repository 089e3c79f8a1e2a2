"""Checking the options of ``start_sharding`` where they are given."""

from __future__ import annotations

import math

from actors import ActorSystem

from ._errors import ShardingError


def check_options(
    system: object,
    type_name: object,
    shards: object,
    passivate_after: object,
    remember_entities: object,
    *,
    clustered: bool = False,
) -> float | None:
    """Raise on a bad option, naming it; return ``passivate_after`` as a float (or ``None``).

    ``clustered``: the records go to the cluster's key-value storage, not the journal.
    """
    if not isinstance(system, ActorSystem):
        raise TypeError(f"start_sharding needs an ActorSystem (got {system!r})")
    if (
        not isinstance(type_name, str)
        or not type_name
        or "/" in type_name
        or "\0" in type_name
        or not _utf8(type_name)
    ):
        raise ValueError(
            "the entity type name must be a non-empty string without '/' or NUL that UTF-8 "
            f"can carry (got {type_name!r})"
        )
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise ValueError(f"shards must be a whole number >= 1 (got {shards!r})")
    if passivate_after is not None and (
        isinstance(passivate_after, bool)
        or not isinstance(passivate_after, int | float)
        or not math.isfinite(passivate_after)
        or passivate_after <= 0
    ):
        raise ValueError(
            f"passivate_after must be > 0 seconds, or None to never passivate "
            f"(got {passivate_after!r})"
        )
    if not isinstance(remember_entities, bool):
        raise TypeError(f"remember_entities must be a bool (got {remember_entities!r})")
    if remember_entities and system.journal is None and not clustered:
        raise ShardingError(
            f"remember_entities=True keeps the live entity ids in the journal, and actor "
            f"system {system.name!r} has none; create it with ActorSystem(..., journal=...)"
        )
    return None if passivate_after is None else float(passivate_after)


def check_entity_id(entity_id: object) -> None:
    """Raise ``ValueError`` unless ``entity_id`` is a non-empty string that UTF-8 can carry.

    Checked where the id is given (``system.entity``, ``region.entity``): the
    shard hash and the wire both take the id's UTF-8 bytes, so a lone
    surrogate would otherwise fail later, at a ``tell``, with a bare
    ``UnicodeEncodeError``.
    """
    if not isinstance(entity_id, str) or not entity_id:
        raise ValueError(f"an entity id must be a non-empty string (got {entity_id!r})")
    if not _utf8(entity_id):
        raise ValueError(
            f"an entity id must be text that UTF-8 can carry, with no lone surrogate "
            f"(got {entity_id!r}); decode the bytes it came from with errors='strict' first"
        )


def _utf8(text: str) -> bool:
    if text.isascii():  # the common case, without making the bytes
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_timeout(timeout: object) -> None:
    """Refuse an ``ask`` timeout that cannot mean anything: > 0 seconds, or ``None``."""
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or math.isnan(timeout)
        or timeout <= 0
    ):
        raise ValueError(
            f"timeout must be > 0 seconds, or None to wait without limit (got {timeout!r})"
        )
