"""Sharding in one process: activation, routing, refs, passivation, failures, bad input."""

from __future__ import annotations

import re
from typing import Any

import anyio
import pytest

from actors import Actor, ActorSystem
from actors.persistence import InMemoryJournal
from actors.sharding import EntityPassivated, EntityRef, ShardingError, ShardRegion, shard_of
from actors.testing import VirtualTimeLoop
from tests.actors.probe import Inbox, Recorder
from tests.sharding.entities import Counter, Total, registry

pytestmark = pytest.mark.anyio


async def test_concurrent_first_messages_activate_each_entity_once() -> None:
    inbox = Inbox()
    ids = [f"id-{n}" for n in range(10)]
    async with ActorSystem() as system:
        region = await system.start_sharding("counter", Counter, inbox, shards=8)

        async def sender(number: int) -> None:
            for entity_id in ids:
                if number % 2:
                    system.entity("counter", entity_id).tell(number)
                else:
                    await system.entity("counter", entity_id).ask(number)

        async with anyio.create_task_group() as group:
            for number in range(20):
                group.start_soon(sender, number)
        for entity_id in ids:  # one more, behind every tell of every sender
            assert await system.entity("counter", entity_id).ask("last") == 21
        assert region.activations == len(ids)
        assert region.active_entities == frozenset(ids)
        for entity_id in ids:
            handled = [m for e, m in inbox.messages if e == entity_id]
            assert sorted(handled[:-1]) == list(range(20))


async def test_entity_refs_are_values_that_travel_inside_messages() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        region = await system.start_sharding("counter", Counter, inbox)
        ada = system.entity("counter", "ada")
        assert ada == region.entity("ada")
        assert hash(ada) == hash(system.entity("counter", "ada"))
        assert ada != system.entity("counter", "bob")
        assert (ada.type_name, ada.entity_id, ada.path) == (
            "counter",
            "ada",
            "/sharding/counter/ada",
        )
        assert ada.statistics().state == "passivated"

        class Forwarder(Actor):
            def receive(self, message: Any) -> Any:
                target, payload = message
                target.tell(payload)

        system.spawn(Forwarder).tell((ada, "via a message"))
        assert await inbox.wait_for(1) == [("ada", "via a message")]
        assert ada.statistics().messages_handled == 1


async def test_watching_an_entity_ref_is_a_type_error_that_explains() -> None:
    async with ActorSystem() as system:
        await system.start_sharding("counter", Counter, Inbox())

        class Watcher(Actor):
            def receive(self, message: Any) -> Any:
                self.context.watch(message)

        with pytest.raises(TypeError, match=r"^an entity is virtual: .* EntityPassivated"):
            await system.spawn(Watcher).ask(system.entity("counter", "ada"))


async def test_ids_that_are_not_actor_names_are_entities_too() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        await system.start_sharding("counter", Counter, inbox)
        for entity_id in ["a/b", "$x", "with space", "ü"]:
            assert await system.entity("counter", entity_id).ask("hi") == 1
        assert [e for e, _ in inbox.messages] == ["a/b", "$x", "with space", "ü"]


async def test_an_activation_that_stops_itself_is_replaced_on_the_next_message() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        region = await system.start_sharding("counter", Counter, inbox)
        events = Inbox()
        system.event_stream.subscribe(system.spawn(Recorder, events), EntityPassivated)
        ada = system.entity("counter", "ada")
        assert await ada.ask("one") == 1
        await ada.ask("stop yourself")
        [event] = await events.wait_for(1)
        assert (event.reason, event.entity_id) == ("stopped", "ada")
        assert await ada.ask("two") == 1  # a fresh activation
        assert region.activations == 2


async def test_a_failing_entity_raises_to_its_asker_and_keeps_its_state() -> None:
    class Fragile(Actor):
        def __init__(self, entity_id: str) -> None:
            self.handled = 0

        def receive(self, message: Any) -> Any:
            if message == "boom":
                raise ValueError("boom")
            self.handled += 1
            return self.handled

    async with ActorSystem() as system:
        await system.start_sharding("fragile", Fragile)
        ref = system.entity("fragile", "x")
        with pytest.raises(ValueError, match="boom"):
            await ref.ask("boom")
        assert await ref.ask("ok") == 1  # resumed by its region


@pytest.mark.parametrize(
    ("backend", "options"),
    [("trio", "mock clock"), ("asyncio", "virtual loop")],
)
def test_idle_entities_are_passivated_and_state_survives_in_the_journal(
    backend: str, options: str
) -> None:
    async def scenario() -> None:
        journal = InMemoryJournal(registry=registry())
        async with ActorSystem(journal=journal) as system:
            region = await system.start_sharding("total", Total, passivate_after=60.0)
            ada = system.entity("total", "ada")
            assert await ada.ask(5) == 5
            first = region.activation_of("ada")
            await anyio.sleep(59.0)
            assert region.active_entities == {"ada"}  # not idle long enough yet
            await anyio.sleep(61.0)
            assert region.active_entities == frozenset()
            assert region.passivations == 1
            assert await ada.ask(2) == 7  # recovered under "total/ada"
            assert region.activation_of("ada") is not first
        assert (await journal.load_state("total/ada")).state == 7  # type: ignore[union-attr]

    if backend == "trio":
        import trio
        import trio.testing

        trio.run(scenario, clock=trio.testing.MockClock(autojump_threshold=0))
    else:
        anyio.run(scenario, backend="asyncio", backend_options={"loop_factory": VirtualTimeLoop})


def test_the_shard_of_an_id_is_stable_and_in_range() -> None:
    # Pinned: the same in every process, run and release, whatever PYTHONHASHSEED is
    # (a change here would move every stored entity to another shard).
    assert [shard_of(entity_id, 64) for entity_id in ["ada", "bob", "", "ü"]] == [39, 18, 52, 55]
    assert [shard_of(entity_id, 1000) for entity_id in ["ada", "account-42"]] == [351, 578]
    assert shard_of("ada", 1) == 0
    assert all(0 <= shard_of(str(n), 7) < 7 for n in range(200))
    assert len({shard_of(str(n), 16) for n in range(200)}) == 16


async def test_bad_input_is_refused_where_it_is_made() -> None:
    class NoInit(Actor):
        pass

    async with ActorSystem() as system:
        with pytest.raises(ValueError, match=r"^shards must be a whole number >= 1 \(got 0\)"):
            await system.start_sharding("x", Counter, Inbox(), shards=0)
        with pytest.raises(ValueError, match=r"^passivate_after must be > 0 seconds"):
            await system.start_sharding("x", Counter, Inbox(), passivate_after=-1)
        with pytest.raises(ValueError, match=r"^the entity type name must be"):
            await system.start_sharding("a/b", Counter, Inbox())
        with pytest.raises(ValueError, match=r"^the entity type name must be .* or NUL"):
            await system.start_sharding("a\0b", Counter, Inbox())  # the wire's separator
        with pytest.raises(
            TypeError, match=r"^NoInit has no __init__, but an entity's constructor"
        ):
            await system.start_sharding("x", NoInit)
        with pytest.raises(TypeError, match=r"^entity_class must be an Actor subclass"):
            await system.start_sharding("x", object)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"^Counter.__init__ must accept \(entity_id"):
            await system.start_sharding("x", Counter)
        with pytest.raises(ShardingError, match=r"^Total is a persistent entity, and actor system"):
            await system.start_sharding("total", Total)
        with pytest.raises(ShardingError, match=r"^remember_entities=True keeps"):
            await system.start_sharding("x", Counter, Inbox(), remember_entities=True)
        with pytest.raises(LookupError, match=re.escape("start_sharding('nope', EntityClass)")):
            system.entity("nope", "ada")
        region = await system.start_sharding("counter", Counter, Inbox())
        assert isinstance(region, ShardRegion)
        with pytest.raises(ValueError, match=r"^entity type 'counter' is already hosted"):
            await system.start_sharding("counter", Counter, Inbox())
        with pytest.raises(ValueError, match=r"^an entity id must be a non-empty string"):
            system.entity("counter", "")
        with pytest.raises(ValueError, match=r"^an entity id must be text that UTF-8 can carry"):
            system.entity("counter", "ada\ud800")  # a lone surrogate: no UTF-8 bytes to hash
        assert system.entity("counter", "zoë\0x").entity_id == "zoë\0x"  # any other text
        with pytest.raises(ValueError, match=r"^timeout must be > 0 seconds"):
            await system.entity("counter", "ada").ask("x", timeout=0)
        assert isinstance(system.entity("counter", "ada"), EntityRef)


async def test_after_shutdown_messages_become_dead_letters_and_asks_fail() -> None:
    from actors import ActorStopped

    async with ActorSystem() as system:
        await system.start_sharding("counter", Counter, Inbox())
        ada = system.entity("counter", "ada")
        await ada.ask("hi")
    ada.tell("late")  # never raises: a dead letter
    with pytest.raises(ActorStopped, match=r"sharding region of 'counter' has stopped"):
        await ada.ask("late")


async def test_failures_go_to_the_asker_and_never_stop_the_region() -> None:
    class Doomed(Actor):
        def __init__(self, entity_id: str) -> None:
            self.handled = 0

        def receive(self, message: Any) -> Any:
            self.handled += 1
            if message == "boom":
                raise ValueError("boom")
            return self.handled

    async with ActorSystem() as system:
        region = await system.start_sharding("doomed", Doomed)
        bystander = system.entity("doomed", "bystander")
        assert await bystander.ask("hi") == 1
        for _ in range(10):  # far past any restart intensity
            with pytest.raises(ValueError, match="boom"):
                await system.entity("doomed", "x").ask("boom")
        # Resumed each time: same activation, state and mailbox kept; the region untouched.
        assert await system.entity("doomed", "x").ask("hi") == 11
        assert await bystander.ask("hi") == 2
        assert region.activations == 2


def test_the_shard_hash_ignores_the_interpreters_hash_seed() -> None:
    import subprocess
    import sys

    code = "from actors.sharding import shard_of; print(shard_of('ada', 64))"
    for seed in ["0", "4242"]:
        done = subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout.strip() == "39"


async def test_a_stopped_system_leaves_no_region_behind() -> None:
    import gc
    import weakref

    async with ActorSystem() as system:
        await system.start_sharding("counter", Counter, Inbox())
        await system.entity("counter", "ada").ask("hi")
    with pytest.raises(LookupError):
        system.entity("counter", "ada")
    gone = weakref.ref(system)
    del system
    gc.collect()
    assert gone() is None


async def test_a_stale_writer_is_fenced_by_the_journal_and_its_successor_recovers() -> None:
    """Two systems host "total/ada" on one journal: the stale one's write conflicts and stops."""
    journal = InMemoryJournal(registry=registry())
    async with ActorSystem("one", journal=journal) as first:
        await first.start_sharding("total", Total)
        async with ActorSystem("two", journal=journal) as second:
            await second.start_sharding("total", Total)
            stale, current = first.entity("total", "ada"), second.entity("total", "ada")
            assert await stale.ask(1) == 1  # both activations now hold revision 1
            assert await current.ask("show") == 1
            assert await current.ask(10) == 11
            from actors.persistence import PersistenceConflict

            with pytest.raises(PersistenceConflict):
                await stale.ask(100)  # nothing stored, the stale activation stopped
            assert await stale.ask(5) == 16  # a fresh activation recovered 11 first
    record = await journal.load_state("total/ada")
    assert record is not None
    assert record.state == 16


async def test_send_waits_for_room_in_a_bounded_entity_mailbox() -> None:
    from actors import MailboxConfig, Overflow

    release = anyio.Event()

    class Slow(Actor):
        mailbox = MailboxConfig(capacity=2, overflow=Overflow.BACKPRESSURE)

        def __init__(self, entity_id: str, inbox: Inbox) -> None:
            self.inbox = inbox

        async def receive(self, message: Any) -> Any:
            await release.wait()
            self.inbox.record(message)

    inbox = Inbox()
    async with ActorSystem() as system:
        await system.start_sharding("slow", Slow, inbox)
        ref = system.entity("slow", "x")
        async with anyio.create_task_group() as group:

            async def producer() -> None:
                for number in range(6):
                    await ref.send(number)

            group.start_soon(producer)
            await anyio.wait_all_tasks_blocked()
            assert ref.statistics().mailbox_depth == 2  # the producer waits for room
            release.set()
        assert await inbox.wait_for(6) == list(range(6))
