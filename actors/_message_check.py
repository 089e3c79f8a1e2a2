"""An actor's declared message type (the ``M`` of ``Actor[M]``), checked at run time on request.

Off by default, and then nothing here runs: refs are plain ``LocalActorRef``.
A system created with ``check_messages=True`` gives each actor that declares
a message type a :class:`CheckedActorRef`, which tests every message a
sender passes to ``tell``/``send``/``ask`` and raises
:class:`MessageTypeError` at the sender. :func:`narrow_ref` uses the same
knowledge to turn an ``ActorRef[Any]`` (from ``lookup``, ``find`` or a
message) into a typed one.
"""

from __future__ import annotations

import reprlib
import sys
import types
import typing
from typing import TYPE_CHECKING, Any, ForwardRef, Literal, TypeVar
from weakref import WeakKeyDictionary

from attrs import frozen

from supervision import ActorError

from ._actor import Actor
from ._errors import MailboxFull
from ._ref import ActorRef, LocalActorRef
from ._type_parameters import M, M_contra

if TYPE_CHECKING:
    from ._cell import ActorCell
    from ._promise import Completion


class MessageTypeError(ActorError, TypeError):
    """A message is not of the type its receiving actor declares with ``Actor[M]``.

    Raised at the sender by ``tell``, ``send`` and ``ask`` on a system created
    with ``check_messages=True`` (nothing was delivered), and by
    :func:`narrow_ref` when the ref's actor is not of the class named.
    """


@frozen
class Acceptance:
    """What an actor class accepts, as run-time tests: instances of ``types``, or ``values``."""

    actor_class: type[Actor]
    types: tuple[type, ...]
    values: tuple[object, ...]

    def accepts(self, message: object) -> bool:
        """Whether ``message`` belongs to the declared message type."""
        if isinstance(message, self.types):
            return True
        return any(type(message) is type(value) and message == value for value in self.values)

    def describe(self) -> str:
        """The declared type as a reader would write it: ``Deposit | GetBalance``."""
        names = [kind.__name__ for kind in self.types]
        names += [repr(value) for value in self.values]
        return " | ".join(names)

    def check(self, message: object, path: str) -> None:
        """Raise :class:`MessageTypeError` unless ``message`` belongs to the declared type."""
        if not self.accepts(message):
            accepted = self.describe()
            name = self.actor_class.__name__
            raise MessageTypeError(
                f"{path} accepts {accepted} ({name} is an Actor[{accepted}]), "
                f"not {type(message).__name__}: {reprlib.repr(message)}; send one of "
                f"those, or add {type(message).__name__} to {name}'s message type"
            )


def declared_message_type(actor_class: type[Actor]) -> Any:
    """The ``M`` of ``Actor[M]`` that ``actor_class`` inherits (``Any`` if it declares none).

    Type variables bound along the way are substituted: with ``class
    Base(Actor[M])`` and ``class Account(Base[Deposit])`` it is ``Deposit``.
    """
    return _declared(actor_class, {})


def _declared(actor_class: type, bindings: dict[Any, Any]) -> Any:
    bases = actor_class.__dict__.get("__orig_bases__", actor_class.__bases__)
    # A class's own Actor[...] base wins over what its other bases declare:
    # class Wrapper(Account, Actor[Any]) accepts anything.
    for base in bases:
        if typing.get_origin(base) is Actor:
            return _substitute(typing.get_args(base)[0], bindings)
    for base in bases:
        origin = typing.get_origin(base) or base
        if origin is Actor or not (isinstance(origin, type) and issubclass(origin, Actor)):
            continue
        arguments = tuple(_substitute(argument, bindings) for argument in typing.get_args(base))
        parameters = origin.__dict__.get("__parameters__", ())
        return _declared(origin, dict(zip(parameters, arguments, strict=False)))
    return Any


def _substitute(argument: Any, bindings: dict[Any, Any]) -> Any:
    if isinstance(argument, TypeVar):
        return bindings.get(argument, argument)
    parameters = getattr(argument, "__parameters__", ())
    if parameters and bindings:
        return argument[tuple(bindings.get(parameter, parameter) for parameter in parameters)]
    return argument


_acceptances: WeakKeyDictionary[type[Actor], Acceptance | None] = WeakKeyDictionary()


def acceptance_of(actor_class: type[Actor]) -> Acceptance | None:
    """The run-time test for ``actor_class``'s declared type; ``None`` when it accepts anything."""
    try:
        return _acceptances[actor_class]
    except KeyError:
        pass
    kinds: list[type] = []
    values: list[object] = []
    declared = declared_message_type(actor_class)
    anything = _flatten(declared, actor_class, kinds, values)
    result = None if anything else Acceptance(actor_class, tuple(kinds), tuple(values))
    _acceptances[actor_class] = result
    return result


def _flatten(declared: Any, actor_class: type, kinds: list[type], values: list[object]) -> bool:
    """Add the run-time tests for ``declared``; return True if it admits anything."""
    if isinstance(declared, str):
        declared = ForwardRef(declared)
    if isinstance(declared, ForwardRef):
        namespace = vars(sys.modules[actor_class.__module__])
        try:
            declared = eval(declared.__forward_arg__, namespace)  # as typing.get_type_hints does
        except Exception:  # an annotation this module cannot resolve: nothing to check against
            return True
    if declared is Any or declared is object:
        return True
    if isinstance(declared, TypeVar):
        bound = declared.__bound__
        return bound is None or _flatten(bound, actor_class, kinds, values)
    if isinstance(declared, typing.NewType):
        return _flatten(declared.__supertype__, actor_class, kinds, values)
    origin = typing.get_origin(declared)
    if origin is typing.Union or origin is types.UnionType:
        return any(
            _flatten(member, actor_class, kinds, values) for member in typing.get_args(declared)
        )
    if origin is Literal:
        values.extend(typing.get_args(declared))
        return False
    if origin is typing.Annotated:
        return _flatten(typing.get_args(declared)[0], actor_class, kinds, values)
    if origin is not None:
        declared = origin  # list[int] -> list, Request[int] -> GetBalance's base
    if not isinstance(declared, type):
        return True  # not a class: no isinstance test to make
    try:
        isinstance(None, declared)
    except TypeError:  # such as a Protocol that is not runtime_checkable
        return True
    kinds.append(declared)
    return False


class CheckedActorRef(LocalActorRef[M_contra]):
    """A local ref that checks each message against its actor's declared type before sending."""

    __slots__ = ("_acceptance",)

    def __init__(self, cell: ActorCell, acceptance: Acceptance) -> None:
        super().__init__(cell)
        self._acceptance = acceptance

    def tell(self, message: object) -> None:
        self._acceptance.check(message, self._cell.path)
        LocalActorRef.tell(self, message)

    async def send(self, message: object) -> None:
        self._acceptance.check(message, self._cell.path)
        await LocalActorRef.send(self, message)

    async def ask(self, message: object, *, timeout: float | None = None) -> Any:
        self._acceptance.check(message, self._cell.path)
        return await LocalActorRef.ask(self, message, timeout=timeout)

    def _ask_soon(self, message: object, reply: Completion) -> bool:
        self._acceptance.check(message, self._cell.path)
        return LocalActorRef._ask_soon(self, message, reply)

    def _tell_quietly(self, message: object) -> None:
        # The runtime's own messages (Terminated, timers) are not the sender's to type.
        try:
            LocalActorRef.tell(self, message)
        except MailboxFull:
            self._cell.dead_letter(message, "mailbox full")

    async def _ask_carried(self, message: object, carrier: object) -> Any:
        # The error travels back to the remote asker. (Tells from another
        # process arrive through _tell_quietly or _tell_carried, unchecked:
        # there is no sender here to raise to.)
        self._acceptance.check(message, self._cell.path)
        return await super()._ask_carried(message, carrier)


def install_checked_ref(cell: ActorCell) -> None:
    """Give a new cell a checking ref, if its actor class declares a message type."""
    acceptance = acceptance_of(cell.actor_class)
    if acceptance is not None:
        cell.self_ref = CheckedActorRef(cell, acceptance)


def narrow_ref(ref: ActorRef[Any], actor_class: type[Actor[M]]) -> ActorRef[M]:
    """Return ``ref`` typed as the ref of an ``actor_class``, checking what can be checked.

    For refs that come untyped (``ActorRef[Any]``): from ``system.lookup``,
    ``system.find``, ``context.children`` or inside a message.
    ``narrow_ref(system.lookup("bank/ada"), Account)`` is an
    ``ActorRef[Deposit | GetBalance]`` when ``Account`` is an
    ``Actor[Deposit | GetBalance]``. It returns the same object: nothing
    changes at run time.

    The check: a ref to an actor of this process must run ``actor_class``
    or a subclass of it. Of a ref to an actor elsewhere (a remote actor, a
    pool) this process cannot see the class, so narrowing it is the caller's
    word; the receiving node's ``check_messages=True`` still refuses an ask
    it does not accept.

    Raises:
        MessageTypeError: the local actor behind ``ref`` is not an ``actor_class``.
        TypeError: ``actor_class`` is not an ``Actor`` subclass.
    """
    if not (isinstance(actor_class, type) and issubclass(actor_class, Actor)):
        raise TypeError(
            f"narrow_ref() needs an Actor subclass as its second argument (got {actor_class!r})"
        )
    if isinstance(ref, LocalActorRef):
        running = ref._cell.actor_class
        if not issubclass(running, actor_class):
            raise MessageTypeError(
                f"{ref.path} runs {running.__name__}, not {actor_class.__name__}; "
                f"narrow it to {running.__name__} or to one of its bases"
            )
    elif not isinstance(ref, ActorRef):
        raise TypeError(f"narrow_ref() needs an ActorRef as its first argument (got {ref!r})")
    narrowed: ActorRef[M] = ref
    return narrowed
