"""Receiving runs: the parser hook receives exactly what nats-py's public path receives.

``actors/remote/_receiving.py`` slices the node's subscription's messages out
of each read chunk itself (nats-py's private attributes, on checked versions
only). These tests feed the same protocol bytes, cut into the same random read
chunks, to nats-py's own parser and to the hook, and pin that the
subscription receives the same messages in the same order (subject, reply,
payload, headers), that other subscriptions receive theirs, that statistics,
pending counters and slow-consumer errors agree, and that hostile bytes fail
the same way; and that a node tells and asks in order on either path, on
either backend.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import anyio
import nats
import nats.errors
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nats.aio.client import Client
from nats.aio.subscription import Subscription

from actors import DeadLetter
from actors.remote import Address, RawMessage, _receiving
from actors.remote._receiving import RunReceiver, receive_runs
from actors.remote._wire import MESSAGE
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import WAIT, Ping, nodes

OURS, OTHER = 1, 2

_payloads = st.binary(max_size=40) | st.sampled_from([b"MSG x 1 3\r\n", b"\r\n\r\n", b"x" * 300])
_subjects = st.sampled_from(["app.a.user.sink", "app.r.7", "app.c.watch"])
_replies = st.sampled_from(["", "_INBOX.abc", "123"])
_headers = st.dictionaries(
    st.sampled_from(["Anyactors-Trace-traceparent", "X-Key"]),
    st.sampled_from(["00-abc", "v"]),
    min_size=1,
)
_operations = st.one_of(
    st.tuples(st.just("MSG"), _subjects, _replies, _payloads, st.sampled_from([OURS, OTHER])),
    st.tuples(
        st.just("HMSG"), _subjects, _replies, _payloads, st.sampled_from([OURS, OTHER]), _headers
    ),
    # What nats-server does not write but nats-py's parser takes: its own path.
    st.tuples(st.just("SPACED"), _subjects, _replies, _payloads),
    st.tuples(st.just("SID01"), _subjects, _payloads),
    st.sampled_from([("OK",), ("PONG",)]),
)
#: Bytes after which both parsers must fail alike (nats-py: ProtocolError).
_hostile = st.sampled_from(
    [b"", b"FOO\r\n", b"MSG app.a.x 1 abc\r\n", b"MSG app.a.x\r\n", b"MSG app.a.x abc 1\r\nx\r\n"]
)


def _encode(operation: tuple[Any, ...]) -> bytes:
    kind = operation[0]
    if kind == "MSG":
        _, subject, reply, data, sid = operation
        middle = f"{subject} {sid} {reply + ' ' if reply else ''}".encode()
        return b"MSG %b%d\r\n%b\r\n" % (middle, len(data), data)
    if kind == "HMSG":
        _, subject, reply, data, sid, headers = operation
        block = "NATS/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        head = block.encode()
        middle = f"{subject} {sid} {reply + ' ' if reply else ''}".encode()
        total = len(head) + len(data)
        return b"HMSG %b%d %d\r\n%b%b\r\n" % (middle, len(head), total, head, data)
    if kind == "SPACED":
        _, subject, reply, data = operation
        middle = f"{subject}  {OURS}  {reply + '  ' if reply else ''}".encode()
        return b"MSG  %b%d\r\n%b\r\n" % (middle, len(data), data)
    if kind == "SID01":
        _, subject, data = operation
        return b"MSG %b 0%d %d\r\n%b\r\n" % (subject.encode(), OURS, len(data), data)
    return b"+OK\r\n" if kind == "OK" else b"PONG\r\n"


def _chunks(stream: bytes, cuts: list[int]) -> list[bytes]:
    chunks, position = [], 0
    for cut in cuts:
        if position >= len(stream):
            break
        chunks.append(stream[position : position + cut])
        position += cut
    return [*chunks, stream[position:]]


async def _receive(chunks: list[bytes], fast: bool, messages: int, size: int) -> tuple[Any, ...]:
    """What one path does with ``chunks``: deliveries, other deliveries, errors, counters."""
    nc = Client()
    errors: list[tuple[str, str, str, int]] = []

    async def error_cb(error: Exception) -> None:
        assert isinstance(error, nats.errors.SlowConsumerError)
        errors.append((type(error).__name__, error.subject, error.reply, error.sid))

    async def ignore(_: Any) -> None:
        raise AssertionError("the subscriptions' tasks are not started here")

    nc._error_cb = error_cb
    ours = Subscription(
        nc, OURS, "app.>", cb=ignore, pending_msgs_limit=messages, pending_bytes_limit=size
    )
    other = Subscription(nc, OTHER, "other", cb=ignore)
    nc._subs.update({OURS: ours, OTHER: other})
    nc._pongs.append(asyncio.get_running_loop().create_future())  # for a PONG
    delivered: list[tuple[str, str, bytes, Any]] = []
    if fast:

        def deliver(run: list[_receiving.Arrival]) -> None:
            delivered.extend((s.decode(), r.decode(), d, h) for s, r, d, h in run)

        receiver = receive_runs(nc, ours, deliver, fast=True)
        assert isinstance(receiver, RunReceiver)
    failure = None
    try:
        for chunk in chunks:  # no chunk waits: the run is delivered after the last one
            await nc._ps.parse(chunk)
    except nats.errors.Error as error:
        failure = type(error)
    await asyncio.sleep(0)  # the run's delivery (scheduled with call_soon)
    while not ours._pending_queue.empty():  # the public path: what the task would take
        msg = ours._pending_queue.get_nowait()
        ours._pending_size -= len(msg.data)
        delivered.append((msg.subject, msg.reply, msg.data, msg.headers))
    others = []
    while not other._pending_queue.empty():
        msg = other._pending_queue.get_nowait()
        others.append((msg.subject, msg.reply, msg.data, msg.headers))
    counters = (dict(nc.stats), ours._received, ours._pending_size, other._pending_size)
    # After a protocol error the parser's leftover is never read (the client reconnects,
    # which resets the parser, or closes), so it is compared only when there was none.
    left = (bytes(nc._ps.buf), nc._ps.state) if failure is None else None
    return delivered, others, errors, counters, failure, left


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(_operations, max_size=25),
    _hostile,
    st.lists(st.integers(1, 120), max_size=40),
    st.integers(0, 12),
    st.sampled_from([0, 200, 100_000]),
)
def test_runs_receive_exactly_what_the_public_path_receives(
    operations: list[tuple[Any, ...]], hostile: bytes, cuts: list[int], messages: int, size: int
) -> None:
    stream = b"".join(_encode(operation) for operation in operations) + hostile
    chunks = _chunks(stream, cuts)
    public = asyncio.run(_receive(chunks, False, messages, size))
    fast = asyncio.run(_receive(chunks, True, messages, size))
    assert fast == public
    if not hostile and not messages and not size:  # no limits: every message of ours, in order
        ours = [op for op in operations if op[0] in ("SPACED", "SID01") or op[-1] == OURS]
        ours += [op for op in operations if op[0] == "HMSG" and op[4] == OURS]
        assert len(fast[0]) == len(ours)


def test_a_large_message_over_many_reads_is_received_whole() -> None:
    data = bytes(range(256)) * 1000  # 256 kB: over LEFTOVER_BYTES, nats-py's parser finishes it
    stream = b"".join(
        _encode(("MSG", "app.a.user.sink", "", payload, OURS)) for payload in (b"a", data, b"b")
    )
    chunks = _chunks(stream, [32768] * 10)
    public = asyncio.run(_receive(chunks, False, 0, 0))
    fast = asyncio.run(_receive(chunks, True, 0, 0))
    assert fast == public
    assert [item[2] for item in fast[0]] == [b"a", data, b"b"]


@pytest.mark.parametrize("fast", [True, False], ids=["runs", "public"])
def test_nothing_is_delivered_once_unsubscribed(fast: bool) -> None:
    def frames(*payloads: bytes) -> bytes:
        return b"".join(_encode(("MSG", "app.a.user.sink", "", p, OURS)) for p in payloads)

    async def main() -> tuple[list[bytes], int]:
        nc = Client()
        nc._flush_queue = asyncio.Queue()  # what ``unsubscribe`` needs of an unconnected client
        delivered: list[bytes] = []

        async def on_message(msg: Any) -> None:
            delivered.append(msg.data)

        subscription = Subscription(nc, OURS, "app.>", cb=on_message)
        nc._subs[OURS] = subscription
        if fast:

            def deliver(run: list[_receiving.Arrival]) -> None:
                delivered.extend(arrival[2] for arrival in run)

            assert receive_runs(nc, subscription, deliver, fast=True) is not None
        subscription._start(None)  # type: ignore[no-untyped-call]  # nats-py: not annotated
        await nc._ps.parse(frames(b"1", b"2"))
        await subscription.unsubscribe()  # before the task (or the run) had its turn: dropped
        await nc._ps.parse(frames(b"3"))  # for a subscription that is gone: skipped
        for _ in range(3):
            await asyncio.sleep(0)
        return delivered, nc.stats["in_msgs"]

    assert asyncio.run(main()) == ([], 3)


def test_the_receiver_is_installed_only_on_checked_versions(
    nats_server: NatsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> None:
        nc = await nats.connect(nats_server.url)
        try:
            plain = await nc.subscribe("x", cb=_ignore)
            receiver = receive_runs(nc, plain, _ignore_run)
            assert isinstance(receiver, RunReceiver)
            receiver.uninstall()
            assert "parse" not in nc._ps.__dict__
            assert "_process_msg" not in nc.__dict__
            monkeypatch.setattr(_receiving, "CHECKED", frozenset())
            assert receive_runs(nc, plain, _ignore_run) is None
            monkeypatch.undo()
            # A subscription without the attributes it needs: the public path.
            assert receive_runs(nc, object(), _ignore_run) is None
            # A request's one-off subscription (a future, not a callback): never.
            future_sub = Subscription(
                nc, 99, "y", future=asyncio.get_running_loop().create_future()
            )
            assert receive_runs(nc, future_sub, _ignore_run) is None
        finally:
            await nc.close()

    asyncio.run(main())


async def _ignore(_: Any) -> None:
    return None


def _ignore_run(_: Any) -> None:
    return None


# -- a node on either path -------------------------------------------------------


def _path(fast: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not fast:
        monkeypatch.setattr(_receiving, "CHECKED", frozenset())


@pytest.mark.anyio
@pytest.mark.parametrize("fast", [True, False], ids=["runs", "public"])
async def test_a_node_delivers_interleaved_tells_and_asks_in_order_on_either_path(
    nats_server: NatsServer, fast: bool, monkeypatch: pytest.MonkeyPatch, anyio_backend: str
) -> None:
    _path(fast, monkeypatch)
    async with nodes(nats_server.url, "a", "b") as [(system_a, node_a), (_, node_b)]:
        assert (node_a._receiver is not None) == fast
        inbox = Inbox()
        system_a.spawn(Recorder, inbox, name="sink")
        sink = node_b.ref_at(Address("a", "/user/sink"))
        answers: dict[int, object] = {}

        async def ask(number: int) -> None:
            answers[number] = await sink.ask(Ping(number), timeout=WAIT)

        chance = random.Random(16)  # asks alone, in runs, and between tells
        pattern = [chance.random() < 0.3 for _ in range(300)]
        asked = [number for number, is_ask in enumerate(pattern) if is_ask]
        async with anyio.create_task_group() as task_group:
            for number, is_ask in enumerate(pattern):
                if is_ask:
                    task_group.start_soon(ask, number)
                    await anyio.lowlevel.checkpoint()  # its request is sent before what follows
                else:
                    sink.tell(Ping(number))
        received = [ping.number for ping in await inbox.wait_for(len(pattern))]
        told = [number for number in received if not pattern[number]]
        assert sorted(received) == list(range(len(pattern)))  # none lost, none twice
        assert told == sorted(told)  # FIFO per sender (the telling task)
        if anyio_backend == "asyncio":  # there an ask's first step sends its request
            assert received == list(range(len(pattern)))
        assert answers == {number: Ping(number) for number in asked}


@pytest.mark.anyio
@pytest.mark.parametrize("fast", [True, False], ids=["runs", "public"])
async def test_the_node_subscription_drops_over_its_pending_limit_as_dead_letters(
    nats_server: NatsServer, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    _path(fast, monkeypatch)
    sent = 2000
    async with (
        nodes(nats_server.url, "a", pending_messages=4) as [(system_a, _)],
        nodes(nats_server.url, "b") as [(_, node_b)],
    ):
        outcomes = Inbox()
        system_a.event_stream.subscribe(system_a.spawn(Recorder, outcomes), DeadLetter)
        system_a.spawn(Recorder, outcomes, name="sink")
        sink = node_b.ref_at(Address("a", "/user/sink"))
        for number in range(sent):
            sink.tell(Ping(number))
        seen = await outcomes.wait_for(sent)  # each handled once or dead-lettered, none lost
        handled = [item.number for item in seen if isinstance(item, Ping)]
        letters = [item for item in seen if isinstance(item, DeadLetter)]
        assert len(handled) + len(letters) == sent
        assert handled == sorted(set(handled))  # in order, none twice
        assert {letter.reason for letter in letters} <= {
            "slow consumer: the NATS client dropped it (pending limits reached)"
        }


@pytest.mark.anyio
async def test_a_run_with_hostile_arrivals_dead_letters_them_and_routes_the_rest(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a") as [(system, node)]:
        inbox = Inbox()
        system.spawn(Recorder, inbox, name="sink")
        subject = node.subjects.actor(Address("a", "/user/sink")).encode()
        frame = node.codec.encode(MESSAGE, Ping(1))
        node.inbound.route_run(
            [
                (b"\xff\xfe not utf-8", b"", frame, None),  # nats-py's Msg would raise here
                (subject, b"", b"\x93garbage", None),  # undecodable
                (subject + b".gone", b"", frame, None),  # no actor there
                (subject, b"", frame, None),
            ]
        )
        assert await inbox.wait_for(1) == [Ping(1)]
        assert system.dead_letters[RawMessage] == 2  # the frames that could not be read
        assert system.dead_letters[Ping] == 1  # the message whose recipient is not there
        assert await node.ref_at(Address("a", "/user/sink")).ask(Ping(2), timeout=WAIT) == Ping(2)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(["tell", "ask", "hostile"]), min_size=1, max_size=40))
def test_one_run_of_tells_asks_and_hostile_frames_is_routed_in_order(
    nats_server: NatsServer, backend: str, kinds: list[str]
) -> None:
    """On trio the run is routed as it is once it has crossed (``route_run_hosted``)."""

    async def example() -> None:
        async with nodes(nats_server.url, "a") as [(system, node)]:
            inbox = Inbox()
            system.spawn(Recorder, inbox, name="sink")
            subject = node.subjects.actor(Address("a", "/user/sink")).encode()
            run: list[_receiving.Arrival] = []
            for number, kind in enumerate(kinds):
                data = node.codec.encode(MESSAGE, Ping(number))
                reply = b"_INBOX.nobody.%d" % number if kind != "tell" else b""
                run.append((subject, reply, data if kind != "hostile" else data[:-1], None))
            if backend == "asyncio":
                node.inbound.route_run(run)  # asks get their tasks; tells after them wait
            else:
                await node.inbound.route_run_hosted(run)  # asks go straight into the mailbox
            good = [Ping(number) for number, kind in enumerate(kinds) if kind != "hostile"]
            assert await inbox.wait_for(len(good)) == good
            assert system.dead_letters.get(RawMessage, 0) == kinds.count("hostile")

    anyio.run(example, backend=backend)
