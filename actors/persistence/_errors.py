"""The errors of persistence, under the runtime's ``ActorError``."""

from __future__ import annotations

from typing import ClassVar

from actors import ActorError
from supervision import Directive


class PersistenceError(ActorError):
    """Persistence was used wrongly or could not go on: the base of the errors below.

    Raised as itself for mistakes made where they are made: spawning a
    persistent actor in a system without ``journal=``, or calling ``persist``
    or ``save`` outside a message handler.
    """


class PersistenceConflict(PersistenceError):
    """Another writer got there first: the stored sequence number or revision moved on.

    Two live actors with one ``persistence_id`` (for example one on each of
    two nodes) both tried to write. The journal takes exactly one of them;
    the stale one's ``persist`` or ``save`` raises this, nothing of its write
    is stored, and the actor stops: a supervisor's default decision for this
    error is ``STOP`` (``default_directive``), since a restart would recover
    and conflict again with the live writer.

    Attributes:
        persistence_id: whose write was refused.
        expected: the sequence number (or revision) the writer assumed.
        actual: the one the journal holds.
    """

    default_directive: ClassVar[Directive] = Directive.STOP

    def __init__(self, persistence_id: str, expected: int, actual: int, what: str) -> None:
        super().__init__(
            f"{what} of {persistence_id!r} expected {expected} but the journal holds {actual}: "
            "another live writer has this persistence_id; give each writer its own id"
        )
        self.persistence_id = persistence_id
        self.expected = expected
        self.actual = actual


class JournalError(PersistenceError):
    """The journal failed: unreachable, closed, out of space, or a stored row is corrupt.

    A write that raises this may or may not have been stored (a commit whose
    answer was lost); recovery tells, since it reads what is there. An actor
    whose ``persist`` raises it fails, and its supervisor decides: a
    ``Backoff`` strategy is the behaviour for an outage.
    """


class RecoveryFailed(PersistenceError):
    """Recovery could not rebuild an actor: ``apply`` or ``restore`` raised on a stored record.

    Names the persistence id and the sequence number; the cause is chained.
    The actor fails (never skips the record) and its supervisor decides.
    """
