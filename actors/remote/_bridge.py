"""How a node reaches nats-py, which is asyncio-only, from either anyio backend.

On asyncio the node calls nats-py directly: :func:`direct` returns ``None``
and every call site keeps its plain path, at no cost.

On trio, nats-py runs on an asyncio event loop in a helper thread
(:class:`Hosted`), one loop for every node of the process (see
``_client_loop``). The node itself (its routing, the actors, the refs) stays
on the system's trio thread; only the client crosses over, through proxies:

- an awaited client call (``subscribe``, key-value reads and writes, ``fetch``,
  ``ack``, ...) runs as a task on the client's loop, and the trio caller waits
  for it; cancelling the caller cancels that task and returns at once;
- frames to publish cross in batches, without waiting (see ``_publisher``);
- messages a subscription receives are queued on the client's loop and handed
  over in batches: one trio wakeup for all that arrived meanwhile, then
  handled in order by one trio task per subscription, as nats-py itself
  handles each subscription's callbacks in order.

Nothing on the trio thread touches nats-py's objects except through a proxy,
and nothing on the client's loop touches an actor.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import socket
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import anyio
from anyio.abc import TaskStatus

from ._client_loop import ClientLoop
from ._neutral import new_event

logger = logging.getLogger(__name__)

#: Seconds each step of closing may take: this client's tasks ending, then the loop's thread.
CLOSE_TIMEOUT = 1.0
#: The most received messages one subscription's inbox holds on the trio side.
INBOX_CAPACITY = 1024


def hosted_needed() -> bool:
    """Whether the running loop is not asyncio, so nats-py must be hosted in a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return True
    return False


class _Inbox:
    """One subscription's messages, queued on the client's loop, handled in order on trio.

    At most ``capacity`` wait here: beyond, the subscription's callback waits
    on the client's loop, so the client's own pending limits apply (and its
    slow-consumer drops), as when the handler itself is slow on asyncio.
    """

    def __init__(
        self, hosted: Hosted, handler: Callable[[Any], Awaitable[None]], capacity: int
    ) -> None:
        self._hosted = hosted
        self._handler = handler
        self._capacity = capacity
        self._items: deque[Any] = deque()
        self._scheduled = False
        # The client's loop wakes the pump through a socket the pump waits on, not
        # ``run_sync_soon``: trio's ``epoll`` then reschedules the pump itself, in the
        # pass that sees the byte, where a callback would run in trio's own task and
        # wake the pump one pass later (each pass gives the GIL up, see _answering).
        self._woken, self._waker = socket.socketpair()
        self._woken.setblocking(False)
        self._waker.setblocking(False)
        #: On trio, set once the queue is empty (``None``: nobody waits).
        self._emptied: Any = None
        #: On the client's loop, set once there is room again (``None``: nobody waits).
        self._room: asyncio.Event | None = None
        #: On trio, routes a run that crossed whole (``receive_run``; see ``_crossing``).
        self.route_run: Callable[[Any, int], Awaitable[None]] | None = None

    async def receive(self, msg: Any) -> None:
        """On the client's loop: queue ``msg``; wake the trio side once per batch."""
        items = self._items
        items.append(msg)
        if not self._scheduled:
            self._wake()
        if len(items) >= self._capacity:
            self._room = room = asyncio.Event()
            if len(items) < self._capacity:  # taken meanwhile: the pump may not have seen us
                self._room = None
                return
            await room.wait()

    def receive_run(self, run: list[Any], size: int) -> None:
        """On the client's loop: queue a whole run (``size`` payload bytes); never waits.

        Its bound is the subscription's pending limits, which count it until
        it is routed (``_crossing.Held``).
        """
        self._items.append((run, size))  # a tuple: a received Msg is never one
        if not self._scheduled:
            self._wake()

    def _wake(self) -> None:
        self._scheduled = True
        try:
            self._waker.send(b"\0")  # one byte per idle spell: the buffer never fills
        except OSError:  # closed: the node has left
            logger.debug("nats-py loop: a message arrived after its node left")

    async def pump(self) -> None:
        """On trio: hand every queued message to the handler, in order, as they come."""
        import trio  # noqa: PLC0415 - only a trio program gets here

        items = self._items
        handler = self._handler
        woken = self._woken
        try:
            while True:
                await trio.lowlevel.wait_readable(woken)
                with contextlib.suppress(BlockingIOError):  # readable: a byte is there
                    woken.recv(64)
                await self._handle(items, handler)
        finally:
            woken.close()  # the client's loop may still write: the waker closes after it

    async def _handle(self, items: deque[Any], handler: Callable[[Any], Awaitable[None]]) -> None:
        """Hand over every queued message, in order, until the queue stays empty."""
        handled = 0
        while True:
            while items:
                msg = items.popleft()
                room = self._room
                if room is not None:
                    self._room = None
                    self._hosted.loop.call_soon_threadsafe(room.set)
                if type(msg) is tuple:  # a whole run: routed in one pass
                    assert self.route_run is not None
                    handled += len(msg[0])
                    await self.route_run(*msg)
                else:
                    handled += 1
                    await handler(msg)  # a received Msg is only read: no proxy
            # One more scheduling round before going idle, once more than one message
            # came this time: a stream (tells, asks in flight), where the client's loop
            # often queues more meanwhile and then needs no wakeup. A lone message (an
            # ask one at a time) goes idle at once: the round would be a pass of trio's
            # scheduler, its GIL hand-overs included, before the thread can sleep.
            if handled > 1:
                await anyio.lowlevel.cancel_shielded_checkpoint()
                if items:
                    continue
            # Only now may the client's loop wake this task again; a message
            # queued just before the reset is seen by the check after it.
            self._scheduled = False
            if not items:
                break
            self._scheduled = True
        emptied, self._emptied = self._emptied, None
        if emptied is not None:
            emptied.set()

    def close(self) -> None:
        """Close the wakeup sockets, once nothing on the client's loop can write (idempotent)."""
        self._woken.close()
        self._waker.close()

    async def wait_empty(self) -> None:
        """On trio: wait until every message queued so far has been handled."""
        while self._items or self._scheduled:
            if self._emptied is None:
                self._emptied = new_event()
            await self._emptied.wait()


class Hosted:
    """A nats-py client on the process's client loop in a helper thread, reached from trio."""

    def __init__(self) -> None:
        import trio  # noqa: PLC0415 - only a trio program gets here

        self._token = trio.lowlevel.current_trio_token()
        self._client_loop = ClientLoop.acquire()  # shared by every hosted client of the process
        self.loop = self._client_loop.loop
        self._task_group: Any = None  # a trio nursery
        self._early: list[_Inbox] = []
        self._all_inboxes: list[_Inbox] = []
        #: Each callback subscription's inbox, by the id of its nats-py subscription.
        self.inboxes: dict[int, _Inbox] = {}
        self._closed = False

    def to_trio(self, fn: Callable[..., object], *args: Any) -> None:
        """From the client's loop: run ``fn(*args)`` soon on the trio thread (unless trio ended)."""
        try:
            self._token.run_sync_soon(fn, *args)
        except RuntimeError:  # trio.RunFinishedError: the program is ending
            logger.debug("nats-py loop: %r arrived after trio ended", fn)

    async def call(
        self, fn: Callable[..., Coroutine[Any, Any, Any]], *args: Any, **kwargs: Any
    ) -> Any:
        """Run ``await fn(*args, **kwargs)`` on the client's loop; its result or exception.

        Cancelling the caller cancels the call there and returns at once.
        """
        if self._closed:
            raise RuntimeError("the NATS client's loop has been closed")
        future = self._client_loop.run(self, fn(*args, **kwargs))
        done = new_event()
        future.add_done_callback(lambda _: self.to_trio(done.set))
        try:
            await done.wait()
        except BaseException:
            future.cancel()
            raise
        return future.result()

    def inbox(self, handler: Callable[[Any], Awaitable[None]], capacity: int) -> _Inbox:
        """A subscription's inbox: its ``receive`` (the callback, on the client's loop)
        hands messages to ``handler`` on trio."""
        inbox = _Inbox(self, handler, capacity)
        self._all_inboxes.append(inbox)
        if self._task_group is None:
            self._early.append(inbox)
        else:
            self._task_group.start_soon(inbox.pump)
        return inbox

    async def wait_handled(self, subscription: Any) -> None:
        """Wait until every message that ``subscription`` received has been handled on trio."""
        inbox = self.inboxes.pop(id(subscription._target), None)
        if inbox is not None:
            await inbox.wait_empty()

    def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """On trio: run ``fn(*args)`` as a task of the node (a trio nursery's, the cheapest)."""
        assert self._task_group is not None, "the node is not running"
        self._task_group.start_soon(fn, *args)

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """On trio, in the node's task group: its pumps and tasks, until cancelled."""
        import trio  # noqa: PLC0415 - only a trio program gets here

        async with trio.open_nursery() as task_group:
            self._task_group = task_group
            for inbox in self._early:
                task_group.start_soon(inbox.pump)
            self._early.clear()
            task_status.started()
            await trio.sleep_forever()

    async def close(self) -> None:
        """End this client's tasks on the client loop; the last user ends the loop and its thread.

        At most ~3 s.
        """
        if not self._closed:
            self._closed = True
            try:
                await anyio.to_thread.run_sync(self._client_loop.release, self, CLOSE_TIMEOUT)
            finally:
                for inbox in self._all_inboxes:  # this client's tasks have ended: none writes
                    inbox.close()


def wrap(hosted: Hosted | None, value: Any) -> Any:
    """``value`` as the node sees it: itself on asyncio, a proxy to it on trio."""
    return value if hosted is None else Proxy(hosted, value)


class Proxy:
    """A nats-py object seen from the trio thread: coroutine methods run on the client's loop.

    Plain attributes are read directly; results that are nats-py objects come
    back as proxies; a ``cb`` callback becomes an inbox delivering on trio.
    """

    __slots__ = ("_hosted", "_target")

    def __init__(self, hosted: Hosted, target: Any) -> None:
        self._hosted = hosted
        self._target = target

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return _wrapped(self._hosted, value)
        if inspect.iscoroutinefunction(value):

            async def call(*args: Any, **kwargs: Any) -> Any:
                callback = kwargs.get("cb")
                if callback is not None:
                    # The messages waiting in the inbox count against the pending limit.
                    limit = kwargs.get("pending_msgs_limit", INBOX_CAPACITY * 2)
                    capacity = max(1, min(INBOX_CAPACITY, limit // 2))
                    kwargs["pending_msgs_limit"] = max(1, limit - capacity)
                    inbox = self._hosted.inbox(callback, capacity)
                    kwargs["cb"] = inbox.receive
                    subscription = await self._hosted.call(value, *args, **kwargs)
                    self._hosted.inboxes[id(subscription)] = inbox
                    return _wrapped(self._hosted, subscription)
                return _wrapped(self._hosted, await self._hosted.call(value, *args, **kwargs))

            return call

        def call_sync(*args: Any, **kwargs: Any) -> Any:
            return _wrapped(self._hosted, value(*args, **kwargs))

        return call_sync

    def __aiter__(self) -> Proxy:
        return self

    async def __anext__(self) -> Any:
        return _wrapped(self._hosted, await self._hosted.call(self._target.__anext__))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Proxy):
            return self._target is other._target
        return self._target is other

    def __hash__(self) -> int:
        return id(self._target)

    def __repr__(self) -> str:
        return f"<on the NATS loop: {self._target!r}>"


def target_of(value: Any) -> Any:
    """The nats-py object behind ``value`` (a proxy, or itself): for use on the client's loop."""
    return value._target if isinstance(value, Proxy) else value


def _wrapped(hosted: Hosted, value: Any) -> Any:
    if isinstance(value, list):
        return [_wrapped(hosted, item) for item in value]
    module = type(value).__module__
    if module.startswith("nats.") and not isinstance(value, BaseException):
        return Proxy(hosted, value)
    return value
