"""Requests: ``ask`` over NATS, and the node's table of replies it awaits.

Each request gets a reply subject of the asking node, ``...n.<node>.r.<id>``,
which its one wildcard subscription already covers; the reply's frame
completes the request's future. A "no responders" status (nobody subscribes to
the target subject) fails it at once with ``ActorNotFound``.

The ``<id>`` is 128 random bits, new for each request and forgotten when it is
answered: a reply is bound to its one request, and a client that has not seen
the request cannot guess where to answer it (with sequential ids, any client
allowed to publish on the cluster's subjects could answer pending asks). NATS
permissions (``allow_responses``, see ``docs/distribution.md``) stop even a
client that has seen one from publishing on another node's reply subjects.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio

from ._errors import ActorNotFound, RemoteError, check_timeout
from ._ref import RemoteActorRef
from ._wire import ERROR, MESSAGE, REPLY, Frame, UndecodableError

if TYPE_CHECKING:
    from nats.aio.msg import Msg

    from ._node import NatsNode
    from ._ref import Target

_NO_RESPONDERS = "503"


#: Request ids drawn from ``os.urandom`` at once.
_IDS_PER_DRAW = 256


class RequestIds:
    """Fresh, unguessable reply ids: 128 random bits each, in hex (one subject token).

    The bits come from ``os.urandom``, drawn for many ids at once: a draw is a
    system call, which releases the GIL, and on trio, where nats-py's loop
    runs in another thread, releasing it on every request handed the GIL over
    and waited to get it back. Each id uses bytes of its own, never reused; one
    instance serves one node, which runs on one thread.
    """

    __slots__ = ("_pool", "_taken")

    def __init__(self) -> None:
        self._pool = b""
        self._taken = 0

    def new(self) -> str:
        """A fresh id."""
        start = self._taken
        if start >= len(self._pool):
            self._pool = os.urandom(16 * _IDS_PER_DRAW)
            start = 0
        self._taken = start + 16
        return self._pool[start : start + 16].hex()


class Requests:
    """The requests one node has sent and not yet had answered."""

    def __init__(self, node: NatsNode) -> None:
        self.node = node
        self._ids = RequestIds()
        #: Each pending request's future, what it asked (for errors), and the
        #: node that should answer (``None``: a pool's member, or control traffic).
        self.pending: dict[str, tuple[asyncio.Future[Any], str | None, str | None]] = {}
        #: ``await request(target, message, timeout)``: send ``message`` to
        #: ``target`` with a reply subject, and await the reply; with
        #: instrumentation, the sender's carrier goes in the headers.
        self.request: Callable[[Target, object, float | None], Awaitable[Any]] = (
            self._request if node.tracing is None else self._request_traced
        )

    async def _request_traced(self, target: Target, message: object, timeout: float | None) -> Any:
        assert self.node.tracing is not None
        headers = self.node.tracing.headers(target, message)
        return await self._request(target, message, timeout, headers)

    async def _request(
        self,
        target: Target,
        message: object,
        timeout: float | None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        check_timeout(timeout)
        data = self.node.codec.encode(MESSAGE, message)
        if len(data) > self.node.config.max_message_size:
            raise ValueError(
                f"the request to {target.where} is {len(data)} bytes; the limit is "
                f"{self.node.config.max_message_size} (NatsCluster(max_message_size=...))"
            )
        request_id = self._ids.new()
        future: asyncio.Future[Frame] = self.node.new_future()
        answering = target.address.node if isinstance(target, RemoteActorRef) else None
        self.pending[request_id] = (future, target.where, answering)
        try:
            reply = self.node.subjects.reply(request_id)
            if timeout is None:
                frame = await self._send_request(
                    future, reply, data, target, message, headers=headers
                )
            else:
                with anyio.fail_after(timeout):
                    frame = await self._send_request(
                        future, reply, data, target, message, headers=headers
                    )
        finally:
            del self.pending[request_id]
        return self.decode_reply(frame, target.where)

    async def _send_request(
        self,
        future: asyncio.Future[Frame],
        reply: str,
        data: bytes,
        target: Target,
        message: object,
        *,
        headers: dict[str, str] | None,
    ) -> Frame:
        if self.node._outbound.full():
            await self.node._wait_for_room()
        if not self.node.enqueue(target.subject, reply, data, target, message, headers=headers):
            raise ActorNotFound(f"cannot reach {target.where}: node {self.node.name} is detached")
        return await future

    def request_control(self, node: str, kind: str, data: bytes) -> asyncio.Future[Frame]:
        """Queue a request to another node's control subject at once; its reply frame's future.

        The request takes its place in the outbound order now, ahead of
        anything sent after this call; the entry goes when the future is done.
        """
        request_id = self._ids.new()
        future: asyncio.Future[Frame] = self.node.new_future()
        self.pending[request_id] = (future, None, None)
        subject = self.node.subjects.control(node, kind)
        if not self.node.enqueue(subject, self.node.subjects.reply(request_id), data, None, None):
            future.set_exception(ActorNotFound(f"node {self.node.name} is detached or saturated"))
        future.add_done_callback(lambda _: self.pending.pop(request_id, None))
        return future

    def decode_reply(self, frame: Frame, where: str) -> Any:
        if frame.kind == REPLY:
            try:
                return self.node.codec.decode_body(frame)
            except UndecodableError as error:
                raise RemoteError("UndecodableError", f"the reply of {where}: {error}") from None
        if frame.kind == ERROR:
            raise self.node.codec.decode_error(frame)
        raise RemoteError("UndecodableError", f"unexpected reply frame from {where}")

    def fail(self, reply: str, error: BaseException) -> None:
        _, _, request_id = reply.rpartition(".")
        pending = self.pending.get(request_id)
        if pending is not None and not pending[0].done():
            pending[0].set_exception(error)

    def on_reply(self, request_id: str, msg: Msg) -> None:
        pending = self.pending.get(request_id)
        if pending is None:
            return  # a late reply (its ask timed out or was cancelled), or a guess
        future, where, _node = pending
        if future.done():
            return
        if msg.headers and msg.headers.get("Status") == _NO_RESPONDERS:
            where = where or "that node"
            future.set_exception(
                ActorNotFound(f"no node serves {where}: it has stopped or left the cluster")
            )
            return
        try:
            future.set_result(self.node.codec.decode_frame(msg.data))
        except UndecodableError as error:
            future.set_exception(RemoteError("UndecodableError", str(error)))

    def fail_all(self, error: BaseException) -> None:
        """Fail every request still waiting (the node has left)."""
        for future, _where, _node in self.pending.values():
            if not future.done():
                future.set_exception(error)

    def fail_node(self, node: str) -> None:
        """Fail every request waiting for an answer from ``node``, which has left or died."""
        for future, where, answering in self.pending.values():
            if answering == node and not future.done():
                future.set_exception(
                    ActorNotFound(f"node {node} left the cluster before {where} answered")
                )
