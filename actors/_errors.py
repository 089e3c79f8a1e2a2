"""The runtime's exceptions.

Every error anyactors raises derives from :class:`ActorError`. The base lives in
``supervision`` (the bottom layer) so that configuration errors such as
``supervision.InvalidChildSpec`` share it; ``actors`` re-exports it.
"""

from __future__ import annotations

from supervision import ActorError as ActorError  # noqa: PLC0414 - re-exported by actors


class ActorStopped(ActorError):
    """The actor has stopped (or is stopping), so it cannot answer.

    Raised at once by ``ask`` on a stopped actor, and into every ``ask`` still
    waiting in the mailbox when its actor stops.
    """


class MailboxFull(ActorError):
    """A bounded mailbox is full and its overflow policy says to fail.

    Raised by ``tell`` (and by ``send`` under ``Overflow.FAIL``). Use ``send``
    with ``Overflow.BACKPRESSURE`` to wait for room instead.
    """


class InvalidActorName(ActorError, ValueError):
    """An actor name breaks the naming rules (empty, contains '/', or starts with '$')."""


class DuplicateActorName(ActorError, ValueError):
    """A sibling with the same name is already alive under the same parent."""


class ActorSystemClosed(ActorError, RuntimeError):
    """The actor system is not running: enter it with ``async with`` first, or it has shut down."""


class RestartIntensityExceeded(ActorError):
    """A supervisor restarted its children more often than its strategy allows.

    The supervisor stops all its children and fails with this error to its own
    parent; ``__cause__`` is the child failure that tipped it over.
    """


class AskCycleError(ActorError):
    """An ``ask`` would close a cycle of actors each waiting on the next.

    Raised in the asking actor, at the ``ask``, instead of a deadlock that only
    a timeout would end. ``chain`` holds the paths, from the asker round to it
    again: ``("/user/a", "/user/b", "/user/a")``. Asks that do not close a
    cycle, however deeply nested, are unaffected.
    """

    def __init__(self, message: str, *, chain: tuple[str, ...]) -> None:
        super().__init__(message)
        self.chain = chain


class StashError(ActorError):
    """``context.stash()`` was called outside a handler, or the stash is full.

    An actor's stash holds at most its class attribute ``stash_capacity``
    messages (1,000 by default).
    """


class ActorInitializationError(ActorError, TypeError):
    """An actor class was instantiated directly instead of through ``spawn``."""
