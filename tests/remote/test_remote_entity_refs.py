"""Entity refs inside messages between nodes: they travel as (type, id), never as a path."""

from __future__ import annotations

import pytest

from actors import DeadLetter
from actors.remote import Address
from actors.sharding import EntityRef
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import WAIT, Echoer, Ping, ReplyTo, nodes
from tests.sharding.entities import Counter

pytestmark = pytest.mark.anyio


async def test_an_entity_ref_arrives_as_the_receivers_entity_ref(nats_server: NatsServer) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, _), (system_b, node_b)]:
        inbox_a = Inbox()
        await system_a.start_sharding("counter", Counter, inbox_a, shards=8)
        await system_b.start_sharding("counter", Counter, Inbox(), shards=8)
        system_a.spawn(Echoer, name="echo")
        echo = node_b.ref_at(Address("a", "/user/echo"))
        ada = system_b.entity("counter", "a/da")
        # There and back: it comes home equal to the local entity ref, not a remote address.
        back = await echo.ask(ada, timeout=WAIT)
        assert isinstance(back, EntityRef)
        assert back == ada
        # On node a it is a's entity ref: telling it activates the entity there.
        await echo.ask(ReplyTo(ada, 7), timeout=WAIT)
        assert await inbox_a.wait_for(1) == [("a/da", Ping(7))]


async def test_an_entity_ref_of_a_type_unknown_to_the_receiver_is_a_dead_letter(
    nats_server: NatsServer,
) -> None:
    async with nodes(nats_server.url, "a", "b") as [(system_a, _), (system_b, node_b)]:
        await system_b.start_sharding("counter", Counter, Inbox(), shards=8)
        letters = Inbox()
        system_a.event_stream.subscribe(system_a.spawn(Recorder, letters), DeadLetter)
        system_a.spawn(Echoer, name="echo")
        echo = node_b.ref_at(Address("a", "/user/echo"))
        echo.tell(ReplyTo(system_b.entity("counter", "ada"), 1))
        [letter] = await letters.wait_for(1)
        assert "entity ref counter/ada: no sharding region for entity type 'counter'" in (
            letter.reason
        )
