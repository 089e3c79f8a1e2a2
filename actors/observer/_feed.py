"""The observer's feed: recent failures (with tracebacks) and dead letters from the event stream."""

from __future__ import annotations

import reprlib
import time
import traceback
from collections import deque
from typing import TYPE_CHECKING, Any

from actors import ActorFailed, ActorRef, ActorStatistics, DeadLetter

if TYPE_CHECKING:
    from actors import ActorSystem

#: How many failures and dead letters the page lists.
RECENT = 50

_repr = reprlib.Repr()
_repr.maxstring = 120
_repr.maxother = 120


class Feed:
    """Keeps the most recent failures and dead letters as plain JSON-ready dicts."""

    def __init__(self) -> None:
        self.failures: deque[dict[str, Any]] = deque(maxlen=RECENT)
        self.dead_letters: deque[dict[str, Any]] = deque(maxlen=RECENT)
        self.failure_count = 0
        self.ref = FeedRef(self)

    def subscribe(self, system: ActorSystem) -> None:
        system.event_stream.subscribe(self.ref, ActorFailed)
        system.event_stream.subscribe(self.ref, DeadLetter)

    def unsubscribe(self, system: ActorSystem) -> None:
        system.event_stream.unsubscribe(self.ref)

    def record(self, event: object) -> None:
        if isinstance(event, ActorFailed):
            self.failure_count += 1
            error = event.error
            self.failures.appendleft(
                {
                    "id": self.failure_count,
                    "time": time.time(),
                    "path": event.ref.path,
                    "error": f"{type(error).__name__}: {error}",
                    "message_type": (
                        None if event.message is None else type(event.message).__qualname__
                    ),
                    "traceback": "".join(traceback.format_exception(error)),
                }
            )
        elif isinstance(event, DeadLetter):
            self.dead_letters.appendleft(
                {
                    "time": time.time(),
                    "type": type(event.message).__qualname__,
                    "recipient": event.recipient.path,
                    "reason": event.reason,
                    "message": _repr.repr(event.message),
                }
            )


class FeedRef(ActorRef):
    """An event-stream subscriber that is not an actor: it records what it is told, at once.

    Subscribing this instead of spawning an actor keeps the observer out of
    the user's supervision tree and off the scheduler.
    """

    __slots__ = ("_feed",)

    def __init__(self, feed: Feed) -> None:
        self._feed = feed

    @property
    def path(self) -> str:
        return "/system/observer-feed"

    def tell(self, message: object) -> None:
        self._feed.record(message)

    async def send(self, message: object) -> None:
        self._feed.record(message)

    async def ask(self, message: object, *, timeout: float | None = None) -> Any:
        raise TypeError("the observer feed records events; it answers no ask")

    def statistics(self) -> ActorStatistics:
        return ActorStatistics(
            path=self.path,
            actor_class=type(self).__qualname__,
            state="idle",
            mailbox_depth=0,
            messages_handled=self._feed.failure_count,
            failures=0,
            restarts=0,
            restarts_in_window=0,
            handling_time=0.0,
            handling_time_p90=None,
            current_message=None,
            children=0,
        )

    def _watch(self, watcher: ActorRef) -> None:
        pass  # it never stops, so it never terminates

    def _unwatch(self, watcher: ActorRef) -> None:
        pass
