"""The runtime's own messages and events: plain frozen data.

Events are named in the past tense (they report what happened); they are
delivered like any other message, through the event stream or by ``watch``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from attrs import frozen

if TYPE_CHECKING:
    from ._ref import ActorRef


@frozen
class Terminated:
    """The watched actor ``ref`` has stopped for good.

    A watcher receives it exactly once per ``watch``, whatever the reason for
    the stop; a restart is not a termination and sends nothing.
    """

    ref: ActorRef


@frozen(kw_only=True)
class DeadLetter:
    """A message that could not be delivered or was never handled.

    Published on the event stream for every message sent to a stopped actor,
    left in a mailbox when its actor stopped, refused by a full mailbox under
    ``Overflow.DROP``, left unhandled by the default ``receive``, or still
    failing after its last retry under ``retry_message`` (reason ``"failed
    n times; the last attempt raised ..."``).
    """

    message: object
    recipient: ActorRef
    reason: str = "recipient stopped"


@frozen(kw_only=True)
class ActorFailed:
    """The actor ``ref`` raised ``error`` while handling ``message``.

    ``message`` is ``None`` when the failure happened while starting (in the
    constructor or ``on_start``). Published once per failure, before the
    supervisor decides what to do.
    """

    ref: ActorRef
    error: BaseException
    message: object = None


@frozen(kw_only=True)
class UpgradeFailed:
    """``system.upgrade_all`` or ``reload_module`` could not upgrade ``ref`` to ``new_class``.

    ``error`` is what ``new_class.code_change`` raised (or why no new class
    was found). The actor keeps running its old code; nothing was lost.
    """

    ref: ActorRef
    new_class: type | None
    error: BaseException
