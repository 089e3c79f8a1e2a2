"""Publishing a run of queued frames into nats-py: one call a run, not three coroutines a frame.

nats-py's ``publish`` is three coroutine calls per message (``publish``,
``_send_publish``, ``_send_command``), each checking the client's state again,
before the ``PUB`` command is appended to the client's pending buffer; its
flusher task later writes that buffer to the socket. In a burst of ``tell``
frames that was about a quarter of the sending side's time. :class:`RunPublisher`
appends the commands of a whole run at once, byte for byte what ``publish``
appends, then does what ``publish`` does after appending: a forced flush once
the pending buffer is over its limit, and a kick of the flusher.

On trio, :meth:`RunPublisher.publish_now` also writes a short run to the
socket at once, as nats-py's flusher task would, when nothing needs waiting.

That needs nats-py's private attributes (``_pending``, ``_pending_data_size``,
``_max_pending_size``, ``_max_payload``, ``_flush_queue``, ``_flush_pending``,
``_flusher_task``, ``_transport`` and its ``_io_writer``),
so it is used only with the nats-py versions it was checked against
(:data:`CHECKED`) and a client that has all of them (:func:`run_publisher`);
anything else gets :func:`publish_each`, the public ``publish`` per frame. Even
then, a frame the fast path is not sure of (one with headers, a subject
``publish`` would refuse, a payload over the server's limit, a client that is
not connected, draining or closed) goes through the public ``publish``, in its
place in the run, so its error (or its buffering while reconnecting) is
exactly the public one. docs/design.md ("Remote: publishing runs") says why.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from nats.aio import client as nats_client
from nats.aio.transport import TcpTransport

if TYPE_CHECKING:
    from ._outbound import Item

#: The nats-py versions (major, minor) whose ``publish`` this module was checked against.
CHECKED = frozenset({(2, 16)})
#: The attributes of a nats-py client that the fast path reads or writes.
_ATTRIBUTES = (
    "_pending",
    "_pending_data_size",
    "_max_pending_size",
    "_max_payload",
    "_flush_queue",
    "_flush_pending",
    "_flusher_task",
    "_transport",
    "stats",
    "is_connected",
    "is_closed",
    "is_draining_pubs",
)
#: Commands appended before the pending buffer's limit is checked (as ``publish`` does
#: after each): it is exceeded by at most this much before a flush is forced.
CHUNK_BYTES = 64 * 1024
#: What nats-py's ``publish`` refuses in a subject (``_validate_subject``): empty, or
#: holding whitespace.
_INVALID = re.compile(r"[ \t\r\n]")
#: The most subjects whose command prefixes are kept.
_PREFIXES = 4096

#: Publishes frames from the front of the deque (at least one, if it holds any), in
#: order; returns how many it took. Each failure goes to ``failed(item, error)``.
PublishRun = Callable[["deque[Item]", Callable[["Item", Exception], None]], Awaitable[int]]


def nats_py_version() -> tuple[int, int] | None:
    """The installed nats-py's (major, minor), or ``None`` if it does not say."""
    try:
        major, minor = nats_client.__version__.split(".")[:2]
        return int(major), int(minor)
    except (AttributeError, ValueError):
        return None


def run_publisher(
    nc: Any, errors: type[Exception] | tuple[type[Exception], ...], *, fast: bool | None = None
) -> PublishRun:
    """How to publish runs of frames on ``nc``: :class:`RunPublisher` if checked, else per frame.

    Args:
        nc: a connected nats-py client (its asyncio side).
        errors: what a publish may raise that is reported to ``failed``
            rather than propagated.
        fast: force one path (tests); ``None`` decides by version and attributes.
    """
    if fast is None:
        fast = nats_py_version() in CHECKED and all(hasattr(nc, name) for name in _ATTRIBUTES)
    if fast:
        return RunPublisher(nc, errors)
    return _Each(nc, errors)


class _Each:
    """The public path: ``await nc.publish(...)`` for each frame."""

    __slots__ = ("_errors", "_nc")

    def __init__(self, nc: Any, errors: type[Exception] | tuple[type[Exception], ...]) -> None:
        self._nc = nc
        self._errors = errors

    async def __call__(self, items: deque[Item], failed: Callable[[Item, Exception], None]) -> int:
        return await publish_each(self._nc, items, failed, self._errors)


async def publish_each(
    nc: Any,
    items: deque[Item],
    failed: Callable[[Item, Exception], None],
    errors: type[Exception] | tuple[type[Exception], ...],
) -> int:
    """Publish every frame in ``items`` with nats-py's public ``publish``, in order."""
    count = 0
    while items:
        item = items.popleft()
        count += 1
        try:
            await nc.publish(item[0], item[2], reply=item[1], headers=item[5])
        except errors as error:
            failed(item, error)
    return count


class RunPublisher:
    """Appends a run of ``PUB`` commands to a nats-py client's pending buffer at once.

    Frames keep their order: one the fast path leaves to the public
    ``publish`` is published after the commands before it are appended and
    before those after it.
    """

    __slots__ = ("_errors", "_nc", "_prefixes")

    def __init__(self, nc: Any, errors: type[Exception] | tuple[type[Exception], ...]) -> None:
        self._nc = nc
        self._errors = errors
        #: ``subject`` -> ``b"PUB subject  "`` (no reply subject), for subjects checked valid.
        self._prefixes: dict[str, bytes] = {}

    async def __call__(self, items: deque[Item], failed: Callable[[Item, Exception], None]) -> int:
        nc = self._nc
        if nc.is_closed or nc.is_draining_pubs or not nc.is_connected:
            return await publish_each(nc, deque((items.popleft(),)), failed, self._errors)
        prefixes = self._prefixes
        limit = nc._max_payload
        commands: list[bytes] = []
        size = 0
        payloads = 0
        public: Item | None = None
        # The per-frame loop: a dict lookup and one formatting per frame, no await.
        while items and size < CHUNK_BYTES:
            item = items.popleft()
            data = item[2]
            prefix = None if item[1] else prefixes.get(item[0])
            if prefix is None:
                prefix = self._prefix(item[0], item[1])
            if prefix is None or item[5] is not None or len(data) > limit:
                public = item  # published below, after the commands before it
                break
            command = b"%b%d\r\n%b\r\n" % (prefix, len(data), data)
            commands.append(command)
            size += len(command)
            payloads += len(data)
        count = len(commands)
        if commands:
            nc._pending.extend(commands)
            nc._pending_data_size += size
            stats = nc.stats
            stats["out_msgs"] += count
            stats["out_bytes"] += payloads
            # What ``_send_command`` does after each command, then ``_send_publish``.
            if nc._max_pending_size > 0 and nc._pending_data_size > nc._max_pending_size:
                await nc._flush_pending(force_flush=True)
            if nc._flush_queue is not None and nc._flush_queue.empty():
                await nc._flush_pending()
        if public is not None:
            count += await publish_each(nc, deque((public,)), failed, self._errors)
        return count

    def publish_now(self, items: deque[Item]) -> int | None:
        """Publish every frame of ``items`` and write them to the socket at once; how many.

        For the publisher on trio's client loop (``_publisher``): there a
        request otherwise waits for two more turns of the loop (the publisher
        task, then nats-py's flusher task) before it leaves, each a pass that
        gives the GIL up to the trio thread and waits to take it back.
        Appends exactly what :meth:`__call__` appends, then writes the whole
        pending buffer (nats-py's own commands queued before them included,
        in order) as nats-py's flusher would.

        Returns ``None``, having taken nothing, whenever that could not be
        done without waiting: a frame the fast path leaves to the public
        ``publish``, more than :data:`CHUNK_BYTES` of commands, a client not
        connected (or draining, or closed), a pending buffer that would go
        over its limit, nats-py's flusher not running, a transport that is
        not nats-py's TCP one, or one that has not yet sent earlier writes
        (the flusher waits for those to drain; this never writes past them).
        A write that fails leaves the commands in the pending buffer for the
        flusher, which meets the error and handles it as nats-py does.
        """
        nc = self._nc
        if nc.is_closed or nc.is_draining_pubs or not nc.is_connected:
            return None
        flusher = nc._flusher_task
        transport = nc._transport
        writer = getattr(transport, "_io_writer", None)
        if (
            flusher is None
            or flusher.done()
            or type(transport) is not TcpTransport
            or writer is None
            or writer.transport.get_write_buffer_size()
        ):
            return None
        prefixes = self._prefixes
        limit = nc._max_payload
        commands: list[bytes] = []
        size = 0
        payloads = 0
        for item in items:
            data = item[2]
            prefix = None if item[1] else prefixes.get(item[0])
            if prefix is None:
                prefix = self._prefix(item[0], item[1])
            if prefix is None or item[5] is not None or len(data) > limit:
                return None
            command = b"%b%d\r\n%b\r\n" % (prefix, len(data), data)
            commands.append(command)
            size += len(command)
            payloads += len(data)
            if size > CHUNK_BYTES:  # a burst: the task's chunked path, with its forced flushes
                return None
        if 0 < nc._max_pending_size < nc._pending_data_size + size:
            return None
        items.clear()
        count = len(commands)
        pending = nc._pending
        pending.extend(commands)
        nc._pending_data_size += size
        stats = nc.stats
        stats["out_msgs"] += count
        stats["out_bytes"] += payloads
        try:
            transport.writelines(pending)  # type: ignore[no-untyped-call]  # nats-py: not annotated
        except (OSError, RuntimeError):  # the flusher's to meet and handle, as nats-py does
            if nc._flush_queue is not None and nc._flush_queue.empty():
                nc._flush_queue.put_nowait(asyncio.get_running_loop().create_future())
            return count
        nc._pending = []
        nc._pending_data_size = 0
        return count

    def _prefix(self, subject: str, reply: str) -> bytes | None:
        """``b"PUB subject reply "`` if ``publish`` would accept both, else ``None``."""
        if not subject or _INVALID.search(subject) or _INVALID.search(reply):
            return None
        prefix = f"PUB {subject} {reply} ".encode()
        if not reply:
            if len(self._prefixes) >= _PREFIXES:  # answers' subjects are one-offs: start over
                self._prefixes.clear()
            self._prefixes[subject] = prefix
        return prefix
