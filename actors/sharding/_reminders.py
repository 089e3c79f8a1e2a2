"""Durable reminders: messages an entity sends itself later, kept per shard.

In one process they are kept in the journal, and the region holds every
reminder of its type in memory (loaded when it starts). In a cluster they are
kept in JetStream key-value storage (``_kv_store``), and a node holds the
reminders of the shards it owns (loaded when it comes to own one, dropped
when it stops owning it: ``_shard_loading``). Each has one timer, set by the
region actor. When one is due a task
asks the entity (activating it) with the reminder's message, and only after
the entity has handled it is the reminder deleted (one-shot) or moved to its
next time (repeating) in the store: a crash in between fires it again at
the next start (or on the node that takes the shard over), so a reminder
fires at least once. A reminder is never fired again while its previous
firing is under way.

Times are wall-clock (``time.time()``), so a stored reminder means the same
in the next run; the timers themselves run on the event loop's clock, which
is why a fired timer is trusted even if the wall clock disagrees (virtual time).
"""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from attrs import define, frozen

from actors import ActorStopped, ActorSystemClosed, Timer

from ._errors import ShardingError
from ._hash import shard_of

if TYPE_CHECKING:
    from actors import ActorContext

    from ._region import ShardRegion

logger = logging.getLogger(__name__)


@frozen
class Due:
    """To the region actor: a reminder may be due (``fired``: its timer went off)."""

    entity_id: str
    name: str
    generation: int
    fired: bool = False


@define(eq=False)
class _Reminder:
    entity_id: str
    name: str
    due: float
    every: float | None
    message: object
    generation: int
    timer: Timer | None = None
    firing: bool = False

    def row(self) -> dict[str, object]:
        return {
            "entity": self.entity_id,
            "name": self.name,
            "due": self.due,
            "every": self.every,
            "message": self.message,
        }


def _seconds(value: object, what: str, *, allow_zero: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number of seconds (got {value!r})")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{what} must be {bound} seconds (got {value!r})")
    return float(value)


def _due_time(after: object, at: object) -> float:
    if (after is None) == (at is None):
        raise ValueError(
            f"remind() needs exactly one of after= (seconds) or at= (an aware datetime) "
            f"(got after={after!r}, at={at!r})"
        )
    if after is not None:
        return time.time() + _seconds(after, "after", allow_zero=True)
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise ValueError(
            f"at= must be a timezone-aware datetime such as datetime.now(UTC) (got {at!r})"
        )
    return at.timestamp()


class Reminders:
    """The reminders of one region: in memory, in the journal, and on timers."""

    def __init__(self, region: ShardRegion) -> None:
        self._region = region
        self._by_shard: dict[int, dict[str, dict[str, _Reminder]]] = {}
        self._generations = 0

    def __len__(self) -> int:
        return sum(len(names) for shard in self._by_shard.values() for names in shard.values())

    def _names(self, entity_id: str, *, create: bool = False) -> dict[str, _Reminder]:
        shard = self._by_shard.setdefault(shard_of(entity_id, self._region.shards), {})
        names = shard.get(entity_id)
        if names is None:
            names = {}
            if create:
                shard[entity_id] = names
        return names

    def _rows(self, shard: int) -> list[dict[str, object]]:
        return [r.row() for names in self._by_shard.get(shard, {}).values() for r in names.values()]

    def _next_generation(self) -> int:
        self._generations += 1
        return self._generations

    async def load(self) -> None:
        """Read every shard's reminders from the journal (in one process, when it starts)."""
        if self._region.store is None:
            return
        for shard in range(self._region.shards):
            self.install(shard, await self.read_shard(shard), schedule=False)

    async def read_shard(self, shard: int) -> list[_Reminder]:
        """The reminders stored for ``shard``; malformed rows are logged and skipped."""
        store = self._region.store
        assert store is not None
        rows = await store.read(store.record_id("reminders", shard))
        if rows is not None and not isinstance(rows, list):
            logger.warning(
                "sharding: skipped malformed stored reminders of shard %d: %r", shard, rows
            )
            return []
        found: list[_Reminder] = []
        for row in rows or ():
            try:
                reminder = self._parse(row, shard)
            except (KeyError, TypeError, ValueError) as error:
                logger.warning("sharding: skipped a malformed stored reminder %r (%s)", row, error)
                continue
            found.append(reminder)
        return found

    def _parse(self, row: Any, shard: int) -> _Reminder:
        entity_id, name = row["entity"], row["name"]
        if not (isinstance(entity_id, str) and entity_id and isinstance(name, str) and name):
            raise ValueError("entity and name must be non-empty strings")
        if shard_of(entity_id, self._region.shards) != shard:
            raise ValueError(f"entity {entity_id!r} is not of shard {shard}")
        return _Reminder(
            entity_id=entity_id,
            name=name,
            due=float(row["due"]),
            every=None if row["every"] is None else float(row["every"]),
            message=row["message"],
            generation=self._next_generation(),
        )

    def install(self, shard: int, found: list[_Reminder], *, schedule: bool) -> None:
        """Hold the reminders ``found`` of ``shard``; ``schedule``: have their timers set now."""
        entities = self._by_shard.setdefault(shard, {})
        for reminder in found:
            names = entities.setdefault(reminder.entity_id, {})
            old = names.get(reminder.name)
            if old is not None and old.timer is not None:
                old.timer.cancel()
            names[reminder.name] = reminder
            if schedule:
                self._region.region_ref.tell(
                    Due(reminder.entity_id, reminder.name, reminder.generation)
                )

    def unload_shard(self, shard: int) -> None:
        """Forget ``shard``'s reminders here and stop their timers (another node owns it now)."""
        for names in self._by_shard.pop(shard, {}).values():
            for reminder in names.values():
                if reminder.timer is not None:
                    reminder.timer.cancel()

    def schedule_all(self, context: ActorContext) -> None:
        """Set a timer for every reminder (from the region actor's ``on_start``)."""
        for shard in self._by_shard.values():
            for names in shard.values():
                for reminder in names.values():
                    self._schedule(context, reminder)

    def _schedule(self, context: ActorContext, reminder: _Reminder) -> None:
        if reminder.timer is not None:
            reminder.timer.cancel()
        delay = max(0.0, reminder.due - time.time())
        reminder.timer = context.schedule_once(
            delay, Due(reminder.entity_id, reminder.name, reminder.generation, fired=True)
        )

    def receive(self, context: ActorContext, due: Due) -> None:
        """In the region actor: set the reminder's timer, or fire it if its timer went off."""
        reminder = self._names(due.entity_id).get(due.name)
        if reminder is None or reminder.generation != due.generation:
            return  # replaced or cancelled meanwhile
        if not due.fired:
            self._schedule(context, reminder)
            return
        reminder.timer = None
        if reminder.firing:
            return
        store = self._region.store
        if store is not None and not store.owns(shard_of(due.entity_id, self._region.shards)):
            return  # in a cluster: the shard's owner fires it; this node drops it soon
        reminder.firing = True
        try:
            context.system.start_soon(self._fire, reminder, name="anyactors reminder")
        except ActorSystemClosed:
            reminder.firing = False

    async def remind(
        self,
        entity_id: str,
        name: str,
        message: object,
        *,
        after: float | None,
        at: datetime | None,
        every: float | None,
    ) -> None:
        """Store (or replace) a reminder, then have the region actor set its timer."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"a reminder name must be a non-empty string (got {name!r})")
        due = _due_time(after, at)
        interval = None if every is None else _seconds(every, "every", allow_zero=False)
        store = self._region.store
        if store is None:
            raise ShardingError(
                f"reminders are durable, and actor system {self._region.system.name!r} has no "
                "journal; create it with ActorSystem(..., journal=SqliteJournal(...)) "
                "(InMemoryJournal in tests)"
            )
        shard = shard_of(entity_id, self._region.shards)
        if not await store.ready(shard):
            raise self._not_owned(entity_id, shard)
        record_id = store.record_id("reminders", shard)
        reminder = _Reminder(entity_id, name, due, interval, message, self._next_generation())
        async with store.lock(record_id):
            rows = [
                row
                for row in self._rows(shard)
                if not (row["entity"] == entity_id and row["name"] == name)
            ]
            await store.write(record_id, [*rows, reminder.row()])
            names = self._names(entity_id, create=True)
            old = names.get(name)
            if old is not None and old.timer is not None:
                old.timer.cancel()
            names[name] = reminder
        self._region.region_ref.tell(Due(entity_id, name, reminder.generation))

    async def cancel(self, entity_id: str, name: str) -> bool:
        """Delete a reminder from the journal and stop its timer; ``False`` if there was none."""
        store = self._region.store
        if store is None:
            return False
        shard = shard_of(entity_id, self._region.shards)
        if not await store.ready(shard):
            raise self._not_owned(entity_id, shard)
        names = self._names(entity_id)
        if name not in names:
            return False
        record_id = store.record_id("reminders", shard)
        async with store.lock(record_id):
            reminder = names.get(name)
            if reminder is None:
                return False
            rows = [
                row
                for row in self._rows(shard)
                if row["entity"] != entity_id or row["name"] != name
            ]
            await store.write(record_id, rows)
            del names[name]
        if reminder.timer is not None:
            reminder.timer.cancel()
        return True

    def _not_owned(self, entity_id: str, shard: int) -> ShardingError:
        return ShardingError(
            f"entity {self._region.type_name}/{entity_id} cannot change its reminders here: "
            f"this node does not own its shard {shard} now (it moved, or this node's lease "
            "is stale); nothing was stored, and its activation here is about to stop"
        )

    async def _fire(self, reminder: _Reminder) -> None:
        region = self._region
        try:
            # Here, never routed: this region owns the shard (checked when the timer
            # went off), and a routing failure must not pass for a handled reminder.
            await region.ask_here(reminder.entity_id, reminder.message, None)
        except ActorStopped:
            # Not handled: the activation stopped first, or the region did.
            reminder.firing = False
            if not region.closed:
                region.region_ref.tell(Due(reminder.entity_id, reminder.name, reminder.generation))
            return  # still stored: it fires again (at once, or when the region next starts)
        except Exception:
            # The entity's failure is the runtime's to report; the reminder was handled.
            logger.debug(
                "reminder %r of %s failed in its handler", reminder.name, reminder.entity_id
            )
        try:
            await self._after_firing(reminder)
        except Exception as error:
            logger.warning(
                "sharding: storing the firing of reminder %r of %s/%s failed (%r); "
                "it fires again when the region next starts",
                reminder.name,
                region.type_name,
                reminder.entity_id,
                error,
            )
        finally:
            reminder.firing = False

    async def _after_firing(self, reminder: _Reminder) -> None:
        store = self._region.store
        assert store is not None
        shard = shard_of(reminder.entity_id, self._region.shards)
        record_id = store.record_id("reminders", shard)
        async with store.lock(record_id):
            names = self._names(reminder.entity_id)
            if names.get(reminder.name) is not reminder:
                return  # replaced or cancelled while it fired
            if reminder.every is None:
                del names[reminder.name]
                await store.write(record_id, self._rows(shard))
                return
            now = time.time()
            missed = max(0, math.floor((now - reminder.due) / reminder.every))
            reminder.due += (missed + 1) * reminder.every
            await store.write(record_id, self._rows(shard))
        self._region.region_ref.tell(Due(reminder.entity_id, reminder.name, reminder.generation))
