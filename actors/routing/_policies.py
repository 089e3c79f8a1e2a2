"""Routing policies: which routee(s) of a pool or group receive a message.

A policy is frozen configuration; :meth:`RoutingPolicy.selector` makes the
mutable state one router needs (a round-robin counter, a hash ring).
"""

from __future__ import annotations

import bisect
import hashlib
import random
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from attrs import field, frozen

from actors import ActorRef

from ._errors import HashKeyError, InvalidRouting


class Selector(Protocol):
    """The state of one router's policy: picks routees for each message."""

    def select(
        self, message: object, slots: Sequence[str], refs: Sequence[ActorRef]
    ) -> Sequence[ActorRef]:
        """The routees that receive ``message``; ``slots`` name ``refs`` stably (same order)."""
        ...


class RoutingPolicy(Protocol):
    """A routing policy: frozen configuration that makes a :class:`Selector`."""

    def selector(self) -> Selector:
        """Fresh routing state for one router."""
        ...


@frozen
class RoundRobin:
    """Each message to the next routee in turn: even load for equal work."""

    def selector(self) -> Selector:
        """A counter that walks the routees."""
        return _RoundRobinSelector()


class _RoundRobinSelector:
    __slots__ = ("_next",)

    def __init__(self) -> None:
        self._next = 0

    def select(
        self, message: object, slots: Sequence[str], refs: Sequence[ActorRef]
    ) -> Sequence[ActorRef]:
        index = self._next % len(refs)
        self._next = index + 1
        return (refs[index],)


@frozen
class RandomRouting:
    """Each message to a routee drawn at random (from ``seed``, if given, for replay)."""

    seed: int | None = None

    def selector(self) -> Selector:
        """A seeded random generator."""
        return _RandomSelector(random.Random(self.seed))


class _RandomSelector:
    __slots__ = ("_random",)

    def __init__(self, generator: random.Random) -> None:
        self._random = generator

    def select(
        self, message: object, slots: Sequence[str], refs: Sequence[ActorRef]
    ) -> Sequence[ActorRef]:
        return (refs[self._random.randrange(len(refs))],)


@frozen
class SmallestMailbox:
    """Each message to the routee with the fewest queued messages (an idle one first).

    Reads ``ref.statistics()`` of every routee per message, so it costs more
    than round-robin; it pays off when work items take uneven time.
    """

    def selector(self) -> Selector:
        """Stateless: decides from the routees' statistics."""
        return _SmallestMailboxSelector()


class _SmallestMailboxSelector:
    __slots__ = ()

    def select(
        self, message: object, slots: Sequence[str], refs: Sequence[ActorRef]
    ) -> Sequence[ActorRef]:
        best = refs[0]
        best_load: tuple[int, int] | None = None
        for ref in refs:
            stats = ref.statistics()
            load = (stats.mailbox_depth, 0 if stats.state == "idle" else 1)
            if load == (0, 0):
                return (ref,)
            if best_load is None or load < best_load:
                best, best_load = ref, load
        return (best,)


@frozen
class Broadcast:
    """Every message to every routee; ``ask`` answers a tuple of every reply."""

    def selector(self) -> Selector:
        """Stateless: all routees."""
        return _BroadcastSelector()


class _BroadcastSelector:
    __slots__ = ()

    def select(
        self, message: object, slots: Sequence[str], refs: Sequence[ActorRef]
    ) -> Sequence[ActorRef]:
        return tuple(refs)


def _check_key(_instance: object, _attribute: object, value: Any) -> None:
    if not callable(value):
        raise InvalidRouting(
            f"ConsistentHash needs a key function of the message, such as "
            f"lambda order: order.customer (got {value!r})"
        )


def _check_virtual_nodes(_instance: object, _attribute: object, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRouting(f"virtual_nodes must be a whole number >= 1 (got {value!r})")


@frozen
class ConsistentHash:
    """Messages with equal keys always reach the same routee: the basis of sharding.

    Routees sit on a hash ring by their stable slot name (a pool's ``w0``,
    ``w1``, ...), ``virtual_nodes`` points each, so a restarted worker keeps
    its place, and resizing a pool by one moves only about ``1/size`` of the
    keys. Keys are hashed stably across processes when they are ``str``,
    ``bytes`` or ``int``; other hashable keys use ``hash()``.
    ``key`` must be pure: it may run more than once for one message (by the
    sender, and by the pool while it forwards messages sent before its start).

    Raises (at send time, to the sender):
        HashKeyError: ``key`` raised or returned an unhashable value; the
            message is not sent.
    """

    key: Callable[[Any], Any] = field(validator=_check_key)
    virtual_nodes: int = field(default=64, validator=_check_virtual_nodes, kw_only=True)

    def selector(self) -> Selector:
        """A hash ring, rebuilt when the routees change."""
        return _HashRingSelector(self.key, self.virtual_nodes)


def _point(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def _key_bytes(key: object) -> bytes:
    if isinstance(key, str):
        return b"s" + key.encode()
    if isinstance(key, bytes):
        return b"b" + key
    if isinstance(key, int) and not isinstance(key, bool):
        return b"i" + str(key).encode()
    return b"h" + hash(key).to_bytes(8, "big", signed=True)


class _HashRingSelector:
    __slots__ = ("_key", "_points", "_ring_slots", "_slots", "_virtual_nodes")

    def __init__(self, key: Callable[[Any], Any], virtual_nodes: int) -> None:
        self._key = key
        self._virtual_nodes = virtual_nodes
        self._slots: tuple[str, ...] = ()
        self._points: list[int] = []
        self._ring_slots: list[int] = []

    def _rebuild(self, slots: Sequence[str]) -> None:
        ring = sorted(
            (_point(f"{slot}#{replica}".encode()), index)
            for index, slot in enumerate(slots)
            for replica in range(self._virtual_nodes)
        )
        self._points = [point for point, _ in ring]
        self._ring_slots = [index for _, index in ring]
        self._slots = tuple(slots)

    def key_point(self, message: object) -> int:
        """The ring point of ``message``'s key; needs no routees.

        Raises:
            HashKeyError: the key function raised or returned an unhashable key.
        """
        try:
            key = self._key(message)
            data = _key_bytes(key)
        except Exception as error:
            raise HashKeyError(
                f"ConsistentHash key function raised {type(error).__name__}: {error} "
                f"for {message!r}; make it total over the messages you send to this router "
                "(the message was not sent)"
            ) from error
        return _point(data)

    def select(
        self, message: object, slots: Sequence[str], refs: Sequence[ActorRef]
    ) -> Sequence[ActorRef]:
        point = self.key_point(message)
        if tuple(slots) != self._slots:
            self._rebuild(slots)
        at = bisect.bisect(self._points, point) % len(self._points)
        return (refs[self._ring_slots[at]],)
