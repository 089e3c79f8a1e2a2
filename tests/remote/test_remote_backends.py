"""Issue 18 item 11: the remote layer on both anyio backends.

On trio, nats-py runs on an asyncio loop in a helper thread, one for every
node of the process; these tests pin what that must not change: order per
sender through the crossings, cancellation that returns at once, a burst that
loses nothing, and a thread that ends with the last node.
"""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest
from anyio.abc import TaskStatus

from actors import Actor, MailboxConfig
from actors.remote import Address
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import WAIT, Echo, Echoer, OutOfStock, Parked, Ping, nodes

pytestmark = pytest.mark.anyio

THREAD_NAME = "anyactors nats-py loop"


class Signalling(Parked):
    """A ``Parked`` that sets ``arrived`` when a message reaches its handler."""

    def __init__(self, arrived: anyio.Event, release: anyio.Event) -> None:
        super().__init__(release)
        self.arrived = arrived

    async def receive(self, message: Any) -> Any:
        self.arrived.set()
        return await super().receive(message)


class InOrder(Actor):
    """Counts ``Ping``s that arrive in order (0, 1, 2, ...); sets ``done`` at ``expected``."""

    def __init__(self, expected: int, done: anyio.Event) -> None:
        self.expected = expected
        self.done = done
        self.next = 0

    def receive(self, message: Any) -> Any:
        if isinstance(message, Ping) and message.number == self.next:
            self.next += 1
            if self.next == self.expected:
                self.done.set()
        return self.next


def client_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == THREAD_NAME]


@pytest.mark.parametrize("capacity", [None, 1000], ids=["unbounded", "bounded"])
async def test_a_burst_of_asks_and_tells_from_one_sender_keeps_its_order(
    nats_server: NatsServer, capacity: int | None
) -> None:
    # On trio a request to an unbounded mailbox goes in as it is routed; to a
    # bounded one it takes a task, begun before the next message is routed.
    async with nodes(nats_server.url, "a", "b") as [(system_a, _), (_, node_b)]:
        inbox = Inbox()
        system_a.spawn(Recorder, inbox, name="sink", mailbox=MailboxConfig(capacity=capacity))
        sink = node_b.ref_at(Address("a", "/user/sink"))
        replies: list[Ping] = []

        async def ask(number: int, *, task_status: TaskStatus[None]) -> None:
            task_status.started()  # the request is queued before the starter goes on
            replies.append(await sink.ask(Ping(number), timeout=WAIT))

        async with anyio.create_task_group() as task_group:
            for number in range(300):
                if number % 3 == 0:
                    await task_group.start(ask, number)
                else:
                    sink.tell(Ping(number))
        assert await inbox.wait_for(300) == [Ping(number) for number in range(300)]
        assert sorted(reply.number for reply in replies) == list(range(0, 300, 3))


async def test_cancelled_callers_return_at_once_and_the_node_carries_on(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, node_a), (_, node_b)]:
        arrived, release = anyio.Event(), anyio.Event()
        system_a.spawn(Signalling, arrived, release, name="parked")
        await node_a.register(system_a.spawn(Echoer, name="echo"))
        parked = node_b.ref_at(Address("a", "/user/parked"))
        with anyio.CancelScope() as scope:
            scope.cancel()
            await node_b.find("echo")  # a call on the client's loop, cancelled at its first wait
        assert scope.cancelled_caught
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as task_group:

                async def cancel_when_parked() -> None:
                    await arrived.wait()  # the request is in the handler, its reply owed
                    scope.cancel()

                task_group.start_soon(cancel_when_parked)
                await parked.ask(Ping(1))  # no timeout: only the cancellation ends it
        assert scope.cancelled_caught
        release.set()
        echo = await node_b.find("echo")
        assert await echo.ask(Echo("still here"), timeout=WAIT) == "still here"


async def test_a_burst_of_tells_arrives_whole_and_in_order(nats_server: NatsServer) -> None:
    burst = 50_000  # within the default outbound and pending limits: nothing may be dropped
    async with nodes(nats_server.url, "a", "b") as [(system_a, _), (system_b, node_b)]:
        done = anyio.Event()
        system_a.spawn(InOrder, burst, done, name="in-order")
        ref = node_b.ref_at(Address("a", "/user/in-order"))
        assert await ref.ask("started?", timeout=WAIT) == 0
        for number in range(burst):  # one burst: the sender does not yield
            ref.tell(Ping(number))
        with anyio.fail_after(3 * WAIT):
            await done.wait()
        assert sum(system_b.dead_letters.values()) == 0
        assert sum(system_a.dead_letters.values()) == 0


async def test_many_asks_in_flight_each_get_their_own_answer_or_their_cancellation(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, _), (_, node_b)]:
        release = anyio.Event()
        system_a.spawn(Echoer, name="idle")  # answered as the request arrives
        system_a.spawn(Echoer, name="bounded", mailbox=MailboxConfig(capacity=1000))
        system_a.spawn(Parked, release, name="parked")  # answered by a later turn
        refs = [
            node_b.ref_at(Address("a", f"/user/{name}")) for name in ("idle", "bounded", "parked")
        ]
        answers: dict[int, Any] = {}
        scopes: dict[int, anyio.CancelScope] = {}
        cancelled: list[int] = []

        async def ask(number: int, *, task_status: TaskStatus[None]) -> None:
            with anyio.CancelScope() as scope:
                scopes[number] = scope
                task_status.started()
                answers[number] = await refs[number % 3].ask(Ping(number), timeout=WAIT)
            if scope.cancelled_caught:
                cancelled.append(number)

        async with anyio.create_task_group() as task_group:
            for number in range(300):
                await task_group.start(ask, number)
            doomed = list(range(2, 300, 6))  # half the parked asks, while their requests wait
            for number in doomed:
                scopes[number].cancel()
            release.set()
        assert sorted(cancelled) == doomed
        assert answers == {number: Ping(number) for number in range(300) if number not in doomed}
        assert node_b.requests.pending == {}  # nothing left behind, cancelled or answered
        with pytest.raises(OutOfStock, match=r"^none left$"):
            await refs[0].ask(Echo("none left", error="OutOfStock"), timeout=WAIT)
        assert await refs[0].ask(Echo("still here"), timeout=WAIT) == "still here"


async def test_the_client_thread_ends_with_the_node(
    nats_server: NatsServer, anyio_backend: str
) -> None:
    assert client_threads() == []
    async with nodes(nats_server.url, "a") as [(_, node)]:
        # nats-py gets its own loop and thread on trio only; on asyncio it shares the loop.
        assert len(client_threads()) == (1 if anyio_backend == "trio" else 0)
        loop = node.hosted.loop if node.hosted is not None else None
    assert client_threads() == []  # joined on detach
    if loop is not None:
        assert loop.is_closed()


async def test_the_nodes_of_a_process_share_one_client_thread_until_the_last_leaves(
    nats_server: NatsServer, anyio_backend: str
) -> None:
    assert client_threads() == []
    async with nodes(nats_server.url, "a") as [(system_a, node_a)]:
        system_a.spawn(Echoer, name="echo")
        echo = node_a.ref_at(Address("a", "/user/echo"))
        async with nodes(nats_server.url, "b") as [(_, node_b)]:
            assert len(client_threads()) == (1 if anyio_backend == "trio" else 0)
            owned: list[Any] = []
            if node_a.hosted is not None and node_b.hosted is not None:
                assert node_a.hosted.loop is node_b.hosted.loop
                owned = list(node_b.hosted._client_loop._tasks[node_b.hosted])
                assert owned  # its client's reading and flushing tasks, its publisher
            remote = node_b.ref_at(Address("a", "/user/echo"))
            assert await remote.ask(Echo("from b"), timeout=WAIT) == "from b"
        # b left: its client's tasks ended, a's client (on the same loop) carries on.
        assert all(task.done() for task in owned)
        assert len(client_threads()) == (1 if anyio_backend == "trio" else 0)
        async with nodes(nats_server.url, "c") as [(_, node_c)]:
            remote = node_c.ref_at(Address("a", "/user/echo"))
            assert await remote.ask(Echo("from c"), timeout=WAIT) == "from c"
        assert await echo.ask(Echo("local"), timeout=WAIT) == "local"
    assert client_threads() == []  # the last node out ends the thread
