"""The event stream: publish/subscribe by message type, between actors."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._ref import ActorRef

logger = logging.getLogger(__name__)


class EventStream:
    """A system-wide bus: actors subscribe to a type and receive every event of it.

    ``publish`` may be called from anywhere in the system's event loop. Each
    subscriber receives matching events with ``tell``, in publish order; a
    subscription to a class matches its subclasses too. A subscriber that
    stops is unsubscribed automatically.
    """

    def __init__(self) -> None:
        self._subscriptions: dict[ActorRef, set[type]] = {}
        # Subscribers per concrete event type, rebuilt lazily after any change.
        self._routes: dict[type, tuple[ActorRef, ...]] = {}

    def subscribe(self, subscriber: ActorRef, event_type: type) -> None:
        """Deliver every published event that is an instance of ``event_type`` to ``subscriber``.

        Subscribing twice to the same type is harmless: events arrive once.
        """
        from ._ref import ActorRef  # noqa: PLC0415 - only for the check

        if not isinstance(subscriber, ActorRef):
            raise TypeError(f"subscribe() needs an ActorRef as the subscriber (got {subscriber!r})")
        if not isinstance(event_type, type):
            raise TypeError(f"subscribe() needs a class as the event type (got {event_type!r})")
        self._subscriptions.setdefault(subscriber, set()).add(event_type)
        self._routes.clear()

    def unsubscribe(self, subscriber: ActorRef, event_type: type | None = None) -> None:
        """Stop delivering ``event_type`` (or, with ``None``, every type) to ``subscriber``."""
        types = self._subscriptions.get(subscriber)
        if types is None:
            return
        if event_type is None:
            types.clear()
        else:
            types.discard(event_type)
        if not types:
            del self._subscriptions[subscriber]
        self._routes.clear()

    def publish(self, event: object) -> None:
        """Send ``event`` to every subscriber of its type (or a base of it)."""
        event_class = type(event)
        routes = self._routes.get(event_class)
        if routes is None:
            routes = self._routes[event_class] = tuple(
                subscriber
                for subscriber, types in self._subscriptions.items()
                if any(issubclass(event_class, subscribed) for subscribed in types)
            )
        for subscriber in routes:
            subscriber._tell_quietly(event)  # a full subscriber gets a dead letter, not us

    def subscribers(self, event_type: type) -> tuple[ActorRef, ...]:
        """The refs that would receive an event of exactly ``event_type``."""
        return tuple(
            subscriber
            for subscriber, types in self._subscriptions.items()
            if any(issubclass(event_type, subscribed) for subscribed in types)
        )

    def _forget(self, subscriber: ActorRef) -> None:
        if subscriber in self._subscriptions:
            del self._subscriptions[subscriber]
            self._routes.clear()
