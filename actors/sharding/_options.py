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
    if not isinstance(type_name, str) or not type_name or "/" in type_name:
        raise ValueError(
            f"the entity type name must be a non-empty string without '/' (got {type_name!r})"
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
