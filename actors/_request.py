"""``Request[R]``: the base of messages that expect a reply of type ``R``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Self, final

from ._type_parameters import R_co

if TYPE_CHECKING:
    from ._ref import ActorRef


class Request(Generic[R_co]):
    """Base class of a message whose reply (what ``receive`` returns for it) is an ``R``.

    ``class GetBalance(Request[int])`` declares that asking for a balance
    answers an ``int``. It changes nothing at run time (no fields, no slots
    of its own); it tells the type checker what an ask returns::

        balance = await account.ask(GetBalance())      # int: checks the reply type
        balance = await GetBalance().ask(account)      # int: also checks that
                                                       # account accepts GetBalance

    See ``docs/typing.md`` for what each spelling checks.
    """

    __slots__ = ()

    async def ask(self, ref: ActorRef[Self], *, timeout: float | None = None) -> R_co:
        """Ask ``ref`` this request and return its reply: ``await ref.ask(self, timeout=timeout)``.

        The checked spelling: the type checker verifies both that ``ref``
        accepts this request's class (``ref`` must be an ``ActorRef`` of a
        type that includes it) and that the reply is used as an ``R``. The
        run-time behaviour, errors and cancellation are those of
        :meth:`ActorRef.ask`.
        """
        reply: R_co = await ref.ask(self, timeout=timeout)
        return reply


@final
class ReplyTypeMismatch:
    """What the type checker reports when an ask's reply is used as the wrong type.

    Only a type: ``s: str = await account.ask(GetBalance())`` is reported by
    mypy as "expression has type ReplyTypeMismatch, variable has type str"
    (``GetBalance`` answers ``int``). No value of it ever exists.
    """

    def __init__(self, *_args: Any) -> None:
        raise TypeError("ReplyTypeMismatch exists for type checkers only")
