"""Issue 18 defect 2: no one can forge a reply to another node's ask.

Reply ids are 128 random bits, bound to one request; and with the permission
setup of docs/distribution.md (a user per node, ``allow_responses``, subject
permissions), a client cannot publish on another node's reply subjects even
when it knows one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest

from actors import Actor, ActorSystem
from actors.remote import Address, NatsCluster, NatsNode, attach_cluster
from actors.remote._wire import REPLY, Frame
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer, start_server, wait_healthy
from tests.remote.remote_helpers import WAIT, Entry, Ping, make_registry, nodes, raw_connect

pytestmark = pytest.mark.anyio

#: A reply frame that says "forged" where the real answer would be.
FORGED = msgspec.msgpack.encode(
    Frame(REPLY, "$plain", msgspec.Raw(msgspec.msgpack.encode("forged")))
)


def node_user(node: str, *, prefix: str = "anyactors", cluster: str = "shop") -> str:
    """The authorization entry of docs/distribution.md for one node (its password: its name)."""
    base = f"{prefix}.{cluster}"
    bucket = f"{prefix}_{cluster}"
    return f"""
    {{ user: {node}, password: {node}, permissions: {{
        publish: [ "{base}.n.*.a.>", "{base}.n.*.c.>", "{base}.p.>", "{base}.d.>",
                   "$JS.API.>", "$JS.ACK.>", "$KV.{bucket}_leases.{node}", "$KV.{bucket}_names.>" ]
        subscribe: [ "{base}.n.{node}.>", "{base}.p.>", "_INBOX.>" ]
        allow_responses: true
    }} }}"""


CLIENT_USER = """
    { user: client, password: client, permissions: {
        publish: [ "anyactors.shop.n.*.a.>" ]
        subscribe: [ "_INBOX.>" ]
    } }"""


@pytest.fixture
def guarded_server(tmp_path: Path) -> Iterator[NatsServer]:
    config = tmp_path / "nats.conf"
    config.write_text(
        "authorization { users = [" + node_user("a") + node_user("b") + CLIENT_USER + "] }\n"
    )
    server = start_server(tmp_path / "js", name="guarded", extra_args=["-c", str(config)])
    wait_healthy([server])
    yield server
    server.stop()


@asynccontextmanager
async def guarded_nodes(url: str) -> AsyncIterator[list[tuple[ActorSystem, NatsNode]]]:
    async with AsyncExitStack() as stack:
        attached = []
        for name in ("a", "b"):
            system = await stack.enter_async_context(ActorSystem("shop", shutdown_timeout=5))
            options = {"user": name, "password": name}
            config = NatsCluster(url, node=name, registry=make_registry(), connect_options=options)
            attached.append(
                (system, await stack.enter_async_context(attach_cluster(system, config)))
            )
        yield attached


class Holding(Actor):
    """Sets ``arrived`` when a message arrives, and answers it once ``release`` is set."""

    def __init__(self, arrived: anyio.Event, release: anyio.Event) -> None:
        self.arrived = arrived
        self.release = release

    async def receive(self, message: Any) -> Any:
        self.arrived.set()
        await self.release.wait()
        return message


async def _wait_pending(node: NatsNode, arrived: anyio.Event) -> str:
    """The reply subject of the one ask ``node`` is waiting for, once its request arrived."""
    with anyio.fail_after(WAIT):
        await arrived.wait()
    [request_id] = node.requests.pending
    return node.subjects.reply(request_id)


async def test_reply_ids_cannot_be_guessed(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, _), (_, node_b)]:
        arrived, release = anyio.Event(), anyio.Event()
        system_a.spawn(Holding, arrived, release, name="parked")
        parked = node_b.ref_at(Address("a", "/user/parked"))
        answers: list[object] = []
        async with anyio.create_task_group() as task_group:

            async def ask() -> None:
                answers.append(await parked.ask(Ping(7), timeout=WAIT))

            task_group.start_soon(ask)
            subject = await _wait_pending(node_b, arrived)
            assert (
                len(subject.rpartition(".")[2]) == 32
            )  # 128 bits in hex, not a counter  # 128 bits in hex, not a counter
            forger = await raw_connect(nats_server.url)
            try:
                for guess in range(100):  # the ids a counter would have used
                    await forger.publish(node_b.subjects.reply(str(guess)), FORGED)
                await forger.flush()
            finally:
                await forger.close()
            await node_b.nc.flush()
            release.set()
        assert answers == [Ping(7)]


async def test_with_node_permissions_a_client_cannot_answer_another_nodes_ask(
    guarded_server: NatsServer,
) -> None:
    async with guarded_nodes(guarded_server.url) as [(system_a, node_a), (system_b, node_b)]:
        arrived, release = anyio.Event(), anyio.Event()
        system_a.spawn(Holding, arrived, release, name="parked")
        parked = node_b.ref_at(Address("a", "/user/parked"))
        answers: list[object] = []
        async with anyio.create_task_group() as task_group:

            async def ask() -> None:
                answers.append(await parked.ask(Ping(7), timeout=WAIT))

            task_group.start_soon(ask)
            subject = await _wait_pending(node_b, arrived)
            denied: list[Exception] = []
            refused = anyio.Event()

            async def record(error: Exception) -> None:
                denied.append(error)
                refused.set()

            # Even knowing the real reply subject, the plain client is refused by the server.
            forger = await raw_connect(
                guarded_server.url, user="client", password="client", error_cb=record
            )
            try:
                await forger.publish(subject, FORGED)
                await forger.flush()
                with anyio.fail_after(WAIT):
                    await refused.wait()
            finally:
                await forger.close()
            assert "permissions violation for publish" in str(denied[0]).lower()
            release.set()
        assert answers == [Ping(7)]
        # Everything else works under the per-node users: names, durable mailboxes, asks.
        inbox = Inbox()
        recorder = system_b.spawn(Recorder, inbox, name="ledger")
        await node_b.register(recorder)
        found = await node_a.find("ledger")
        assert await found.ask(Ping(8), timeout=WAIT) == Ping(8)
        await node_b.serve_durable("ledger", recorder)
        await (await node_a.durable("ledger")).send(Entry(1))
        assert await inbox.wait_for(2) == [Ping(8), Entry(1)]
    violations = [
        line for line in guarded_server.log.read_text().splitlines() if "Violation" in line
    ]
    assert violations
    assert all('"$G/user:client"' in line for line in violations), violations
