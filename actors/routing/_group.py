"""``Group``: a router over refs that already exist (it does not supervise them)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from attrs import frozen

from actors import Actor, ActorRef, Terminated

from ._errors import HashKeyError, InvalidRouting
from ._policies import RoundRobin, RoutingPolicy
from ._pool import GetRoutees, Spawner
from ._router_ref import RouterRef, RoutingTable, Sync
from ._type_parameters import M

logger = logging.getLogger(__name__)


@frozen
class AddRoutee:
    """Add ``ref`` to a group router (harmless if it is already a routee)."""

    ref: ActorRef


@frozen
class RemoveRoutee:
    """Take ``ref`` out of a group router (harmless if it is not a routee)."""

    ref: ActorRef


class Group(Actor):
    """Routes to a set of existing actors, which it watches but does not supervise.

    Spawn it with :func:`spawn_group`. A routee that stops for good is taken
    out of routing; when the last one has gone, messages sent through the
    router become dead letters of the group actor (``"unhandled"``). Slots
    are the routees' paths, so ``ConsistentHash`` keeps a key on the same
    routee while that routee lives.
    """

    def __init__(self, refs: tuple[ActorRef, ...], table: RoutingTable) -> None:
        self.table = table
        self.refs: list[ActorRef] = []
        for ref in table.refs or refs:
            self._add(ref)

    def on_start(self) -> None:
        self._publish()
        self.table.direct = True

    def on_stop(self) -> None:
        self.table.direct = False

    def _add(self, ref: ActorRef) -> None:
        if ref not in self.refs:
            self.refs.append(self.context.watch(ref))

    def _publish(self) -> None:
        self.table.set([(ref.path, ref) for ref in self.refs])

    def receive(self, message: Any) -> Any:
        match message:
            case Sync():
                return None
            case GetRoutees():
                return tuple(self.refs)
            case AddRoutee(ref):
                self._add(ref)
                self._publish()
            case RemoveRoutee(ref) | Terminated(ref):
                if ref in self.refs:
                    self.refs.remove(ref)
                    self.context.unwatch(ref)
                    self._publish()
                    if not self.refs:
                        logger.warning(
                            "%s has no routees left",
                            self.context.path,
                            extra={"actor": self.context.path},
                        )
            case _:
                try:
                    chosen = self.table.select(message)
                except HashKeyError as error:
                    logger.warning(
                        "%s: %s; it becomes a dead letter",
                        self.context.path,
                        error,
                        extra={"actor": self.context.path},
                    )
                    return super().receive(message)
                if not chosen:
                    return super().receive(message)
                for ref in chosen:
                    ref.tell(message)
        return None


def spawn_group(
    spawner: Spawner,
    refs: Iterable[ActorRef[M]],
    *,
    routing: RoutingPolicy | None = None,
    name: str | None = None,
) -> RouterRef[M]:
    """Spawn a :class:`Group` router over ``refs`` and return its :class:`RouterRef`.

    Routees that are ``ActorRef[M]`` give a ``RouterRef[M]`` (the type
    checker takes the message type every routee accepts).

    Raises:
        InvalidRouting: ``refs`` is empty or holds something that is not an ``ActorRef``.
    """
    routees = tuple(refs)
    if not routees:
        raise InvalidRouting("a group router needs at least one routee (got no refs)")
    for ref in routees:
        if not isinstance(ref, ActorRef):
            raise InvalidRouting(f"a group router routes to ActorRefs only (got {ref!r})")
    table = RoutingTable(routing if routing is not None else RoundRobin())
    table.set([(ref.path, ref) for ref in routees])
    table.direct = True
    router = spawner.spawn(Group, routees, table, name=name)
    return RouterRef(router, table)
