"""Receiving runs of frames from nats-py: one pass a read chunk, not a task switch a frame.

On its public path (``subscribe(cb=...)``) nats-py, per message, matches the
control line, copies the payload, builds a ``Msg``, queues it, and a task
awaits the callback: on a burst of small ``tell`` frames more than half of a
remote ``tell``'s cost (docs/benchmarks.md, "Remote").

:class:`RunReceiver` takes that work over for one subscription (the node's
wildcard one) on one client:

- its parser scans each read chunk once: a plain ``MSG`` line for the
  subscription (single spaces, as nats-server writes them) and its payload are
  sliced out and appended to the current *run* with no ``Msg``, no queue and
  no await; such a line for another subscription is handed to
  ``_process_msg`` as nats-py's parser hands it; anything else (``PING``,
  ``INFO``, ``-ERR``, ``HMSG``, a line it does not recognise) is handed, one
  protocol operation at a time and in its place, to nats-py's own parser;
- ``Client._process_msg`` is wrapped, so a message of the subscription that
  nats-py's parser handles (one with headers, say) joins the same run, in its
  place; every other subscription's messages go to nats-py's unchanged;
- the first arrival of a run schedules one callback (``loop.call_soon``) that
  hands the whole run to ``deliver``, as the subscription's task would have
  taken the queue's messages after the read loop yielded; on trio the run
  crosses to the trio thread (see ``_crossing``) at the end of the read that
  brought it instead.

What ``_process_msg`` does for such a message is done the same way: the
``in_msgs``/``in_bytes`` statistics and the received count, a subscription
that is gone skipped, the pending limits (messages and bytes not yet
delivered, on trio not yet routed) enforced with the same
``SlowConsumerError`` to the client's error callback, and nothing delivered
once unsubscribed or closed (nats-py then cancels its task, drops its queue).

That needs nats-py's private attributes (the parser ``_ps``, its ``buf`` and
``state``, ``_process_msg``, ``_subs``, the subscription's counters...), so
it is installed only on the nats-py versions it was checked against
(:data:`actors.remote._runs.CHECKED`) and objects that have all of them
(:func:`receive_runs`); otherwise the public callback path stays.
docs/design.md ("Receiving runs from nats-py") says why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import nats.errors
from nats.protocol import parser as nats_parser

from ._protocol import end_of_operation, match_msg_line, sid_of
from ._runs import CHECKED, nats_py_version

if TYPE_CHECKING:
    from ._crossing import Held

#: One arrival: subject and reply subject as on the wire, the payload, and the
#: headers as nats-py parses them (``None`` when it had none).
Arrival = tuple[bytes, bytes, bytes, "dict[str, str] | None"]
#: Hands one run of arrivals, in order, to the node.
Deliver = Callable[[list[Arrival]], None]

#: The attributes of a nats-py client that the receiver reads, wraps or replaces.
_CLIENT_ATTRIBUTES = (
    "_ps",
    "_subs",
    "_process_msg",
    "_process_headers",
    "_error_cb",
    "_build_message",
    "stats",
    "is_closed",
)
#: The attributes of nats-py's parser that the receiver reads or writes.
_PARSER_ATTRIBUTES = ("buf", "state", "parse", "reset")
#: The attributes of the subscription (``_jsi`` and ``_future`` must be ``None``).
_SUBSCRIPTION_ATTRIBUTES = (
    "_id",
    "_received",
    "_max_msgs",
    "_pending_size",
    "_pending_bytes_limit",
    "_pending_msgs_limit",
    "_pending_queue",
    "_jsi",
    "_future",
    "_closed",
)
_CONTROL_LINE = nats_parser.AWAITING_CONTROL_LINE
#: A read's leftover (an operation not yet complete) above which nats-py's parser takes
#: over until it is: each read copies the buffer once, so a large message arriving over
#: many reads is not copied again and again.
LEFTOVER_BYTES = 64 * 1024


def receive_runs(
    nc: Any,
    subscription: Any,
    deliver: Deliver,
    *,
    fast: bool | None = None,
    crossing: Held | None = None,
) -> RunReceiver | None:
    """Install a :class:`RunReceiver` for ``subscription`` on ``nc`` if this nats-py allows it.

    Must be called on ``nc``'s event loop, right after ``subscribe`` returned
    (messages already queued for the subscription's callback are taken over,
    in order). Returns ``None`` (the public callback path stays) unless the
    installed nats-py is a checked version and the client, its parser and the
    subscription have every attribute the receiver needs.

    Args:
        nc: the connected nats-py client (its asyncio side).
        subscription: a callback subscription of ``nc`` (not JetStream).
        deliver: called with each run of the subscription's arrivals, in order.
        fast: force one path (tests); ``None`` decides by version and attributes.
        crossing: on trio, where runs go instead of ``deliver``: to the trio
            thread, counted against the pending limits until routed (``_crossing``).
    """
    if fast is None:
        parser = getattr(nc, "_ps", None)
        fast = (
            nats_py_version() in CHECKED
            and all(hasattr(nc, name) for name in _CLIENT_ATTRIBUTES)
            and all(hasattr(parser, name) for name in _PARSER_ATTRIBUTES)
            and all(hasattr(subscription, name) for name in _SUBSCRIPTION_ATTRIBUTES)
            and subscription._jsi is None
            and subscription._future is None
        )
    if not fast:
        return None
    receiver = RunReceiver(nc, subscription, deliver, crossing)
    receiver.install()
    return receiver


class RunReceiver:
    """Collects one subscription's messages from a nats-py client into runs, and delivers them."""

    def __init__(
        self, nc: Any, subscription: Any, deliver: Deliver, crossing: Held | None = None
    ) -> None:
        self._nc = nc
        self._crossing = crossing
        self._subscription = subscription
        self._deliver = deliver
        self._sid: int = subscription._id
        self._sid_bytes = str(self._sid).encode()
        self._parser = nc._ps
        self._general_parse = nc._ps.parse  # nats-py's own, bound
        self._general_process = nc._process_msg
        self._loop = asyncio.get_running_loop()
        #: Arrivals not yet delivered (the subscription's pending messages).
        self._run: list[Arrival] = []

    def install(self) -> None:
        """Take the subscription's messages over from nats-py's queue and task."""
        queue = self._subscription._pending_queue
        while not queue.empty():  # arrived before now: they go first, in order
            msg = queue.get_nowait()
            queue.task_done()
            reply = msg.reply.encode()
            self._append((msg.subject.encode(), reply, msg.data, msg.headers))
        self._parser.parse = self._parse
        self._nc._process_msg = self._process_msg

    def uninstall(self) -> None:
        """Give parsing back to nats-py (the client is closing or closed)."""
        if self._parser.__dict__.get("parse") == self._parse:
            del self._parser.parse
        if self._nc.__dict__.get("_process_msg") == self._process_msg:
            del self._nc._process_msg

    # -- collecting -------------------------------------------------------

    def _append(self, arrival: Arrival) -> None:
        run = self._run
        if not run:
            self._loop.call_soon(self._flush)
        run.append(arrival)

    async def _parse(self, data: bytes = b"") -> None:
        """nats-py's ``Parser.parse``: this subscription's plain ``MSG``s straight into the run.

        On trio the run crosses at the end of the read that brought it, not
        in a callback a turn of the loop later: that turn would come before
        the next read anyway, and it is one more pass, with its GIL
        hand-overs, before a lone request or reply reaches the trio thread.
        """
        await self._scan(data)
        if self._run and self._crossing is not None:
            self._flush()

    # One function on purpose: the per-message loop pays no call it can avoid.
    async def _scan(self, data: bytes) -> None:  # noqa: PLR0915
        """Scan one read (see :meth:`_parse`)."""
        parser = self._parser
        subscription = self._subscription
        if (
            parser.state != _CONTROL_LINE
            or len(parser.buf) > LEFTOVER_BYTES
            or self._nc._subs.get(self._sid) is not subscription
            or subscription._max_msgs
        ):  # mid-payload, a large leftover, gone, auto-unsubscribing: nats-py's parser
            await self._general_parse(data)
            return
        buf = parser.buf
        buf.extend(data)
        view = bytes(buf)  # one copy a read, then slices of it
        end = len(view)
        position = 0
        run = self._run
        sid = self._sid_bytes
        messages_limit = subscription._pending_msgs_limit
        bytes_limit = subscription._pending_bytes_limit
        count = 0
        size = 0
        crossing = self._crossing
        held, held_bytes = self._held()  # on trio: runs crossed, not yet routed
        # The per-message loop: one match, one slice and one append, no await. After
        # anything that awaits, the run may have been delivered (a new one begins), and
        # ``_resume`` says whether to go on.
        while position < end:
            match = match_msg_line(view, position)
            if match is None:
                operation_end = end_of_operation(view, position)
                if operation_end is None:
                    break  # incomplete: it waits in the buffer for the next read
                self._count(count, size)
                count = size = 0
                if not await self._one_operation(view, position, operation_end):
                    return
                run = self._run
                held, held_bytes = self._held()
                position = operation_end
                continue
            start = match.end()
            stop = start + int(match[4])
            if match[2] != sid:  # another subscription's: as nats-py's parser hands it on
                self._count(count, size)
                count = size = 0
                other = sid_of(match[2])  # a bad one fails as soon as its line is here
                if stop + 2 > end:
                    break  # the payload's rest comes with the next read
                position = stop + 2
                await self._process_msg(other, match[1], match[3] or b"", view[start:stop], None)
                if not await self._resume(buf, view, position):
                    return
                run = self._run
                held, held_bytes = self._held()
                continue
            if stop + 2 > end:
                break  # the payload's rest comes with the next read
            payload_size = stop - start
            count += 1
            size += payload_size
            subscription._pending_size += payload_size
            position = stop + 2
            if (0 < bytes_limit <= subscription._pending_size + held_bytes) or (
                0 < messages_limit <= len(run) + held
            ):
                subscription._pending_size -= payload_size
                self._count(count, size)
                count = size = 0
                await self._slow_consumer(match[1], match[3] or b"")
                if not await self._resume(buf, view, position):
                    return
                run = self._run
                held, held_bytes = self._held()
                continue
            if not run and crossing is None:  # on trio the read's end hands it over
                self._loop.call_soon(self._flush)
            run.append((match[1], match[3] or b"", view[start:stop], None))
        self._count(count, size)
        del buf[:position]

    async def _resume(self, buf: bytearray, view: bytes, position: int) -> bool:
        """After an await in the scan: whether it goes on at ``position``.

        If not, the rest of ``view`` has been dealt with: dropped after a reset
        of the parser (a reconnect; nats-py's parser drops it too), or handed to
        nats-py's parser when the subscription is now gone or auto-unsubscribing.
        """
        if self._parser.buf is not buf:
            return False
        subscription = self._subscription
        if self._nc._subs.get(self._sid) is subscription and not subscription._max_msgs:
            return True
        del buf[:]
        buf.extend(view[position:])
        await self._general_parse()
        return False

    async def _one_operation(self, view: bytes, position: int, end: int) -> bool:
        """Hand ``view[position:end]``, one protocol operation, to nats-py's parser.

        It gets a buffer of its own for it, so it handles exactly that
        operation, in its place. Returns whether the scan goes on after it (see
        :meth:`_resume`); when the operation was not what its line said, the
        rest of ``view`` is handed to nats-py's parser after it.
        """
        parser = self._parser
        buf = parser.buf
        own = parser.buf = bytearray()
        await self._general_parse(view[position:end])
        if parser.buf is not own:
            return False  # the parser was reset (a reconnect): nats-py drops the rest too
        parser.buf = buf
        if own or parser.state != _CONTROL_LINE:
            del buf[:]
            buf.extend(own)
            buf.extend(view[end:])
            await self._general_parse()
            return False
        return await self._resume(buf, view, end)

    def _held(self) -> tuple[int, int]:
        """Messages and bytes that crossed to trio and are not yet routed (none on asyncio)."""
        crossing = self._crossing
        return (0, 0) if crossing is None else crossing.held()

    def _count(self, count: int, size: int) -> None:
        """What ``_process_msg`` counts for each message, for ``count`` of them."""
        if count:
            stats = self._nc.stats
            stats["in_msgs"] += count
            stats["in_bytes"] += size
            self._subscription._received += count

    async def _slow_consumer(self, subject: bytes, reply: bytes) -> None:
        """A message dropped at the pending limits: reported as nats-py reports it."""
        error = nats.errors.SlowConsumerError(
            subject=subject.decode(errors="replace"),
            reply=reply.decode(errors="replace"),
            sid=self._sid,
            sub=self._subscription,
        )
        await self._nc._error_cb(error)

    async def _process_msg(
        self, sid: int, subject: bytes, reply: bytes, data: bytes, headers: bytes | None
    ) -> None:
        """nats-py's ``Client._process_msg``; this subscription's messages join the run."""
        nc = self._nc
        subscription = nc._subs.get(sid)
        if sid != self._sid or subscription is not self._subscription:
            await self._general_process(sid, subject, reply, data, headers)
            return
        payload_size = len(data)
        stats = nc.stats
        stats["in_msgs"] += 1
        stats["in_bytes"] += payload_size
        subscription._received += 1
        if subscription._max_msgs > 0 and subscription._received >= subscription._max_msgs:
            nc._subs.pop(sid, None)
        parsed = await nc._process_headers(headers)
        subscription._pending_size += payload_size
        bytes_limit = subscription._pending_bytes_limit
        messages_limit = subscription._pending_msgs_limit
        held, held_bytes = self._held()
        if (0 < bytes_limit <= subscription._pending_size + held_bytes) or (
            0 < messages_limit <= len(self._run) + held
        ):
            subscription._pending_size -= payload_size
            await self._slow_consumer(subject, reply)
            return
        self._append((subject, reply, data, parsed))

    # -- delivering -------------------------------------------------------

    def _flush(self) -> None:
        """Hand the run to ``deliver``; dropped, as nats-py drops its queue, once unsubscribed."""
        run, self._run = self._run, []
        if not run:  # handed over already, at the end of a read (on trio)
            return
        subscription = self._subscription
        size = sum(len(arrival[2]) for arrival in run)
        subscription._pending_size -= size
        if subscription._closed or self._nc.is_closed:
            return
        if self._crossing is not None:  # on trio: across, still counted until routed
            self._crossing.hand(run, size)
        else:
            self._deliver(run)
