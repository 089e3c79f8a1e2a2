"""Child specifications: what a supervisor starts, and how it restarts it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from attrs import Attribute, field, frozen

from ._errors import InvalidChildSpec
from ._restart import RestartType
from ._retry import check_retry_message

__all__ = ["ChildSpec", "child"]


def _to_tuple(value: Iterable[object]) -> tuple[object, ...]:
    return tuple(value)


def _freeze(value: Mapping[str, object]) -> Mapping[str, object]:
    return MappingProxyType(dict(value))


def _empty() -> Mapping[str, object]:
    return MappingProxyType({})


def _parse_restart(value: RestartType | str) -> RestartType:
    return RestartType.parse(value)


def _check_actor_class(instance: ChildSpec, attribute: Attribute[type], value: object) -> None:
    if not isinstance(value, type):
        raise InvalidChildSpec(f"ChildSpec actor_class must be a class (got {value!r})")


def _check_kwargs(
    instance: ChildSpec, attribute: Attribute[Mapping[str, object]], value: Mapping[str, object]
) -> None:
    for key in value:
        if not isinstance(key, str):
            raise InvalidChildSpec(f"child kwargs keys must be strings (got {key!r})")


def _check_name(instance: ChildSpec, attribute: Attribute[str | None], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidChildSpec(f"child name must be a non-empty string (got {value!r})")


def _check_retry(instance: ChildSpec, attribute: Attribute[int], value: int) -> None:
    check_retry_message(value, "child")


@frozen(kw_only=True)
class ChildSpec:
    """How a supervisor starts one child, and whether it restarts it.

    Build one with `child()`. A spec is immutable; refine it with
    `attrs.evolve`. Whether `actor_class` is an `actors.Actor` subclass is
    checked by the runtime when the supervisor starts.

    Attributes:
        actor_class: The actor class to spawn.
        args: Positional arguments for the actor's constructor.
        kwargs: Keyword arguments for the actor's constructor, stored as a
            read-only copy. Not part of the hash (equality still compares it).
        name: The child's name among its siblings; `None` lets the runtime
            pick one.
        restart: When the child is restarted (a `RestartType`, or its string
            value, which is converted).
        mailbox: Mailbox configuration, opaque here; the runtime passes it to
            spawn. Not part of the hash.
        retry_message: How many more times a message whose handler failed is
            handled again (see `OneForOne.retry_message`); above 0 it
            overrides the supervisor strategy's, 0 (the default) uses it.

    Raises:
        InvalidChildSpec: If a value is invalid.
    """

    actor_class: type = field(validator=_check_actor_class)
    args: tuple[object, ...] = field(default=(), converter=_to_tuple)
    kwargs: Mapping[str, object] = field(
        factory=_empty, converter=_freeze, validator=_check_kwargs, hash=False
    )
    name: str | None = field(default=None, validator=_check_name)
    restart: RestartType = field(default=RestartType.PERMANENT, converter=_parse_restart)
    mailbox: object | None = field(default=None, hash=False)
    retry_message: int = field(default=0, validator=_check_retry)


def child(
    actor_class: type,
    *args: object,
    name: str | None = None,
    restart: RestartType | str = "permanent",
    kwargs: Mapping[str, object] | None = None,
    mailbox: object | None = None,
    retry_message: int = 0,
) -> ChildSpec:
    """Declare a child for a supervisor.

    `child(Worker, 1, 2, name="w")` starts `Worker(1, 2)` under the name
    `"w"` and, by default, restarts it whenever it exits (`"permanent"`).

    Args:
        actor_class: The actor class to spawn.
        *args: Positional arguments for the actor's constructor.
        name: The child's name among its siblings, or `None` to let the
            runtime pick one.
        restart: `"permanent"` (always restarted), `"transient"` (restarted
            only after a failure) or `"temporary"` (never restarted), or the
            matching `RestartType`.
        kwargs: Keyword arguments for the actor's constructor (copied).
        mailbox: Mailbox configuration passed through to spawn.
        retry_message: Retries of a failed message for this child; above 0 it
            overrides the supervisor strategy's `retry_message`.

    Returns:
        The immutable `ChildSpec`.

    Raises:
        InvalidChildSpec: If `actor_class` is not a class, `name` is not a
            non-empty string or `None`, or `restart` is not a restart type.
        InvalidStrategy: If `retry_message` is not an int >= 0.
    """
    if not isinstance(actor_class, type):
        raise InvalidChildSpec(
            f"child() needs an actor class as its first argument (got {actor_class!r})"
        )
    return ChildSpec(
        actor_class=actor_class,
        args=args,
        kwargs={} if kwargs is None else kwargs,
        name=name,
        restart=restart,
        mailbox=mailbox,
        retry_message=retry_message,
    )
