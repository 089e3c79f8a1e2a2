"""Spawning: checking what the caller asked for, then creating and registering a child cell."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, NoReturn

from supervision import ChildSpec, RestartType, check_retry_message

from . import _cell_states as states
from ._actor import (
    NOT_A_PAIR,
    Actor,
    Arguments,
    KeywordArguments,
    check_class_configuration,
    keep_arguments,
)
from ._cell import ActorCell
from ._children import add_child, find_child
from ._control import START_PENDING
from ._errors import ActorStopped, DuplicateActorName
from ._mailbox import UNBOUNDED, MailboxConfig
from ._message_check import install_checked_ref
from ._names import check_actor_name
from ._props import Props


def _unpack_props(
    props: object, args: tuple[Any, ...], kwargs: Mapping[str, Any] | None
) -> tuple[type[Actor], tuple[Any, ...], Mapping[str, Any]]:
    """The class and constructor arguments of ``spawn(props(...))``; refuses anything else."""
    if not isinstance(props, Props):
        raise TypeError(
            f"spawn() needs an Actor subclass as its first argument, or props(...) "
            f"(got {props!r}); subclass actors.Actor and override receive()"
        )
    if args or kwargs is not None:
        raise TypeError(
            "spawn(props(...)) takes the constructor arguments in props(...) only "
            f"(got args={tuple(args)!r}, kwargs={kwargs!r} in spawn); pass them to props()"
        )
    return props.actor_class, props.args, props.kwargs


def _arguments(
    actor_class: type[Actor], args: Iterable[Any], kwargs: Mapping[str, Any] | None
) -> Arguments:
    """What the cell keeps of the constructor arguments (see ``Arguments``), checked."""
    args = tuple(args)
    if kwargs is not None and not isinstance(kwargs, Mapping):
        raise TypeError(
            f"kwargs must be a mapping of constructor keyword arguments (got {kwargs!r})"
        )
    arguments: Arguments = (
        KeywordArguments(args, MappingProxyType(dict(kwargs))) if kwargs else keep_arguments(args)
    )
    if arguments is not None and actor_class.__init__ is object.__init__:
        _refuse_arguments(actor_class, args, kwargs)
    return arguments


def _refuse_arguments(
    actor_class: type[Actor], args: tuple[Any, ...], kwargs: Mapping[str, Any] | None
) -> NoReturn:
    # object.__init__ would drop them without a word.
    raise TypeError(
        f"{actor_class.__name__} takes no constructor arguments "
        f"(got args={args!r}, kwargs={dict(kwargs or {})!r}); "
        "define __init__ to accept them"
    )


def _free_name(parent: ActorCell, name: str) -> str:
    """``name``, checked, if no live sibling has it; else raise ``DuplicateActorName``."""
    check_actor_name(name)
    if find_child(parent, name) is not None:
        raise DuplicateActorName(
            f"an actor named {name!r} already exists under {parent.path}; "
            "choose another name, or stop that actor and wait for it first"
        )
    return name


def spawn_child(  # noqa: PLR0917 - spawn's options, passed positionally for speed
    parent: ActorCell,
    actor_class: type[Actor] | Props[Any],
    args: tuple[Any, ...],
    name: str | None,
    kwargs: Mapping[str, Any] | None,
    restart: RestartType | str,
    mailbox: MailboxConfig | None,
    retry_message: int = 0,
    start: bool = True,
) -> ActorCell:
    """Create, register and schedule the start of a child; raise at once on bad input.

    The child's own declared children (see ``Supervisor``) are created at
    once too, so their refs can be looked up as soon as ``spawn`` returns;
    they start when the child starts. With ``start=False`` the child waits
    for its parent's start to send it ``Start``.

    Every spawn runs all of these checks: each is a comparison or two in the
    common case (docs/benchmarks.md, "spawn", says what it costs).
    """
    if not (isinstance(actor_class, type) and issubclass(actor_class, Actor)):
        actor_class, args, kwargs = _unpack_props(actor_class, args, kwargs)
    system = parent.system
    if not system._running:
        system._check_running()  # raises, naming why
    if parent.state >= states.STOPPING:
        raise ActorStopped(f"{parent.path} is stopping, so it cannot spawn children")
    if actor_class._spawn_check is not None:
        actor_class._spawn_check(system)
    restart_type = restart if isinstance(restart, RestartType) else RestartType.parse(restart)
    if retry_message != 0 or type(retry_message) is not int:
        check_retry_message(retry_message, "spawn()")
    if actor_class.strategy is not None or actor_class.mailbox is not None:
        check_class_configuration(actor_class)  # either may be assigned after the class statement
    if mailbox is None:
        mailbox = actor_class.mailbox or UNBOUNDED
    elif not isinstance(mailbox, MailboxConfig):
        raise TypeError(f"mailbox must be an actors.MailboxConfig or None (got {mailbox!r})")
    second_argument: object = NOT_A_PAIR
    if kwargs is None and type(args) is tuple:
        if len(args) == 2:
            arguments, second_argument = args  # see Arguments: two slots, no tuple
        else:
            arguments = keep_arguments(args)
        if args and actor_class.__init__ is object.__init__:
            _refuse_arguments(actor_class, args, kwargs)
    else:
        arguments = _arguments(actor_class, args, kwargs)
    # A generated name is kept as its number, spelled $n only when asked for
    # (see ActorCell.name); a given one is checked and must be free.
    key = next(system._names) if name is None else _free_name(parent, name)
    child = ActorCell(
        system, parent, key, actor_class, arguments, second_argument, restart_type, mailbox
    )
    if system._check_messages:
        install_checked_ref(child)
    # Declared grandchildren first: if one of them is refused, nothing is
    # left registered under the parent.
    if actor_class._declares_children:
        for spec in actor_class._declared_children():
            spawn_from_spec(child, spec, start=False)
    if retry_message:
        child.ensure_extras().retry_message = retry_message
    children = parent.child_cells
    if type(children) is dict:
        children[key] = child  # add_child's case for a large family (such as /user), inlined
    else:
        add_child(parent, child)
    system._actors_spawned += 1
    if start:
        # send_control(START) and Scheduler.schedule, inlined: a new cell is
        # idle and has no control queue.
        child.control = START_PENDING
        child.run_state = states.QUEUED
        scheduler = child.scheduler
        scheduler.run_queue.append(child)
        if scheduler._wakeup is not None:
            scheduler.wake()
    return child


def spawn_from_spec(parent: ActorCell, spec: ChildSpec, *, start: bool) -> ActorCell:
    """Spawn a child of ``parent`` as a ``supervision.child(...)`` spec declares it."""
    return spawn_child(
        parent,
        spec.actor_class,
        spec.args,
        spec.name,
        spec.kwargs,
        spec.restart,
        spec.mailbox,  # type: ignore[arg-type]
        spec.retry_message,
        start,
    )
