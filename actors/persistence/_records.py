"""What a journal stores: events, snapshots and durable states, each with its number."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from attrs import frozen


@frozen
class EventRecord:
    """One stored event.

    Attributes:
        persistence_id: whose event it is.
        sequence_number: its place in that id's history, from 1, without gaps.
        event: the event, decoded.
    """

    persistence_id: str
    sequence_number: int
    event: Any


@frozen
class SnapshotRecord:
    """A stored snapshot: the state after the events up to ``sequence_number``.

    Attributes:
        persistence_id: whose state it is.
        sequence_number: the last event the snapshot covers.
        snapshot: the state, decoded.
    """

    persistence_id: str
    sequence_number: int
    snapshot: Any


@frozen
class StateRecord:
    """A stored durable state.

    Attributes:
        persistence_id: whose state it is.
        revision: how many times it was saved, from 1.
        state: the state, decoded.
    """

    persistence_id: str
    revision: int
    state: Any


@frozen(kw_only=True)
class JournalStatistics:
    """A snapshot of a journal's write path (see ``SqliteJournal.statistics()``).

    Attributes:
        transactions: transactions committed.
        writes: the writes (appends, deletions, snapshots, state saves) they
            held; ``writes / transactions`` is the group-commit batch size.
    """

    transactions: int
    writes: int


def check_id(persistence_id: object) -> None:
    """Raise ``TypeError`` unless ``persistence_id`` is a non-empty string."""
    if not isinstance(persistence_id, str) or not persistence_id:
        raise TypeError(f"persistence_id must be a non-empty string (got {persistence_id!r})")


def check_number(value: object, what: str, minimum: int) -> None:
    """Raise ``ValueError`` unless ``value`` is a whole number >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{what} must be a whole number >= {minimum} (got {value!r})")


async def records_of_chunks(
    persistence_id: str,
    chunks: AsyncGenerator[tuple[list[tuple[int, bytes]], list[object]], None],
) -> AsyncGenerator[EventRecord, None]:
    """The records of a journal's replay by chunks (rows ``(number, payload)`` and their events).

    ``chunks`` is closed when the records are, so a reader thread stops early too.
    """
    async with aclosing(chunks) as opened:
        async for rows, events in opened:
            for (number, _), event in zip(rows, events, strict=True):
                yield EventRecord(persistence_id, number, event)
