"""A hosting node's region endpoint: the virtual ref that envelopes and move notices reach.

Each hosting node serves its region at ``/sharding/<type>`` (see
``_shard_placement.py``); the node's inbound router hands it what arrives
there: entity envelopes ``[entity_id, hops, message]`` and the notices of
shard moves ``[kind, shards, node, token]``. Anything else is a dead letter.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from actors import ActorError, ActorRef, ActorStatistics

if TYPE_CHECKING:
    from ._node import NatsNode

logger = logging.getLogger(__name__)


class RoutedHandler(Protocol):
    """What a hosting region does with the envelopes that reach its endpoint."""

    def routed_tell(self, entity_id: str, message: object, hops: int) -> None: ...

    async def routed_ask(self, entity_id: str, message: object, hops: int) -> Any: ...

    def routed_control(self, kind: str, shards: list[int], node: str, token: str) -> None: ...

    async def leave(self) -> None: ...


def _control(message: object) -> tuple[str, list[int], str, str] | None:
    """The parts of a move's notice ``[kind, shards, node, token]``, or ``None``."""
    if isinstance(message, list) and len(message) == 4:
        kind, shards, node, token = message
        if (
            isinstance(kind, str)
            and kind.startswith("$")
            and isinstance(shards, list)
            and all(type(shard) is int for shard in shards)
            and isinstance(node, str)
            and node
            and isinstance(token, str)
        ):
            return kind, shards, node, token
    return None


def _opened(message: object) -> tuple[str, int, object] | None:
    """The parts of an envelope that arrived (a list), or ``None`` if it is not one."""
    if isinstance(message, list) and len(message) == 3:
        entity_id, hops, inner = message
        if isinstance(entity_id, str) and entity_id and type(hops) is int and hops >= 0:
            return entity_id, hops, inner
    return None


class Endpoint(ActorRef):
    """The virtual ref ``/sharding/<type>`` that the node's inbound router hands envelopes to."""

    __slots__ = ("_handler", "_node", "_path", "_routed_tell")

    def __init__(self, node: NatsNode, path: str, handler: RoutedHandler) -> None:
        self._node = node
        self._path = path
        self._handler = handler
        self._routed_tell = handler.routed_tell  # bound once: called per message

    @property
    def path(self) -> str:
        return self._path

    def tell(self, message: object) -> None:
        # Once per entity message on its owner: _opened's checks, inlined.
        if type(message) is list and len(message) == 3:
            entity_id, hops, inner = message
            if type(entity_id) is str and entity_id and type(hops) is int and hops >= 0:
                self._routed_tell(entity_id, inner, hops)
                return
        opened = _opened(message)
        if opened is None:
            control = _control(message)
            if control is not None:
                self._handler.routed_control(*control)
                return
            reason = "not an entity envelope [entity_id, hops, message]"
            logger.warning("dead letter for %s on %s: %s", self._path, self._node.name, reason)
            self._node.dead_letter(message, self, reason)
            return
        entity_id, hops, inner = opened
        self._handler.routed_tell(entity_id, inner, hops)

    def _tell_quietly(self, message: object) -> None:
        # The inbound router's call, once per entity message on its owner: tell's fast
        # path inlined in ActorRef._tell_quietly (one Python frame fewer), which never
        # raises (what the runtime refuses is logged, as there).
        try:
            if type(message) is list and len(message) == 3:
                entity_id, hops, inner = message
                if type(entity_id) is str and entity_id and type(hops) is int and hops >= 0:
                    self._routed_tell(entity_id, inner, hops)
                    return
            self.tell(message)
        except ActorError as error:
            logger.warning("could not deliver %r to %s: %s", message, self._path, error)

    async def send(self, message: object) -> None:
        self.tell(message)

    async def ask(self, message: object, *, timeout: float | None = None) -> Any:
        opened = _opened(message)
        if opened is None:
            raise TypeError(f"{self._path} takes entity envelopes only (got {message!r})")
        entity_id, hops, inner = opened
        return await self._handler.routed_ask(entity_id, inner, hops)

    def statistics(self) -> ActorStatistics:
        raise NotImplementedError(f"{self._path} is a sharding region's endpoint")

    def _watch(self, watcher: ActorRef) -> None:
        raise TypeError(f"{self._path} is a sharding region's endpoint; it cannot be watched")

    def _unwatch(self, watcher: ActorRef) -> None:
        return None
