"""The ``Actor`` base class that users subclass."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self

from supervision import OneForAll, OneForOne, RestForOne

from ._errors import ActorInitializationError
from ._mailbox import MailboxConfig
from ._type_parameters import M

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from supervision import ChildSpec, Strategy

    from ._context import ActorContext
    from ._system import ActorSystem

_STRATEGY_TYPES = (OneForOne, OneForAll, RestForOne)


class Actor(Generic[M]):
    """Base class of every actor.

    Subclass it and override :meth:`receive`. ``Actor[M]`` declares the
    messages the actor accepts (a union is fine: ``Actor[Deposit | GetBalance]``);
    ``spawn`` then returns an ``ActorRef[M]`` whose ``tell``, ``send`` and
    ``ask`` the type checker holds to ``M``. A bare ``Actor`` is ``Actor[Any]``.

    Create instances only with ``system.spawn(MyActor, *args)`` or
    ``self.context.spawn(...)``: the runtime constructs the instance (and
    builds a fresh one on every restart), so the constructor runs inside the
    actor, after ``spawn`` has returned its ref.

    Class attributes:
        strategy: how this actor supervises the children it spawns (a
            ``supervision`` strategy). ``None`` means the default,
            ``OneForOne(max_restarts=3, within=5.0)``.
        mailbox: the default :class:`~actors.MailboxConfig` for instances of
            this class; ``spawn(..., mailbox=...)`` overrides it. ``None`` means
            unbounded.
        stash_capacity: the most messages ``context.stash()`` holds (1,000);
            one more raises :class:`~actors.StashError` in the handler.

    Hooks and ``receive`` may be ``async def`` or plain ``def``. One actor
    handles one message at a time, so its state needs no locks.
    """

    # ``context`` is a plain slot rather than a property: handlers read it on
    # every message (``self.context.self_ref``), and a slot is the cheapest read.
    __slots__ = ("__dict__", "__weakref__", "context")

    #: This actor's :class:`~actors.ActorContext`: its ref, parent, children,
    #: timers. Set by the runtime before ``__init__`` runs; do not assign it.
    context: ActorContext
    strategy: ClassVar[Strategy | None] = None
    mailbox: ClassVar[MailboxConfig | None] = None
    stash_capacity: ClassVar[int] = 1000

    # Computed per class so the per-message path does not inspect anything.
    _receive_is_async: ClassVar[bool] = False
    # Whether spawning must also create declared children (see Supervisor).
    _declares_children: ClassVar[bool] = False
    # Called by spawn with the system: raises if the class cannot live there
    # (persistent actors need the system's journal=).
    _spawn_check: ClassVar[Callable[[ActorSystem], None] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "strategy" in cls.__dict__ or "mailbox" in cls.__dict__:
            check_class_configuration(cls)
        if "__new__" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} defines __new__, which the runtime never calls: it builds "
                "actors itself (with self.context set before __init__); "
                "initialise in __init__ or on_start instead"
            )
        cls._receive_is_async = inspect.iscoroutinefunction(cls.receive)

    if not TYPE_CHECKING:
        # Hidden from type checkers, so that they read a subclass's constructor
        # signature from its __init__ (see actors.props).
        def __new__(cls, *_args, **_kwargs):
            # The runtime allocates instances with object.__new__ (see
            # construct_instance), so only a direct call of the class gets here.
            raise ActorInitializationError(
                f"{cls.__name__} is an actor: create it with system.spawn({cls.__name__}, ...) "
                "or self.context.spawn(...), not by calling the class"
            )

    def on_start(self) -> Any:
        """Run once before the first message, and again on every fresh instance after a restart.

        An exception here is a failure, reported to the parent like one from
        :meth:`receive`. May be ``async def``; messages wait until it returns.
        """
        return None

    def on_stop(self) -> Any:
        """Run once when the instance goes: on a stop, and on the old instance at a restart.

        At a stop it runs after the children have stopped (reverse start
        order); at a restart it runs first, and the children are stopped
        after it. Only an instance whose ``on_start`` completed gets it. An
        exception here is logged and does not prevent the stop or restart.
        May be ``async def``.
        """
        return None

    def receive(self, message: M) -> Any:
        """Handle one message; what it returns is the reply to an ``ask``.

        An exception escaping it fails the actor: it is re-raised in the
        caller of ``ask`` (same type) and reported to the parent, whose
        strategy decides what happens next. The default implementation treats
        every message as unhandled: it becomes a :class:`~actors.DeadLetter`
        with reason ``"unhandled"``.
        """
        self.context._cell.dead_letter(message, "unhandled")
        return None

    @classmethod
    def code_change(cls, old: Actor, extra: Any) -> Self:
        """Build this class's instance from ``old`` during ``system.upgrade`` (OTP ``code_change``).

        Called between two messages of the running actor, with its current
        instance and the ``extra`` given to ``upgrade``. Override it to migrate
        the state (rename fields, convert a schema); read ``old``'s attributes
        and return a new instance. The default copies ``old``'s instance
        attributes (its ``__dict__`` and slots) onto a new instance of this
        class without calling ``__init__``, and ignores ``extra``.

        Neither ``on_stop`` of the old instance nor ``on_start`` of the new
        one runs. If this raises, the old instance stays and handles the next
        messages, and ``upgrade`` raises the error to its caller.

        Args:
            old: The instance running now (of the old class).
            extra: Whatever the caller passed to ``upgrade`` (``None`` by default).

        Returns:
            The instance that handles the actor's next messages; it must be
            an instance of this class.
        """
        new: Self = _allocate(cls)
        new.context = old.context
        for klass in type(old).__mro__:
            slots = klass.__dict__.get("__slots__", ())
            for slot in (slots,) if isinstance(slots, str) else slots:
                if slot not in ("__dict__", "__weakref__", "context") and hasattr(old, slot):
                    setattr(new, slot, getattr(old, slot))
        new.__dict__.update(old.__dict__)
        return new

    @classmethod
    def _declared_children(cls) -> Sequence[ChildSpec]:
        """Children the runtime starts, in order, before ``on_start`` (see ``Supervisor``)."""
        return ()


def check_class_configuration(cls: type[Actor]) -> None:
    """Check ``strategy`` and ``mailbox`` of ``cls``, wherever and whenever they were set.

    Called for the class statement, and again by ``spawn`` when either is not
    ``None``: a class attribute assigned after the class statement is honoured,
    so it is checked too.

    Raises:
        TypeError: ``strategy`` is not a supervision strategy, or ``mailbox``
            not a ``MailboxConfig``.
    """
    strategy = cls.strategy
    if strategy is not None and not isinstance(strategy, _STRATEGY_TYPES):
        raise TypeError(
            f"{cls.__name__}.strategy must be a supervision strategy instance such as "
            f"OneForOne(max_restarts=3, within=5.0) (got {strategy!r})"
        )
    mailbox = cls.mailbox
    if mailbox is not None and not isinstance(mailbox, MailboxConfig):
        raise TypeError(
            f"{cls.__name__}.mailbox must be an actors.MailboxConfig or None (got {mailbox!r})"
        )


_allocate = object.__new__


class KeywordArguments:
    """Constructor arguments that include keywords, as a cell keeps them for restarts.

    Rare (most actors get positional arguments or none), so it costs its own
    object only when there are keywords: see :data:`Arguments`.
    """

    __slots__ = ("args", "kwargs")

    def __init__(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
        self.args = args
        self.kwargs = kwargs


#: An actor's constructor arguments as its cell keeps them for restarts, in the
#: form that costs least (see :func:`keep_arguments`): ``None`` for none; a
#: lone positional argument as itself; two positional arguments as the first,
#: with the second in the cell's ``second_argument`` slot; other positional
#: arguments as their tuple; a :class:`KeywordArguments` when there are keywords.
Arguments = object


class _NotAPair:
    """The type of :data:`NOT_A_PAIR`: a marker no caller can pass as an argument."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_A_PAIR"


#: In ``ActorCell.second_argument`` unless the constructor arguments are
#: exactly two positional ones (see :data:`Arguments`).
NOT_A_PAIR = _NotAPair()


def keep_arguments(args: tuple[Any, ...]) -> Arguments:
    """What a cell keeps of positional constructor arguments other than a pair.

    A lone argument is kept as itself, not in its tuple: one object fewer per
    actor for the allocator and the garbage collector, which is most of what
    a kept tuple costs (docs/benchmarks.md, "spawn"). It stays in its tuple
    when it could be mistaken for another form (``None``, a tuple, a
    ``KeywordArguments``). Two arguments are kept in two slots by
    ``spawn_child`` (see :data:`Arguments`).
    """
    if len(args) == 1:
        argument = args[0]
        kind = type(argument)
        if argument is not None and kind is not tuple and kind is not KeywordArguments:
            return argument
    return args or None


def construct_instance(
    actor_class: type[Actor],
    context: ActorContext,
    arguments: Arguments,
    second_argument: object,
) -> Actor:
    """Build an instance of ``actor_class`` for the runtime: ``context`` is set before ``__init__``.

    ``arguments`` and ``second_argument`` are what the cell kept (see
    :data:`Arguments`). Calling the
    class would run ``Actor.__new__``, which refuses (so that nobody makes an
    actor outside the runtime); allocating directly also skips a
    Python-level ``__new__`` on every spawn and restart.
    """
    instance: Actor = _allocate(actor_class)
    instance.context = context
    kind = type(arguments)
    if second_argument is not NOT_A_PAIR:
        instance.__init__(arguments, second_argument)  # type: ignore[misc]
    elif arguments is None:
        instance.__init__()  # type: ignore[misc]
    elif kind is tuple:
        instance.__init__(*arguments)  # type: ignore[misc]
    elif kind is KeywordArguments:
        assert isinstance(arguments, KeywordArguments)
        instance.__init__(*arguments.args, **arguments.kwargs)  # type: ignore[misc]
    else:
        instance.__init__(arguments)  # type: ignore[misc]
    return instance
