"""``EntityRef``: the address of a sharded entity, valid whatever activation serves it."""

from __future__ import annotations

from typing import Any, Protocol

from actors import ActorRef, ActorStatistics


class EntityRegion(Protocol):
    """What an entity ref sends through: a ``ShardRegion``, or a non-hosting node's proxy."""

    @property
    def type_name(self) -> str: ...

    @property
    def entity_class(self) -> type: ...

    def deliver(self, entity_id: str, message: object) -> None: ...

    async def deliver_waiting(self, entity_id: str, message: object) -> None: ...

    async def ask(self, entity_id: str, message: object, timeout: float | None) -> Any: ...

    def activation_of(self, entity_id: str) -> ActorRef | None: ...


_WATCH_REFUSED = (
    "an entity is virtual: it is activated on demand and passivated when idle, so it never "
    "terminates for good and there is nothing to watch (got {ref!r}); subscribe to "
    "actors.sharding.EntityActivated and EntityPassivated on system.event_stream instead"
)


class EntityRef(ActorRef):
    """The ref of entity ``entity_id`` of a sharded type: ``system.entity(type_name, entity_id)``.

    ``tell``, ``send`` and ``ask`` behave as for any ref, with the entity
    activated by the message if it is not active. The ref stays valid across
    passivation, failures and restarts, and two refs to one entity are equal,
    so it can be kept, compared and put inside messages.

    Ordering: messages from one sender reach the entity in the order sent,
    also when they arrive while an activation is being passivated (they are
    held by the region and handed to the next activation, in order).
    Delivery: each message is handled by an activation, or becomes a
    :class:`~actors.DeadLetter` (the region has stopped; an activation stopped
    itself or failed with messages still queued).

    ``watch`` on an entity ref raises ``TypeError``: an entity never
    terminates for good. Watch the region's events instead.
    """

    __slots__ = ("_entity_id", "_region")

    def __init__(self, region: EntityRegion, entity_id: str) -> None:
        self._region = region
        self._entity_id = entity_id

    @property
    def type_name(self) -> str:
        """The entity type."""
        return self._region.type_name

    @property
    def entity_id(self) -> str:
        """The entity's id."""
        return self._entity_id

    @property
    def path(self) -> str:
        """A virtual path, ``"/sharding/<type>/<id>"``; the activation's own path differs."""
        return f"/sharding/{self._region.type_name}/{self._entity_id}"

    def tell(self, message: object) -> None:
        """Send without waiting; activates the entity if needed (see :class:`ActorRef`)."""
        self._region.deliver(self._entity_id, message)

    async def send(self, message: object) -> None:
        """Send, waiting for room in a bounded mailbox (see :class:`ActorRef`)."""
        await self._region.deliver_waiting(self._entity_id, message)

    async def ask(self, message: object, *, timeout: float | None = None) -> Any:
        """Ask the entity (activated if needed); ``timeout`` covers any wait for its activation.

        Raises:
            ActorStopped: the region has stopped, or the activation stopped
                before handling the request.
            TimeoutError: no reply within ``timeout``.
            Exception: whatever ``receive`` raised.
        """
        return await self._region.ask(self._entity_id, message, timeout)

    def statistics(self) -> ActorStatistics:
        """The current activation's statistics, or state ``"passivated"`` with zeros if none."""
        ref = self._region.activation_of(self._entity_id)
        if ref is not None:
            return ref.statistics()
        return ActorStatistics(
            path=self.path,
            actor_class=self._region.entity_class.__qualname__,
            state="passivated",
            mailbox_depth=0,
            messages_handled=0,
            failures=0,
            restarts=0,
            restarts_in_window=0,
            handling_time=0.0,
            handling_time_p90=None,
            current_message=None,
            children=0,
        )

    def _watch(self, watcher: ActorRef) -> None:
        raise TypeError(_WATCH_REFUSED.format(ref=self))

    def _unwatch(self, watcher: ActorRef) -> None:
        return None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EntityRef):
            return NotImplemented
        return self._region is other._region and self._entity_id == other._entity_id

    def __hash__(self) -> int:
        return hash((id(self._region), self._entity_id))

    def __repr__(self) -> str:
        return f"<EntityRef {self._region.type_name}/{self._entity_id}>"
