"""What the page shows, as one JSON document: the tree with its figures, failures, dead letters."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ._core_hooks import TreeNode, tree_statistics

if TYPE_CHECKING:
    from actors import ActorStatistics, ActorSystem

    from ._feed import Feed

#: The shortest stretch, in seconds, over which a message rate is computed.
RATE_WINDOW = 0.25


def field_names(message_type: type) -> list[str]:
    """The constructor fields of an attrs class or dataclass (else an empty list)."""
    if attrs.has(message_type):
        return [field.name for field in attrs.fields(message_type) if field.init]
    if dataclasses.is_dataclass(message_type):
        return [field.name for field in dataclasses.fields(message_type) if field.init]
    return []


class Sampler:
    """Builds snapshots and keeps what rates need: each actor's last count and when."""

    def __init__(
        self,
        system: ActorSystem,
        feed: Feed,
        *,
        actions: bool,
        message_types: Mapping[str, type],
    ) -> None:
        self._system = system
        self._feed = feed
        self._actions = actions
        self._types = [
            {"name": name, "fields": field_names(kind)} for name, kind in message_types.items()
        ]
        self._last: dict[str, tuple[int, float]] = {}
        self._rates: dict[str, float] = {}

    def sample(self) -> dict[str, Any]:
        """A JSON-ready snapshot of the system now."""
        now = time.monotonic()
        seen: dict[str, tuple[int, float]] = {}
        root, children = tree_statistics(self._system)
        tree = self._node(root, children, now, seen)
        self._last = seen
        self._rates = {path: rate for path, rate in self._rates.items() if path in seen}
        stats = self._system.statistics()
        return {
            "system": {
                "name": stats.name,
                "actors_alive": stats.actors_alive,
                "actors_spawned": stats.actors_spawned,
                "actors_stopped": stats.actors_stopped,
                "run_queue_length": stats.run_queue_length,
                "turns": stats.turns,
                "suspended_handlers": stats.suspended_handlers,
                "batch_latency_max": stats.batch_latency_max,
            },
            "dead_letters": dict(sorted(stats.dead_letters.items())),
            "tree": tree,
            "failures": list(self._feed.failures),
            "recent_dead_letters": list(self._feed.dead_letters),
            "actions": self._actions,
            "message_types": self._types,
        }

    def _node(
        self,
        stats: ActorStatistics,
        children: Iterable[TreeNode],
        now: float,
        seen: dict[str, tuple[int, float]],
    ) -> dict[str, Any]:
        path = stats.path
        handled = stats.messages_handled
        previous = self._last.get(path)
        if previous is None:
            seen[path] = (handled, now)
            rate = 0.0
        elif now - previous[1] >= RATE_WINDOW:
            seen[path] = (handled, now)
            rate = self._rates[path] = max(0.0, (handled - previous[0]) / (now - previous[1]))
        else:  # too soon after the last sample for a meaningful rate: keep the last one
            seen[path] = previous
            rate = self._rates.get(path, 0.0)
        node_children = [
            self._node(child_stats, grandchildren, now, seen)
            for child_stats, grandchildren in children
        ]
        return {
            "path": path,
            "name": path.rpartition("/")[2],
            "class": stats.actor_class,
            "state": stats.state,
            "mailbox": stats.mailbox_depth,
            "handled": handled,
            "rate": round(rate, 1),
            "failures": stats.failures,
            "restarts": stats.restarts,
            "restarts_in_window": stats.restarts_in_window,
            "handling_time": stats.handling_time,
            "handling_time_p90": stats.handling_time_p90,
            "current_message": stats.current_message,
            "children": node_children,
        }


def dumps(document: object) -> str:
    """Compact JSON, keys in a stable order (so equal snapshots give equal text)."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True)
