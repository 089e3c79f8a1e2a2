"""``DurableStateActor``: the whole state saved under a revision (Akka's Durable State)."""

from __future__ import annotations

from typing import Any, ClassVar

from ._persistent import PersistentActor

_CURRENT: Any = object()


class DurableStateActor(PersistentActor):
    """An actor whose whole state is stored, replaced at each save, under a revision check.

    ::

        class Counter(DurableStateActor):
            def __init__(self) -> None:
                self.state = Count(0)  # the initial state, replaced by the stored one

            async def receive(self, message: object) -> object:
                if message == "increment":
                    await self.save(Count(self.state.n + 1))
                return self.state.n

    Before the first message (after spawn and after every restart) the
    stored state, if any, replaces ``self.state``. :meth:`save` stores a state
    as the next revision: the journal accepts it only if the stored revision
    is exactly one less, so of two live writers of one id exactly one wins.

    Attributes:
        state: the current state (a registered attrs class or a plain value).
    """

    state: Any = None
    _persistence_kind: ClassVar[str] = "a durable-state"

    @property
    def revision(self) -> int:
        """The revision of the stored state this actor holds (0: nothing stored yet)."""
        revision: int = self.__dict__.get("_anyactors_revision", 0)
        return revision

    async def save(self, state: Any = _CURRENT) -> None:
        """Store ``state`` (default: ``self.state``) as the next revision, then keep it.

        Call it from a message handler. If it raises, ``self.state`` is unchanged.

        Raises:
            PersistenceConflict: another live writer saved this id first;
                nothing was stored. Unhandled, it stops this actor.
            JournalError: the journal failed (the save may or may not be
                stored; a restart loads what is). Unhandled, the actor fails
                and its supervisor decides.
            UnregisteredType: the state holds a type not in the journal's
                ``MessageRegistry``.
            PersistenceError: called outside a message handler.
        """
        self._check_writing("save")
        value = self.state if state is _CURRENT else state
        revision = self.revision + 1
        await self._journal.upsert_state(self._stored_id(), revision, value)
        self.__dict__["_anyactors_revision"] = revision
        self.state = value

    async def _recover(self, persistence_id: str) -> None:
        record = await self._journal.load_state(persistence_id)
        if record is not None:
            self.state = record.state
            self.__dict__["_anyactors_revision"] = record.revision
