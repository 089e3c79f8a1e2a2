"""Persistence: event-sourced and durable-state actors whose state survives restarts and crashes.

An :class:`EventSourcedActor` stores what happened (events) and rebuilds its
state from them; a :class:`DurableStateActor` stores its whole state under a
revision. Both recover before their first message, after every spawn and
restart. The store is a :class:`Journal`: :class:`SqliteJournal` (embedded),
:class:`PostgresJournal` (production) or :class:`InMemoryJournal` (tests), given to
the system as ``ActorSystem(name, journal=...)``. What is stored is encoded
through a :class:`MessageRegistry` (msgspec, never pickle): the same registry
class as the NATS wire format's. Needs the ``persistence`` extra
(``pip install anyactors[persistence]``). See ``docs/persistence.md``.
"""

try:
    import msgspec  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on what is installed
    raise ImportError(
        "actors.persistence needs msgspec (the persistence extra): "
        "pip install 'anyactors[persistence]'"
    ) from error

from actors.serialization import MessageRegistry as MessageRegistry

from ._durable_state import DurableStateActor as DurableStateActor
from ._errors import JournalError as JournalError
from ._errors import PersistenceConflict as PersistenceConflict
from ._errors import PersistenceError as PersistenceError
from ._errors import RecoveryFailed as RecoveryFailed
from ._event_sourced import EventSourcedActor as EventSourcedActor
from ._journal import Journal as Journal
from ._memory import InMemoryJournal as InMemoryJournal
from ._postgres import PostgresJournal as PostgresJournal
from ._records import EventRecord as EventRecord
from ._records import JournalStatistics as JournalStatistics
from ._records import SnapshotRecord as SnapshotRecord
from ._records import StateRecord as StateRecord
from ._sqlite import SqliteJournal as SqliteJournal

__all__ = [
    "DurableStateActor",
    "EventRecord",
    "EventSourcedActor",
    "InMemoryJournal",
    "Journal",
    "JournalError",
    "JournalStatistics",
    "MessageRegistry",
    "PersistenceConflict",
    "PersistenceError",
    "PostgresJournal",
    "RecoveryFailed",
    "SnapshotRecord",
    "SqliteJournal",
    "StateRecord",
]
