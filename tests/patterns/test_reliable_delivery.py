"""At-least-once delivery with an idempotent receiver: exactly-once handling across crashes."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from attrs import define, field, frozen

from actors import ActorSystem, Supervisor
from actors.reliable import (
    Ack,
    DedupWindow,
    Delivery,
    DeliveryFailed,
    DeliveryStatistics,
    GetDeliveryStatistics,
    IdempotentReceiver,
    InvalidSetting,
    RetryPolicy,
    UnknownAcknowledgement,
    WaitUntilDelivered,
    spawn_reliable_sender,
)
from actors.testing import InjectedFailure, spawn_probe, virtual_time_backend
from supervision import Backoff, OneForOne, child

pytestmark = pytest.mark.anyio


@frozen
class Item:
    sender: str
    n: int


@define(eq=False)
class Ledger:
    """What the receiver did, kept by the test: it outlives the receiver's restarts."""

    expected: int
    crash_at: set[int] = field(factory=set)
    handled: list[Item] = field(factory=list)
    crashes: int = 0
    done: anyio.Event = field(factory=anyio.Event)


class CrashingReceiver(IdempotentReceiver):
    """Records each item; crashes (before recording) once at each count in ``crash_at``."""

    def __init__(self, window: DedupWindow, ledger: Ledger) -> None:
        super().__init__(window)
        self.ledger = ledger

    def handle(self, payload: Any, delivery: Delivery) -> Any:
        ledger = self.ledger
        count = len(ledger.handled)
        if count in ledger.crash_at:
            ledger.crash_at.discard(count)
            ledger.crashes += 1
            raise InjectedFailure(f"crash after {count} messages")
        ledger.handled.append(payload)
        if len(ledger.handled) == ledger.expected:
            ledger.done.set()


FAST = RetryPolicy(backoff=Backoff(min=0.02, max=0.2), max_attempts=1000, window=500)


async def test_ten_thousand_messages_are_handled_exactly_once_in_order_across_crashes() -> None:
    per_sender = 5_000
    ledger = Ledger(expected=2 * per_sender, crash_at={1_000, 4_321, 7_777, 9_999})
    window = DedupWindow()

    class Host(Supervisor):
        # The supervisor's child spec holds the window: every fresh receiver
        # instance gets the same one, so what was handled survives the crashes.
        strategy = OneForOne(max_restarts=10, within=60.0)
        children = [child(CrashingReceiver, window, ledger, name="receiver")]  # noqa: RUF012

    async with ActorSystem() as system:
        system.spawn(Host, name="host")
        receiver = system.lookup("host/receiver")
        assert receiver is not None
        senders = {
            name: spawn_reliable_sender(system, receiver, policy=FAST, name=name)
            for name in ("alpha", "beta")
        }
        for n in range(per_sender):
            for name, sender in senders.items():
                sender.tell(Item(name, n))
        with anyio.fail_after(30):
            await ledger.done.wait()
        stats = [await sender.ask(WaitUntilDelivered(), timeout=30) for sender in senders.values()]
    assert ledger.crashes == 4
    assert receiver.statistics().restarts == 4
    assert len(ledger.handled) == 2 * per_sender
    assert len(set(ledger.handled)) == 2 * per_sender  # no duplicates
    for name in senders:
        assert [item.n for item in ledger.handled if item.sender == name] == list(range(per_sender))
    assert window.handled == 2 * per_sender
    assert window.out_of_order > 0  # the crashes really lost messages from the mailbox
    assert all(s.acknowledged == per_sender and s.failed == 0 for s in stats)
    assert sum(s.resends for s in stats) > 0


class Recording(IdempotentReceiver):
    def __init__(self, window: DedupWindow, seen: list[Any]) -> None:
        super().__init__(window)
        self.seen = seen

    def handle(self, payload: Any, delivery: Delivery) -> Any:
        self.seen.append(payload)
        return payload


async def test_duplicates_are_dropped_and_acknowledged_again(actor_system: ActorSystem) -> None:
    probe = spawn_probe(actor_system)
    seen: list[Any] = []
    receiver = actor_system.spawn(Recording, DedupWindow(), seen)

    def delivery(seq: int, floor: int = 1) -> Delivery:
        return Delivery(producer_id="p", seq=seq, payload=seq, floor=floor, reply_to=probe.ref)

    for seq in (1, 2, 2, 1, 4, 3, 3):
        receiver.tell(delivery(seq))
    assert [await probe.expect(Ack) for _ in range(6)] == [
        Ack("p", 1),
        Ack("p", 2),
        Ack("p", 2),
        Ack("p", 2),
        Ack("p", 3),  # 4 was out of order: dropped, not acknowledged
        Ack("p", 3),
    ]
    receiver.tell(delivery(6, floor=6))  # the sender gave up on 4 and 5
    assert await probe.expect(Ack) == Ack("p", 6)
    assert seen == [1, 2, 3, 6]


class TestVirtualTime:
    @pytest.fixture
    def anyio_backend(self) -> Any:
        return virtual_time_backend()

    async def test_a_30_second_backoff_retries_in_virtual_time(self) -> None:
        policy = RetryPolicy(backoff=Backoff(min=30.0, max=60.0), max_attempts=3)
        async with ActorSystem() as system:
            black_hole = spawn_probe(system)  # receives deliveries, never acknowledges
            failures = spawn_probe(system)
            system.event_stream.subscribe(failures.ref, DeliveryFailed)
            start = anyio.current_time()
            sender = spawn_reliable_sender(system, black_hole.ref, policy=policy)
            sender.tell("hello")
            sender.tell("world")
            times = []
            failed = []
            for _ in range(2):
                failed.append(await failures.expect(DeliveryFailed, timeout=1000))
                times.append(anyio.current_time() - start)
            stats = await sender.ask(GetDeliveryStatistics())
        sends = [(d.seq, d.payload) for d in black_hole.received]
        # Go-back-N: both are sent 3 times; after giving up on "hello", "world"
        # gets 3 fresh attempts; with no ack since, it is given up on too.
        assert sends == [(1, "hello"), (2, "world")] * 3 + [(2, "world")] * 3
        assert [(f.seq, f.payload, f.attempts) for f in failed] == [
            (1, "hello", 3),
            (2, "world", 3),
        ]
        assert times == [30.0 + 60.0 + 60.0, 150.0 + 30.0 + 60.0 + 60.0]  # backoff 30, 60 (capped)
        assert isinstance(stats, DeliveryStatistics)
        assert (stats.failed, stats.pending, stats.resends) == (2, 0, 7)

    async def test_after_a_give_up_later_messages_still_flow(self) -> None:
        policy = RetryPolicy(backoff=Backoff(min=1.0, max=1.0), max_attempts=2)
        seen: list[Any] = []
        async with ActorSystem() as system:
            failures = spawn_probe(system)
            system.event_stream.subscribe(failures.ref, DeliveryFailed)
            receiver = system.spawn(Recording, DedupWindow(), seen)
            gate = spawn_probe(system)  # drops the first message, forwards the rest
            dropped = False

            def forward(message: Any) -> None:
                nonlocal dropped
                if isinstance(message, Delivery) and message.seq == 1:
                    dropped = True
                    return
                receiver.tell(message)

            gate.set_autoreply(forward)
            sender = spawn_reliable_sender(system, gate.ref, policy=policy)
            for n in range(3):
                sender.tell(n)
            await failures.expect(DeliveryFailed, timeout=1000)
            await sender.ask(WaitUntilDelivered(), timeout=1000)
        assert dropped
        assert seen == [1, 2]


async def test_an_unknown_ack_fails_the_sender_clearly_and_nothing_is_lost(
    actor_system: ActorSystem,
) -> None:
    seen: list[Any] = []
    receiver = actor_system.spawn(Recording, DedupWindow(), seen)
    gate = spawn_probe(actor_system, hold=True)  # holds deliveries until the test lets them go
    sender = spawn_reliable_sender(actor_system, gate.ref, policy=FAST)
    sender.tell("kept")
    first = await gate.expect(Delivery)
    with pytest.raises(
        UnknownAcknowledgement,
        match=r"^/user/\$\d+ sent deliveries \w+:1\.\.1 but got Ack\('stranger', 5\); acks must come from the receiver .*\(nothing is lost: unacknowledged messages are sent again\)$",
    ):
        await sender.ask(Ack("stranger", 5))
    gate.set_autoreply(receiver.tell)
    gate.reply(None)
    receiver.tell(first)
    await sender.ask(WaitUntilDelivered(), timeout=5)
    assert seen == ["kept"]
    assert sender.statistics().restarts == 1


def test_bad_retry_policies_are_refused() -> None:
    with pytest.raises(
        InvalidSetting, match=r"^RetryPolicy max_attempts must be a whole number >= 1 \(got 0\)$"
    ):
        RetryPolicy(max_attempts=0)
    with pytest.raises(
        InvalidSetting, match=r"^RetryPolicy window must be a whole number >= 1 \(got -5\)$"
    ):
        RetryPolicy(window=-5)
