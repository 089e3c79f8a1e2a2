"""Subjects: how actor addresses map onto NATS subjects, with escaping.

Every node of cluster ``C`` named ``N`` owns the subjects under
``<prefix>.C.n.N.>`` and holds one wildcard subscription on them:

| Subject | Meaning |
| --- | --- |
| ``<prefix>.C.n.N.a.<path tokens>`` | a message for the actor at that path |
| ``<prefix>.C.n.N.r.<id>`` | the reply to one of the node's asks (``<id>``: 128 random bits) |
| ``<prefix>.C.n.N.c.<kind>`` | the node's control traffic (watch, unwatch, terminated) |

Each actor path segment becomes one token, escaped so that no name can add
tokens or wildcards: ``[A-Za-z0-9_-]`` stay as they are, every other character
becomes ``=XX`` per UTF-8 byte (``=`` itself included). The escaped form is
also a valid JetStream key-value key.
"""

from __future__ import annotations

import functools
import re

from attrs import frozen

_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_PLAIN = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPED = re.compile(r"(?:=[0-9A-F]{2})+")


def escape(text: str) -> str:
    """Escape ``text`` into one subject token (and key-value key) of safe characters."""
    return "".join(
        char if char in _SAFE else "".join(f"={byte:02X}" for byte in char.encode())
        for char in text
    )


def unescape(token: str) -> str:
    """The inverse of :func:`escape`."""
    return _ESCAPED.sub(lambda match: bytes.fromhex(match[0].replace("=", "")).decode(), token)


def check_plain(value: object, what: str) -> str:
    """Refuse a cluster, node or prefix name that would need escaping."""
    if not isinstance(value, str) or not _PLAIN.fullmatch(value):
        raise ValueError(
            f"{what} must be letters, digits, '_' or '-' (got {value!r}); "
            "it names NATS subjects and JetStream buckets"
        )
    return value


@frozen
class Address:
    """Where an actor lives in a cluster: its node and its path there."""

    node: str
    path: str

    def __str__(self) -> str:
        return f"{self.node}:{self.path}"


@frozen
class Subjects:
    """The subject scheme of one cluster, seen from one node."""

    prefix: str
    cluster: str
    node: str

    @property
    def base(self) -> str:
        """This node's subject root."""
        return self.node_base(self.node)

    def node_base(self, node: str) -> str:
        return f"{self.prefix}.{self.cluster}.n.{node}"

    def actor(self, address: Address) -> str:
        return _actor_subject(self.node_base(address.node), address.path)

    def control(self, node: str, kind: str) -> str:
        return f"{self.node_base(node)}.c.{kind}"

    def reply(self, request_id: str) -> str:
        return f"{self.base}.r.{request_id}"

    def pool(self, name: str) -> str:
        return f"{self.prefix}.{self.cluster}.p.{escape(name)}"

    def durable(self, name: str) -> str:
        return f"{self.prefix}.{self.cluster}.d.{escape(name)}"

    def bucket(self, purpose: str) -> str:
        """A JetStream bucket name of this cluster (bucket names allow no dots)."""
        return f"{self.prefix}_{self.cluster}_{purpose}"

    def parse(self, subject: str) -> tuple[str, str] | None:
        """Split a subject of this node into ``(kind, rest)``; ``None`` if it is not one."""
        base = self.base
        if not subject.startswith(base) or subject[len(base) : len(base) + 1] != ".":
            return None
        kind, _, rest = subject[len(base) + 1 :].partition(".")
        return kind, rest


@functools.lru_cache(maxsize=4096)
def path_of(tokens: str) -> str:
    """The actor path that the ``a.`` tokens of a subject name."""
    return "/" + "/".join(unescape(token) for token in tokens.split("."))


@functools.lru_cache(maxsize=4096)
def tokens_of(path: str) -> str:
    """The subject tokens of an actor path (the inverse of :func:`path_of`)."""
    return ".".join(escape(segment) for segment in path.split("/") if segment)


@functools.lru_cache(maxsize=4096)
def _actor_subject(base: str, path: str) -> str:
    return f"{base}.a.{tokens_of(path)}"
