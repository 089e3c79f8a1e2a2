"""The shard of an entity id: a stable hash, the same in every process and run."""

from __future__ import annotations

import hashlib


def shard_of(entity_id: str, shards: int) -> int:
    """The shard (``0 <= shard < shards``) that holds ``entity_id``.

    A BLAKE2b digest of the id's UTF-8 bytes, modulo ``shards``: identical in
    every process whatever ``PYTHONHASHSEED`` is, so every node that agrees
    on the shard count agrees on the placement.

    Raises:
        TypeError: ``entity_id`` is not a string.
        ValueError: ``shards`` is not a whole number >= 1.
    """
    if not isinstance(entity_id, str):
        raise TypeError(f"entity_id must be a string (got {entity_id!r})")
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise ValueError(f"shards must be a whole number >= 1 (got {shards!r})")
    digest = hashlib.blake2b(entity_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards
