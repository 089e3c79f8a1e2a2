"""What event-sourced and durable-state actors share: the journal, the id, recovery first."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic

from actors import Actor

if sys.version_info >= (3, 13):
    from typing import TypeVar
else:
    from typing_extensions import TypeVar

from ._errors import PersistenceError
from ._journal import Journal

if TYPE_CHECKING:
    from actors import ActorSystem

#: The messages a persistent actor accepts, as for ``Actor[M]`` (a bare class accepts ``Any``).
M = TypeVar("M", default=Any)


def _recovering_first(on_start: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Wrap a subclass's ``on_start`` so that recovery (and ``on_recovered``) runs before it."""

    @functools.wraps(on_start)
    async def on_start_after_recovery(self: PersistentActor) -> None:
        await self._recover_once()
        result = on_start(self)
        if inspect.isawaitable(result):
            await result

    on_start_after_recovery._recovers_first = True  # type: ignore[attr-defined]
    return on_start_after_recovery


class PersistentActor(Actor[M], Generic[M]):
    """The base of :class:`EventSourcedActor` and :class:`DurableStateActor` (not for direct use).

    Recovery runs after spawn and after every restart, before ``on_start``
    and before the first message; messages sent meanwhile wait in the
    mailbox, in order. Then ``on_recovered()`` runs (sync or async), then the
    class's own ``on_start``.

    ``persistence_id`` defaults to the actor's path (``/user/bank/ada``), so
    an actor spawned under the same name in the next run of the program finds
    its state. Override it with a class attribute, a property, or by setting
    ``self.persistence_id`` in ``__init__``. Each id must have one live writer.
    """

    _persistence_kind: ClassVar[str] = "a persistent"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        on_start = cls.__dict__.get("on_start")
        if on_start is not None and not getattr(on_start, "_recovers_first", False):
            cls.on_start = _recovering_first(on_start)  # type: ignore[method-assign, assignment]

    @classmethod
    def _spawn_check(cls, system: ActorSystem) -> None:  # type: ignore[override]
        journal = system.journal
        if journal is None:
            raise PersistenceError(
                f"{cls.__name__} is {cls._persistence_kind} actor, and actor system "
                f"{system.name!r} has no journal; create it with "
                f"ActorSystem({system.name!r}, journal=SqliteJournal('{system.name}.db', "
                "registry=registry))"
            )
        if not isinstance(journal, Journal):
            raise TypeError(
                f"journal= must be an actors.persistence journal such as SqliteJournal "
                f"(got {journal!r})"
            )

    @property
    def persistence_id(self) -> str:
        """Whose history this actor writes: the actor's path unless set otherwise."""
        found: str | None = self.__dict__.get("_anyactors_persistence_id")
        return found if found is not None else self.context.path

    @persistence_id.setter
    def persistence_id(self, value: str) -> None:
        self.__dict__["_anyactors_persistence_id"] = value

    async def on_start(self) -> None:
        """Recover (see the class docstring). A subclass's ``on_start`` runs after recovery."""
        await self._recover_once()

    def on_recovered(self) -> Any:
        """Run once recovery has finished, before ``on_start`` and the first message.

        May be ``async def``. An exception here fails the actor.
        """
        return None

    # -- for the subclasses -------------------------------------------------------------

    @property
    def _journal(self) -> Journal:
        journal: Journal = self.context.system.journal
        return journal

    def _stored_id(self) -> str:
        """The persistence id, checked once per incarnation and then fixed."""
        found: str | None = self.__dict__.get("_anyactors_stored_id")
        if found is None:
            found = self.persistence_id
            if not isinstance(found, str) or not found:
                raise PersistenceError(
                    f"{type(self).__name__}.persistence_id must be a non-empty string "
                    f"(got {found!r}); leave it unset to use the actor's path"
                )
            self.__dict__["_anyactors_stored_id"] = found
        return found

    async def _recover_once(self) -> None:
        if self.__dict__.get("_anyactors_recovering") is not None:
            return
        self.__dict__["_anyactors_recovering"] = True
        await self._recover(self._stored_id())
        result = self.on_recovered()
        if inspect.isawaitable(result):
            await result
        self.__dict__["_anyactors_recovering"] = False

    async def _recover(self, persistence_id: str) -> None:
        raise NotImplementedError

    def _check_writing(self, what: str) -> None:
        """Refuse a write made outside a message handler (or during recovery)."""
        if self.__dict__.get("_anyactors_recovering") is not False:
            raise PersistenceError(
                f"{what} was called on {self.context.path} before its recovery finished "
                "(in __init__, on_recovered or apply); call it from a message handler"
            )
        if not self.context.is_handling:  # a read of two fields (statistics() snapshots all)
            raise PersistenceError(
                f"{what} was called on {self.context.path} outside a message handler; "
                "call it from receive (or a behaviour) while the actor handles a message"
            )
