"""``Supervisor``: an actor whose job is to start and supervise declared children."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import attrs

from supervision import ChildSpec

from ._actor import Actor
from ._errors import DuplicateActorName
from ._mailbox import MailboxConfig
from ._names import check_actor_name


class Supervisor(Actor):
    """An actor that starts the children it declares, in order, and supervises them.

    Declare them as class attributes::

        class Bank(Supervisor):
            strategy = OneForAll(max_restarts=3, within=5.0)
            children = [
                child(Account, "ada", name="ada"),
                child(Account, "bob", name="bob", restart="transient"),
            ]

    The children are spawned in the listed order before ``on_start`` runs
    (so ``on_start`` can already see them), and spawned again, from the same
    specs, whenever the supervisor itself is restarted. A child spec without a
    name is named after its class, lowercased. ``children`` (and ``strategy``)
    may also be assigned after the class statement, as a factory function
    would (``Tree.children = [...]``): the next spawn honours them, and
    checks them, raising ``TypeError`` or ``DuplicateActorName`` from
    ``spawn`` for a bad value. Children can also be added at
    run time with ``self.context.spawn``. By default a supervisor handles no
    messages of its own: anything sent to it becomes a dead letter.
    """

    children: ClassVar[Sequence[ChildSpec]] = ()
    # Every supervisor may declare children, in its class statement or by
    # assignment afterwards, so spawning always asks _declared_children.
    _declares_children: ClassVar[bool] = True
    # The last children sequence checked, as checked (a tuple of named specs).
    _checked_children: ClassVar[tuple[ChildSpec, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "children" in cls.__dict__:
            cls._declared_children()

    @classmethod
    def _declared_children(cls) -> Sequence[ChildSpec]:
        """The children to start, checked; ``children`` may be reassigned after the class statement.

        Raises:
            TypeError: ``children`` is not a sequence of ``child(...)`` specs of actors.
            DuplicateActorName: two specs give the same name.
        """
        declared = cls.children
        if declared is cls._checked_children:
            return declared  # checked already, and a tuple cannot have changed since
        checked = _check_children(cls, declared)
        cls._checked_children = checked
        cls.children = checked
        return checked


def _check_children(cls: type[Supervisor], declared: object) -> tuple[ChildSpec, ...]:
    if isinstance(declared, str | bytes) or not isinstance(declared, Sequence):
        raise TypeError(
            f"{cls.__name__}.children must be a list of child(...) specs (got {declared!r})"
        )
    specs: list[ChildSpec] = []
    seen: set[str] = set()
    for index, spec in enumerate(declared):
        if not isinstance(spec, ChildSpec):
            raise TypeError(
                f"{cls.__name__}.children[{index}] must be made with supervision.child(...) "
                f"(got {spec!r})"
            )
        if not issubclass(spec.actor_class, Actor):
            raise TypeError(
                f"{cls.__name__}.children[{index}] names {spec.actor_class.__name__}, "
                "which is not an actors.Actor subclass"
            )
        if spec.mailbox is not None and not isinstance(spec.mailbox, MailboxConfig):
            raise TypeError(
                f"{cls.__name__}.children[{index}] has mailbox={spec.mailbox!r}; "
                "it must be an actors.MailboxConfig or None"
            )
        name = spec.name if spec.name is not None else spec.actor_class.__name__.lower()
        check_actor_name(name)
        if name in seen:
            raise DuplicateActorName(
                f"{cls.__name__}.children has two children named {name!r}; "
                "give each child(...) a distinct name="
            )
        seen.add(name)
        specs.append(spec if spec.name == name else attrs.evolve(spec, name=name))
    return tuple(specs)
