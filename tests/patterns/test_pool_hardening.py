"""Pools under pressure: failing hash keys before the start, and resizing while workers drain."""

from __future__ import annotations

from collections import Counter
from typing import Any

import anyio
import pytest
from attrs import frozen
from hypothesis import given
from hypothesis import strategies as st

from actors import Actor, ActorRef, ActorSystem, DeadLetter
from actors.routing import (
    ConsistentHash,
    GetRoutees,
    HashKeyError,
    Resize,
    RouterRef,
    spawn_group,
    spawn_pool,
)
from actors.testing import Probe, spawn_probe, wait_idle

pytestmark = pytest.mark.anyio

NOT_SENT = r"^ConsistentHash key function raised AttributeError: .* \(the message was not sent\)$"


@frozen
class Work:
    key: str
    n: int


class Counting(Actor):
    """Tells the probe (its slot, how many messages this instance has seen, the message)."""

    def __init__(self, probe: Probe) -> None:
        self.seen = 0
        self.probe = probe

    def receive(self, message: Any) -> Any:
        self.seen += 1
        self.probe.ref.tell((self.context.self_ref.name, self.seen, message))
        return self.seen


def _by_key() -> ConsistentHash:
    return ConsistentHash(lambda work: work.key)


def _assert_never_failed(pool: RouterRef) -> None:
    stats = pool.router.statistics()
    assert (stats.failures, stats.restarts) == (0, 0)


async def test_a_failing_key_raises_to_the_sender_before_the_pool_has_started(
    actor_system: ActorSystem,
) -> None:
    probe = spawn_probe(actor_system)
    pool = spawn_pool(actor_system, Counting, probe, size=3, routing=_by_key(), name="pool")
    assert pool.routees() == ()  # not started: sends go through the pool actor
    pool.tell(Work("a", 1))
    with pytest.raises(HashKeyError, match=NOT_SENT) as caught:
        pool.tell("not a Work")
    assert isinstance(caught.value.__cause__, AttributeError)
    with pytest.raises(HashKeyError, match=NOT_SENT):
        await pool.send("not a Work")
    pool.tell(Work("a", 2))
    assert [(await probe.expect(tuple))[1:] for _ in range(2)] == [
        (1, Work("a", 1)),
        (2, Work("a", 2)),
    ]
    assert await pool.ask(Work("a", 3)) == 3  # the worker kept its state: no restart
    assert (await probe.expect(tuple))[2] == Work("a", 3)
    _assert_never_failed(pool)
    await probe.expect_no_message(0)


async def test_a_failing_key_raises_to_an_asker_before_the_pool_has_started(
    actor_system: ActorSystem,
) -> None:
    probe = spawn_probe(actor_system)
    pool = spawn_pool(actor_system, Counting, probe, size=2, routing=_by_key(), name="pool")
    with pytest.raises(HashKeyError, match=NOT_SENT):
        await pool.ask("not a Work")
    assert await pool.ask(Work("a", 1)) == 1
    _assert_never_failed(pool)


async def test_a_failing_key_told_to_the_router_actor_itself_is_a_dead_letter(
    actor_system: ActorSystem,
) -> None:
    # The router actor's own ref cannot raise to its sender: the message
    # becomes a dead letter, and neither a pool nor a group fails from it.
    probe = spawn_probe(actor_system)
    letters = spawn_probe(actor_system)
    actor_system.event_stream.subscribe(letters.ref, DeadLetter)
    pool = spawn_pool(actor_system, Counting, probe, size=2, routing=_by_key(), name="pool")
    group = spawn_group(actor_system, [probe.ref], routing=_by_key(), name="group")
    for router in (pool.router, group.router):
        router.tell("not a Work")
        letter = await letters.expect(DeadLetter)
        assert (letter.message, letter.recipient) == ("not a Work", router)
    assert await pool.ask(Work("a", 1)) == 1
    _assert_never_failed(pool)
    assert group.router.statistics().failures == 0


class Gated(Actor):
    """Records each message once the shared gate opens; its ``on_stop`` may be held."""

    def __init__(self, gate: anyio.Event, hold: anyio.Event, handled: list[int]) -> None:
        self.gate = gate
        self.hold = hold
        self.handled = handled

    async def receive(self, message: Any) -> Any:
        await self.gate.wait()
        self.handled.append(message)
        return self.context.self_ref.name

    async def on_stop(self) -> None:
        await self.hold.wait()


async def _wait_until_stopping(refs: tuple[ActorRef, ...]) -> None:
    with anyio.fail_after(5):
        while any(ref.statistics().state != "stopping" for ref in refs):
            await anyio.lowlevel.checkpoint()


async def test_shrink_then_grow_while_workers_are_busy_reuses_the_draining_workers(
    actor_system: ActorSystem,
) -> None:
    gate, hold = anyio.Event(), anyio.Event()
    handled: list[int] = []
    hold.set()
    pool = spawn_pool(actor_system, Gated, gate, hold, handled, size=3, name="pool")
    before = await pool.router.ask(GetRoutees())
    for n in range(30):
        pool.tell(n)
    assert await pool.router.ask(Resize(1)) == 1
    assert await pool.router.ask(Resize(3)) == 3
    for n in range(30, 40):
        pool.tell(n)
    gate.set()
    await wait_idle(actor_system)
    assert sorted(handled) == list(range(40))
    assert await pool.router.ask(GetRoutees()) == before
    _assert_never_failed(pool)


async def test_growing_into_the_slot_of_a_stopping_worker_waits_for_it(
    actor_system: ActorSystem,
) -> None:
    gate, hold = anyio.Event(), anyio.Event()
    handled: list[int] = []
    gate.set()
    pool = spawn_pool(actor_system, Gated, gate, hold, handled, size=3, name="pool")
    w0, w1, w2 = await pool.router.ask(GetRoutees())
    assert await pool.router.ask(Resize(1)) == 1
    await _wait_until_stopping((w1, w2))  # still holding their names, in on_stop
    assert await pool.router.ask(Resize(3)) == 3
    for n in range(20):
        pool.tell(n)
    assert await pool.router.ask(GetRoutees()) == (w0,)  # until the old ones are gone
    hold.set()
    with anyio.fail_after(5):
        while len(pool.routees()) < 3:
            await anyio.lowlevel.checkpoint()
    fresh = await pool.router.ask(GetRoutees())
    assert [ref.name for ref in fresh] == ["w0", "w1", "w2"]
    assert fresh[0] == w0
    assert fresh[1] != w1
    assert fresh[2] != w2
    for n in range(20, 30):
        pool.tell(n)
    await wait_idle(actor_system)
    assert sorted(handled) == list(range(30))
    _assert_never_failed(pool)


sizes = st.integers(min_value=1, max_value=4)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("resize"), sizes),
        st.tuples(st.just("send"), st.integers(min_value=1, max_value=6)),
        st.tuples(st.just("settle"), st.just(0)),
        st.tuples(st.just("open"), st.just(0)),
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@given(steps=steps)
def test_no_resize_sequence_loses_a_message_or_fails_the_pool(
    backend: str, steps: list[tuple[str, int]]
) -> None:
    # Busy workers (the gate is shut until an "open" step) with queued
    # messages; resizes told back to back or after the pool settled.
    async def scenario() -> None:
        with anyio.fail_after(10):
            await run(steps)

    async def run(steps: list[tuple[str, int]]) -> None:
        async with ActorSystem("resize") as system:
            gate, hold = anyio.Event(), anyio.Event()
            handled: list[int] = []
            hold.set()
            pool = spawn_pool(system, Gated, gate, hold, handled, size=2, name="pool")
            sent = 0
            size = 2
            for action, value in steps:
                if action == "resize":
                    pool.router.tell(Resize(value))
                    size = value
                elif action == "send":
                    for _ in range(value):
                        pool.tell(sent)
                        sent += 1
                elif action == "settle":
                    await pool.router.ask(GetRoutees())
                else:
                    gate.set()
            gate.set()
            await wait_idle(system)
            assert Counter(handled) == Counter(range(sent))  # each exactly once
            routees = await pool.router.ask(GetRoutees())
            assert [ref.name for ref in routees] == [f"w{i}" for i in range(size)]
            _assert_never_failed(pool)

    anyio.run(scenario, backend=backend)
