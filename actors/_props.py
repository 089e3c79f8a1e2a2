"""``props``: an actor class with its constructor arguments, checked by the type checker."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Generic, ParamSpec

from attrs import frozen

from ._actor import Actor
from ._type_parameters import M

P = ParamSpec("P")


@frozen
class Props(Generic[M]):
    """An actor class and the arguments its constructor will get: what ``spawn`` needs.

    Make one with :func:`props`, which the type checker verifies against the
    class's ``__init__``; pass it to ``spawn`` instead of a class. Immutable,
    so one ``Props`` can spawn any number of actors.
    """

    #: The ``Actor`` subclass to spawn.
    actor_class: type[Actor[M]]
    #: Positional constructor arguments.
    args: tuple[Any, ...]
    #: Keyword constructor arguments.
    kwargs: Mapping[str, Any]


def props(actor_class: Callable[P, Actor[M]], *args: P.args, **kwargs: P.kwargs) -> Props[M]:
    """Bind constructor arguments to an actor class, checked against its ``__init__``.

    ``system.spawn(props(Account, "ada", limit=100), name="ada")`` spawns
    ``Account("ada", limit=100)``; a wrong argument is a type error at this
    call, where ``system.spawn(Account, 42)`` is only checked when the actor
    starts. Constructor keywords are plain keywords here (``spawn`` takes its
    own options as keywords, so there they travel in ``kwargs=``).

    Raises:
        TypeError: ``actor_class`` is not an ``Actor`` subclass.
    """
    if not (isinstance(actor_class, type) and issubclass(actor_class, Actor)):
        raise TypeError(
            f"props() needs an Actor subclass as its first argument (got {actor_class!r}); "
            "subclass actors.Actor and override receive()"
        )
    actor_type: type[Actor[M]] = actor_class
    return Props(actor_type, args, MappingProxyType(kwargs))
