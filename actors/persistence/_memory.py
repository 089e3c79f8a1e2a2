"""``InMemoryJournal``: the journal for tests, with the same rules as the durable ones."""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Sequence

import anyio.lowlevel
from attrs import frozen

from actors.serialization import MessageRegistry, UndecodableValue, ValueCodec

from ._errors import JournalError, PersistenceConflict
from ._records import EventRecord, SnapshotRecord, StateRecord, check_id, check_number


@frozen
class _Snapshot:
    sequence_number: int
    stored: object


class InMemoryJournal:
    """A journal in this process's memory, for tests: it survives actor restarts, not the process.

    It keeps the single-writer rule, atomic appends, snapshots and durable
    states exactly as :class:`SqliteJournal` does, and passes the same
    conformance suite. Given a ``registry``, it stores encoded bytes, so an
    unregistered type fails at ``persist`` as it would with a durable journal;
    without one it keeps the values themselves (use frozen classes).

    One instance may serve several actor systems in turn (a test "restarts a
    process" by entering a new ``ActorSystem`` with the same journal).

    Attributes:
        unavailable: set it to ``True`` to make every call raise
            :class:`JournalError`, as an unreachable store does (to test
            supervision, such as a ``Backoff`` strategy, against an outage).
    """

    def __init__(self, *, registry: MessageRegistry | None = None) -> None:
        self._codec = None if registry is None else ValueCodec(registry)
        self._lock = threading.Lock()
        self._events: dict[str, dict[int, object]] = {}
        self._highest: dict[str, int] = {}
        self._snapshots: dict[str, list[_Snapshot]] = {}
        self._states: dict[str, tuple[int, object]] = {}
        self.unavailable = False

    def __repr__(self) -> str:
        return f"<InMemoryJournal {len(self._highest)} persistence ids>"

    def _encode(self, value: object) -> object:
        return value if self._codec is None else self._codec.encode(value)

    def _decode(self, stored: object, persistence_id: str, what: str) -> object:
        if self._codec is None:
            return stored
        try:
            return self._codec.decode(stored)  # type: ignore[arg-type]
        except UndecodableValue as error:
            raise JournalError(
                f"the stored {what} of {persistence_id!r} cannot be decoded: {error}"
            ) from None

    async def _check(self) -> None:
        await anyio.lowlevel.checkpoint()  # a real journal waits here; so do we
        if self.unavailable:
            raise JournalError("the in-memory journal is unavailable (unavailable=True)")

    async def append(
        self, persistence_id: str, events: Sequence[object], *, expected_sequence_number: int
    ) -> None:
        """See :meth:`Journal.append`."""
        check_id(persistence_id)
        check_number(expected_sequence_number, "expected_sequence_number", 0)
        stored = [self._encode(event) for event in events]
        await self._check()
        if not stored:
            return
        with self._lock:
            actual = self._highest.get(persistence_id, 0)
            if actual != expected_sequence_number:
                raise PersistenceConflict(
                    persistence_id, expected_sequence_number, actual, "an append"
                )
            log = self._events.setdefault(persistence_id, {})
            for offset, value in enumerate(stored, start=1):
                log[expected_sequence_number + offset] = value
            self._highest[persistence_id] = expected_sequence_number + len(stored)

    async def replay(
        self, persistence_id: str, *, from_sequence_number: int = 1
    ) -> AsyncGenerator[EventRecord, None]:
        """See :meth:`Journal.replay`."""
        check_id(persistence_id)
        check_number(from_sequence_number, "from_sequence_number", 1)
        await self._check()
        with self._lock:
            log = self._events.get(persistence_id, {})
            found = sorted((n, v) for n, v in log.items() if n >= from_sequence_number)
        for number, stored in found:
            event = self._decode(stored, persistence_id, f"event {number}")
            yield EventRecord(persistence_id, number, event)

    async def highest_sequence_number(self, persistence_id: str) -> int:
        """See :meth:`Journal.highest_sequence_number`."""
        check_id(persistence_id)
        await self._check()
        return self._highest.get(persistence_id, 0)

    async def delete_events(self, persistence_id: str, *, to_sequence_number: int) -> None:
        """See :meth:`Journal.delete_events`."""
        check_id(persistence_id)
        check_number(to_sequence_number, "to_sequence_number", 0)
        await self._check()
        with self._lock:
            log = self._events.get(persistence_id, {})
            for number in [n for n in log if n <= to_sequence_number]:
                del log[number]

    async def save_snapshot(
        self, persistence_id: str, sequence_number: int, snapshot: object, *, keep: int
    ) -> None:
        """See :meth:`Journal.save_snapshot`."""
        check_id(persistence_id)
        check_number(sequence_number, "sequence_number", 0)
        check_number(keep, "keep", 1)
        stored = self._encode(snapshot)
        await self._check()
        with self._lock:
            kept = [
                s
                for s in self._snapshots.get(persistence_id, [])
                if s.sequence_number != sequence_number
            ]
            kept.append(_Snapshot(sequence_number, stored))
            kept.sort(key=lambda s: s.sequence_number)
            self._snapshots[persistence_id] = kept[-keep:]

    async def load_snapshot(
        self, persistence_id: str, *, max_sequence_number: int | None = None
    ) -> SnapshotRecord | None:
        """See :meth:`Journal.load_snapshot`."""
        check_id(persistence_id)
        await self._check()
        with self._lock:
            snapshots = [
                s
                for s in self._snapshots.get(persistence_id, [])
                if max_sequence_number is None or s.sequence_number <= max_sequence_number
            ]
            latest = snapshots[-1] if snapshots else None
        if latest is None:
            return None
        value = self._decode(latest.stored, persistence_id, f"snapshot {latest.sequence_number}")
        return SnapshotRecord(persistence_id, latest.sequence_number, value)

    async def load_state(self, persistence_id: str) -> StateRecord | None:
        """See :meth:`Journal.load_state`."""
        check_id(persistence_id)
        await self._check()
        found = self._states.get(persistence_id)
        if found is None:
            return None
        revision, stored = found
        value = self._decode(stored, persistence_id, f"state revision {revision}")
        return StateRecord(persistence_id, revision, value)

    async def upsert_state(self, persistence_id: str, revision: int, state: object) -> None:
        """See :meth:`Journal.upsert_state`."""
        check_id(persistence_id)
        check_number(revision, "revision", 1)
        stored = self._encode(state)
        await self._check()
        with self._lock:
            actual = self._states.get(persistence_id, (0, None))[0]
            if actual != revision - 1:
                raise PersistenceConflict(persistence_id, revision - 1, actual, "a state save")
            self._states[persistence_id] = (revision, stored)

    async def close(self) -> None:
        """Nothing to release: the contents stay for the next system that uses this journal."""
