"""On trio: a request that arrives goes into its actor's mailbox at once, with no task.

On asyncio each arriving request gets a task that asks the local actor and
sends back the reply; asyncio runs first task steps in the order they were
scheduled, so requests reach mailboxes in the order they arrived. trio does
not promise that order, so there each request's task had to take its first
step before the next message was routed: a pass of trio's scheduler per
request, and each pass gives the GIL up in ``epoll`` to the client loop's
thread and waits to take it back.

Here the request goes into the mailbox (or, to an idle actor with a plain
``receive``, is answered right there) while it is routed, through
``ActorRef._ask_soon`` (as ``actors.blocking`` does): in order by
construction, and the reply slot, not a task, sends the answer back when the
actor's turn completes it. A ref that cannot (a bounded mailbox, an
instrumented system) says so, and the request takes the task path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import RemoteError
from ._wire import REPLY

if TYPE_CHECKING:
    from actors import ActorRef

    from ._node import NatsNode


class ReplySlot:
    """Where the actor's turn puts the answer to one remote request: sends it back at once.

    Completing it never raises (the turn that completes it must not fail
    because of the network): an answer that cannot be encoded goes back as
    the error saying why, and a full or closed outbound buffer drops the
    reply, as the task path does (the asker's timeout decides).
    """

    __slots__ = ("_done", "_node", "_reply")

    def __init__(self, node: NatsNode, reply: str) -> None:
        self._node = node
        self._reply = reply
        self._done = False

    def done(self) -> bool:
        return self._done

    def set_result(self, result: Any, /) -> None:
        if self._done:
            return
        self._done = True
        codec = self._node.codec
        try:
            data = codec.encode(REPLY, result)
        except Exception as error:  # the reply cannot travel: say why, never fail the turn
            data = codec.encode_error(error)
        self._node.enqueue(self._reply, "", data, None, None)

    def set_exception(self, exception: BaseException, /) -> None:
        if self._done:
            return
        self._done = True
        if not isinstance(exception, Exception):  # not the asker's to see as such
            exception = RemoteError(type(exception).__name__, "the request was not answered")
        self._node.enqueue(self._reply, "", self._node.codec.encode_error(exception), None, None)


def ask_soon(node: NatsNode, ref: ActorRef, message: object, reply: str) -> bool:
    """Put the request ``message`` in ``ref``'s mailbox now; its answer goes to ``reply``.

    ``False`` when ``ref`` cannot take it this way: then nothing was done,
    and the caller asks in a task. A message the ref refuses (a wrong type)
    is answered with that error.
    """
    slot = ReplySlot(node, reply)
    try:
        return ref._ask_soon(message, slot)
    except Exception as error:
        slot.set_exception(error)
        return True
