"""The records of shard placement in the ``shards`` bucket, and the rendezvous weight."""

from __future__ import annotations

import hashlib

import msgspec
from attrs import frozen


class OwnerRecord(msgspec.Struct, array_like=True):
    """The value of ``<type>.shard.<n>``: the owning node and its incarnation."""

    node: str
    incarnation: str


class HostRecord(msgspec.Struct, array_like=True):
    """The value of ``<type>.host.<node>``: its incarnation and shard count."""

    incarnation: str
    shards: int


@frozen
class Owner:
    """A shard's owner as read or won: ``revision`` is the record's, the fencing token.

    ``epoch`` is this node's lease epoch when it won the shard (see
    ``Membership.lease_epoch``): ownership by this node ends with that epoch.
    """

    node: str
    incarnation: str
    revision: int
    epoch: int = 0


def weight(type_name: str, shard: int, node: str) -> bytes:
    """The rendezvous weight of ``node`` for ``shard`` (BLAKE2b, identical in every process)."""
    return hashlib.blake2b(f"{type_name}\0{shard}\0{node}".encode(), digest_size=8).digest()
