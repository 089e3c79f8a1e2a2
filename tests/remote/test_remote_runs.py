"""Publishing runs of frames: the fast path into nats-py's buffer agrees with ``publish``.

``actors/remote/_runs.py`` appends a run's ``PUB`` commands to the client's
pending buffer itself (nats-py's private attributes, on checked versions
only). These tests pin that it appends exactly what the public ``publish``
appends, frame for frame, and reports the same failures in the same order;
and that a node works, in order, on either path and either backend.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Coroutine
from typing import Any, cast

import nats
import nats.errors
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nats.aio.transport import TcpTransport

from actors.remote import Address, _runs
from actors.remote._runs import RunPublisher, publish_each, run_publisher
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import WAIT, Ping, nodes

Item = tuple[str, str, bytes, Any, object, dict[str, str] | None]

_subjects = st.sampled_from(
    ["app.a.user.sink", "app.a.user.other", "app.r.42", "bad subject", "bad\r\nPUB x", ""]
)
_frames = st.tuples(
    _subjects,
    st.sampled_from(["", "_INBOX.reply", "bad reply"]),
    # The client's max_payload is made 64 below: at, and over, the server's limit.
    st.binary(max_size=20) | st.sampled_from([b"x" * 64, b"x" * 65, b"x" * 100]),
    st.none(),
    st.none(),
    st.sampled_from([None, {"Anyactors-Trace-traceparent": "00-abc"}, {"bad key": "v"}]),
)


def _now(awaitable: Awaitable[int]) -> int:
    """Run a publish to its end at once: neither path may wait here (no flush is forced)."""
    coroutine = cast(Coroutine[Any, Any, int], awaitable)
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: int = done.value
        return result
    coroutine.close()
    raise AssertionError("publishing a run waited for the event loop")


def _publish(nc: Any, fast: bool, frames: list[Item]) -> tuple[bytes, int, list[Any], int, int]:
    """What one path appends to the pending buffer, its count, failures and stats' growth."""
    failures: list[Any] = []
    nc._pending = []
    nc._pending_data_size = 0
    messages, size = nc.stats["out_msgs"], nc.stats["out_bytes"]
    publish_run = run_publisher(nc, nats.errors.Error, fast=fast)
    items: deque[Item] = deque(frames)
    count = 0
    while items:
        count += _now(publish_run(items, lambda item, error: failures.append((item, type(error)))))
    appended = b"".join(nc._pending)
    assert len(appended) == nc._pending_data_size
    grown = (nc.stats["out_msgs"] - messages, nc.stats["out_bytes"] - size)
    return appended, count, failures, *grown


async def _publish_all(nc: Any, fast: bool, frames: list[Item]) -> list[tuple[Item, Exception]]:
    """Publish ``frames`` by one path; the failures, in order."""
    failed: list[tuple[Item, Exception]] = []

    def record(item: Item, error: Exception) -> None:
        failed.append((item, error))

    items: deque[Item] = deque(frames)
    publish_run = run_publisher(nc, nats.errors.Error, fast=fast)
    while items:
        await publish_run(items, record)
    return failed


def test_the_fast_path_is_taken_only_on_checked_versions(
    nats_server: NatsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> None:
        nc = await nats.connect(nats_server.url)
        try:
            assert isinstance(run_publisher(nc, nats.errors.Error), RunPublisher)
            monkeypatch.setattr(_runs, "CHECKED", frozenset())
            assert not isinstance(run_publisher(nc, nats.errors.Error), RunPublisher)
        finally:
            await nc.close()
        # A client without the attributes it needs: the public path, whatever the version.
        monkeypatch.setattr(_runs, "CHECKED", frozenset({_runs.nats_py_version()}))
        assert not isinstance(run_publisher(object(), nats.errors.Error), RunPublisher)

    asyncio.run(main())


def test_a_run_appends_what_publish_appends_frame_for_frame(
    nats_server: NatsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_runs, "CHUNK_BYTES", 120)  # several chunks in one run

    async def main() -> None:
        nc = await nats.connect(nats_server.url)
        real_limit = nc._max_payload
        nc._max_payload = 64

        @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.lists(_frames, max_size=30))
        def agree(frames: list[Item]) -> None:
            public = _publish(nc, False, frames)
            fast = _publish(nc, True, frames)
            assert fast == public
            assert public[1] == len(frames)  # every frame taken, each once

        try:
            agree()
        finally:
            nc._pending, nc._pending_data_size = [], 0
            nc._max_payload = real_limit
        await nc.close()
        # A closed client: every frame fails as ``publish`` fails, in order, on both paths.
        frames: list[Item] = [
            ("app.a.x", "", b"1", None, None, None),
            ("app.a.y", "", b"2", None, None, None),
        ]
        for fast in (False, True):
            failed = await _publish_all(nc, fast, frames)
            assert [item for item, _ in failed] == frames
            assert all(isinstance(e, nats.errors.ConnectionClosedError) for _, e in failed)

    asyncio.run(main())


@pytest.mark.anyio
async def test_publish_each_reports_failures_and_keeps_going() -> None:
    class Refusing:
        def __init__(self) -> None:
            self.published: list[str] = []

        async def publish(self, subject: str, data: bytes, **_: Any) -> None:
            if subject == "bad":
                raise nats.errors.BadSubjectError
            self.published.append(subject)

    failed: list[Any] = []
    items: deque[Item] = deque(
        (subject, "", b"", None, None, None) for subject in ("one", "bad", "two")
    )
    client = Refusing()
    count = await publish_each(client, items, lambda item, _: failed.append(item[0]), Exception)
    assert (count, failed, client.published) == (3, ["bad"], ["one", "two"])


@pytest.mark.anyio
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "public"])
async def test_a_node_tells_and_asks_in_order_on_either_path(
    nats_server: NatsServer, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not fast:
        monkeypatch.setattr(_runs, "CHECKED", frozenset())
    async with nodes(nats_server.url, "a", "b") as [(system_a, _), (_, node_b)]:
        inbox = Inbox()
        system_a.spawn(Recorder, inbox, name="sink")
        sink = node_b.ref_at(Address("a", "/user/sink"))
        for number in range(300):
            sink.tell(Ping(number))
        assert await sink.ask(Ping(300), timeout=WAIT) == Ping(300)
        received = await inbox.wait_for(301)
        assert received == [Ping(number) for number in range(301)]


def _publish_now(nc: Any, frames: list[Item]) -> tuple[int | None, list[Item], bytes, int, int]:
    """``publish_now`` on ``frames``: its count, what it left, what it wrote, the stats' growth."""
    nc._pending = []
    nc._pending_data_size = 0
    messages, size = nc.stats["out_msgs"], nc.stats["out_bytes"]
    items: deque[Item] = deque(frames)
    publisher = run_publisher(nc, nats.errors.Error)
    assert isinstance(publisher, RunPublisher)
    count = publisher.publish_now(items)
    recorded: list[bytes] = getattr(nc._transport, "written", [])
    written = b"".join(recorded)
    recorded.clear()
    grown = (nc.stats["out_msgs"] - messages, nc.stats["out_bytes"] - size)
    return count, list(items), written, *grown


class _Recording(TcpTransport):
    """nats-py's TCP transport, its writes recorded instead of sent (the frames are arbitrary)."""

    def __init__(self, real: TcpTransport) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # nats-py: not annotated
        self.__dict__.update(real.__dict__)  # its reader and writer: the client keeps reading
        self.written: list[bytes] = []

    def writelines(self, payload: list[bytes]) -> None:
        self.written.extend(payload)


def test_publishing_at_once_writes_what_publish_appends_or_takes_nothing(
    nats_server: NatsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_runs, "CHUNK_BYTES", 400)  # a long run is left to the task

    async def main() -> None:
        nc: Any = await nats.connect(nats_server.url)
        real_limit, real_transport = nc._max_payload, nc._transport
        nc._max_payload = 64
        nc._transport = _Recording(real_transport)
        monkeypatch.setattr(_runs, "TcpTransport", _Recording)

        @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.lists(_frames, max_size=12))
        def agree(frames: list[Item]) -> None:
            public, _, failures, *grown = _publish(nc, False, frames)
            now, left, written, *now_grown = _publish_now(nc, frames)
            if now is None:  # nothing taken, nothing written, nothing counted
                assert (left, written, now_grown) == (frames, b"", [0, 0])
            else:  # all of it, exactly as ``publish`` appends it, and the buffer written
                assert (now, left, failures) == (len(frames), [], [])
                assert (written, now_grown) == (public, grown)
                assert (nc._pending, nc._pending_data_size) == ([], 0)
            plain = [frame for frame in frames if frame[0].startswith("app.") and not frame[5]]
            plain = [frame for frame in plain if len(frame[2]) <= 64 and " " not in frame[1]]
            if frames == plain and len(public) <= 400:
                assert now == len(frames)  # nothing there needs waiting: taken at once

        try:
            agree()
            plain: list[Item] = [("app.a.x", "", b"1", None, None, None)]
            # Anything that would wait is left to the task: a socket that has not taken
            # earlier writes, a flusher that has ended, a closed client.
            writer = real_transport._io_writer
            monkeypatch.setattr(writer.transport, "get_write_buffer_size", lambda: 1)
            assert _publish_now(nc, plain)[:2] == (None, plain)
            monkeypatch.undo()
            monkeypatch.setattr(_runs, "TcpTransport", _Recording)
            flusher = nc._flusher_task
            nc._flusher_task = None
            assert _publish_now(nc, plain)[:2] == (None, plain)
            nc._flusher_task = flusher
            assert _publish_now(nc, plain)[:2] == (1, [])
        finally:
            nc._pending, nc._pending_data_size = [], 0
            nc._max_payload, nc._transport = real_limit, real_transport
        await nc.close()
        assert _publish_now(nc, plain)[:2] == (None, plain)

    asyncio.run(main())
