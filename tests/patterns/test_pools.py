"""Pools: routing policies, ask through a pool, supervision, resizing, bad input."""

from __future__ import annotations

from collections import Counter
from typing import Any

import anyio
import pytest
from attrs import frozen

from actors import Actor, ActorSystem
from actors.routing import (
    Broadcast,
    ConsistentHash,
    GetRoutees,
    HashKeyError,
    InvalidRouting,
    RandomRouting,
    Resize,
    RoundRobin,
    SmallestMailbox,
    spawn_balancing_pool,
    spawn_pool,
)
from actors.testing import Crash, InjectedFailure, Probe, spawn_probe, wait_idle

pytestmark = pytest.mark.anyio


@frozen
class Work:
    key: str
    n: int


class Worker(Actor):
    """Answers with its slot name and how many messages this instance has seen."""

    def __init__(self, probe: Probe | None = None) -> None:
        self.seen = 0
        self.probe = probe

    def receive(self, message: Any) -> Any:
        if isinstance(message, Crash):
            raise InjectedFailure(message.reason)
        self.seen += 1
        if self.probe is not None:
            self.probe.ref.tell((self.context.self_ref.name, message))
        return (self.context.self_ref.name, self.seen)


async def test_round_robin_spreads_evenly_and_ask_returns_the_workers_reply(
    actor_system: ActorSystem,
) -> None:
    pool = spawn_pool(actor_system, Worker, size=4, routing=RoundRobin(), name="pool")
    replies = [await pool.ask(i) for i in range(8)]
    assert [name for name, _ in replies] == ["w0", "w1", "w2", "w3"] * 2
    assert [seen for _, seen in replies] == [1] * 4 + [2] * 4


async def test_tells_before_the_pool_started_are_routed_in_order(actor_system: ActorSystem) -> None:
    probe = spawn_probe(actor_system)
    pool = spawn_pool(actor_system, Worker, probe, size=1, name="pool")
    for i in range(20):
        pool.tell(i)  # the first ones go through the pool actor, the rest directly
    got = [await probe.expect(tuple) for _ in range(20)]
    assert [message for _, message in got] == list(range(20))


async def test_consistent_hash_sends_one_key_to_one_worker_across_restarts(
    actor_system: ActorSystem,
) -> None:
    pool = spawn_pool(
        actor_system, Worker, size=5, routing=ConsistentHash(lambda work: work.key), name="shards"
    )
    owners = {key: (await pool.ask(Work(key, 0)))[0] for key in "abcdefghij"}
    assert len(set(owners.values())) > 1
    # Crash every worker: each restarts in its slot, so the ring is unchanged.
    for worker in pool.routees():
        with pytest.raises(InjectedFailure):
            await worker.ask(Crash())
    for key in "abcdefghij":
        for n in range(3):
            assert (await pool.ask(Work(key, n)))[0] == owners[key]


async def test_random_routing_replays_from_its_seed(actor_system: ActorSystem) -> None:
    async def names(seed: int, pool_name: str) -> list[str]:
        pool = spawn_pool(actor_system, Worker, size=4, routing=RandomRouting(seed), name=pool_name)
        return [(await pool.ask(i))[0] for i in range(12)]

    first = await names(7, "r1")
    assert await names(7, "r2") == first
    assert len(set(first)) > 1


async def test_smallest_mailbox_prefers_an_idle_worker(actor_system: ActorSystem) -> None:
    release = anyio.Event()

    class Slow(Actor):
        async def receive(self, message: Any) -> Any:
            if message == "block":
                await release.wait()
            return self.context.self_ref.name

    pool = spawn_pool(actor_system, Slow, size=3, routing=SmallestMailbox(), name="pool")
    w0, w1, _ = await pool.router.ask(GetRoutees())
    w0.tell("block")
    w1.tell("block")
    await wait_idle_but_blocked(w0, w1)
    assert await pool.ask("who") == "w2"
    release.set()


async def wait_idle_but_blocked(*refs: Any) -> None:
    with anyio.fail_after(5):
        while any(ref.statistics().current_message is None for ref in refs):
            await anyio.lowlevel.checkpoint()


async def test_broadcast_reaches_every_worker_and_ask_gathers_the_replies(
    actor_system: ActorSystem,
) -> None:
    pool = spawn_pool(actor_system, Worker, size=3, routing=Broadcast(), name="all")
    assert await pool.ask("hello") == (("w0", 1), ("w1", 1), ("w2", 1))


async def test_a_failed_worker_is_restarted_in_its_slot(actor_system: ActorSystem) -> None:
    pool = spawn_pool(actor_system, Worker, size=2, name="pool")
    before = await pool.router.ask(GetRoutees())
    with pytest.raises(InjectedFailure):
        await before[0].ask(Crash())
    assert pool.routees() == before
    assert await before[0].ask("after") == ("w0", 1)  # a fresh instance
    assert before[0].statistics().restarts == 1


async def test_resize_grows_and_shrinks_without_losing_messages(actor_system: ActorSystem) -> None:
    probe = spawn_probe(actor_system)
    pool = spawn_pool(actor_system, Worker, probe, size=2, name="pool")
    assert await pool.router.ask(Resize(5)) == 5
    assert [ref.name for ref in await pool.router.ask(GetRoutees())] == [f"w{i}" for i in range(5)]
    for i in range(50):
        pool.tell(i)
    assert await pool.router.ask(Resize(1)) == 1
    for i in range(50, 60):
        pool.tell(i)
    got = [await probe.expect(tuple) for _ in range(60)]
    assert sorted(message for _, message in got) == list(range(60))
    assert {name for name, message in got if message >= 50} == {"w0"}
    await wait_idle(actor_system)
    assert [ref.name for ref in pool.routees()] == ["w0"]


async def test_ask_through_a_stopped_pool_raises_actor_stopped(actor_system: ActorSystem) -> None:
    from actors import ActorStopped

    pool = spawn_pool(actor_system, Worker, size=2, name="pool")
    assert await pool.ask("x") == ("w0", 1)
    await actor_system.stop(pool.router)
    with pytest.raises(ActorStopped):
        await pool.ask("y")


async def test_bad_input_fails_clearly_and_sends_nothing(actor_system: ActorSystem) -> None:
    with pytest.raises(InvalidRouting, match=r"^pool size must be a whole number >= 1 \(got 0\);"):
        spawn_pool(actor_system, Worker, size=0)
    with pytest.raises(InvalidRouting, match=r"^pool size must be a whole number >= 1 \(got 0\);"):
        Resize(0)
    with pytest.raises(InvalidRouting, match=r"^ConsistentHash needs a key function"):
        ConsistentHash("customer")  # type: ignore[arg-type]
    probe = spawn_probe(actor_system)
    pool = spawn_pool(
        actor_system, Worker, probe, size=2, routing=ConsistentHash(lambda w: w.key), name="pool"
    )
    await pool.ask(Work("a", 0))
    await probe.expect(tuple)
    with pytest.raises(
        HashKeyError,
        match=r"^ConsistentHash key function raised AttributeError: .* \(the message was not sent\)$",
    ) as caught:
        pool.tell("not a Work")
    assert isinstance(caught.value.__cause__, AttributeError)
    with pytest.raises(HashKeyError):
        await pool.ask(Work(["unhashable"], 0))  # type: ignore[arg-type]
    await probe.expect_no_message(0.01)


async def test_balancing_pool_gives_work_to_whichever_worker_is_free(
    actor_system: ActorSystem,
) -> None:
    release = anyio.Event()

    class Job(Actor):
        async def receive(self, message: Any) -> Any:
            if message == "slow":
                await release.wait()
            return self.context.self_ref.name

    pool = spawn_balancing_pool(actor_system, Job, size=2, name="balanced")
    async with anyio.create_task_group() as group:
        slow_by: list[str] = []

        async def slow() -> None:
            slow_by.append(await pool.ask("slow"))

        group.start_soon(slow)
        # Everything else goes to the one free worker, not behind the slow job.
        fast = [await pool.ask(i) for i in range(5)]
        assert len(set(fast)) == 1
        release.set()
    assert slow_by[0] not in fast


async def test_balancing_pool_ask_gets_the_workers_exception_and_the_worker_restarts(
    actor_system: ActorSystem,
) -> None:
    pool = spawn_balancing_pool(actor_system, Worker, size=2)
    with pytest.raises(InjectedFailure):
        await pool.ask(Crash())
    replies = Counter(name for name, _ in [await pool.ask(i) for i in range(10)])
    assert sum(replies.values()) == 10
    with pytest.raises(InvalidRouting):
        spawn_balancing_pool(actor_system, Worker, size=-1)
