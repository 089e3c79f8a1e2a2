"""The dead-letter view: counts by type and target, the last N, filtered subscriptions."""

from __future__ import annotations

from typing import Any

import pytest
from attrs import frozen

from actors import Actor, ActorSystem, DeadLetter
from actors.reliable import (
    DeadLetterReport,
    GetDeadLetterReport,
    InvalidSetting,
    SubscribeDeadLetters,
    UnsubscribeDeadLetters,
    spawn_dead_letter_view,
)
from actors.testing import Probe, spawn_probe

pytestmark = pytest.mark.anyio


@frozen
class Order:
    n: int


class Ledger(Actor):
    """Has one child, ``entries``; answers its ref."""

    def on_start(self) -> None:
        self.entries = self.context.spawn(Actor, name="entries")

    def receive(self, message: Any) -> Any:
        return self.entries


async def _stopped_probe(system: ActorSystem, name: str) -> Probe:
    probe = spawn_probe(system, name=name)
    await system.stop(probe.ref)
    return probe


async def test_the_view_counts_by_type_and_recipient_and_keeps_the_last_n(
    actor_system: ActorSystem,
) -> None:
    view = spawn_dead_letter_view(actor_system, keep=3)
    await view.ask(GetDeadLetterReport())  # subscribed from here on
    gone = await _stopped_probe(actor_system, "gone")
    also_gone = await _stopped_probe(actor_system, "also-gone")
    for n in range(4):
        gone.ref.tell(Order(n))
    also_gone.ref.tell("hello")
    report = await view.ask(GetDeadLetterReport())
    assert isinstance(report, DeadLetterReport)
    assert report.total == 5
    assert dict(report.by_type) == {"Order": 4, "str": 1}
    assert dict(report.by_recipient) == {"/user/gone": 4, "/user/also-gone": 1}
    assert dict(report.by_reason) == {"recipient stopped": 5}
    assert [letter.message for letter in report.recent] == [Order(2), Order(3), "hello"]


async def test_subscribers_get_the_dead_letters_that_match(actor_system: ActorSystem) -> None:
    view = spawn_dead_letter_view(actor_system)
    orders = spawn_probe(actor_system)
    view.tell(
        SubscribeDeadLetters(subscriber=orders.ref, message_type=Order, recipient="/user/gone")
    )
    await view.ask(GetDeadLetterReport())
    gone = await _stopped_probe(actor_system, "gone")
    elsewhere = await _stopped_probe(actor_system, "elsewhere")
    gone.ref.tell("not an order")
    elsewhere.ref.tell(Order(1))
    gone.ref.tell(Order(2))
    letter = await orders.expect(DeadLetter)
    assert (letter.message, letter.recipient) == (Order(2), gone.ref)
    view.tell(UnsubscribeDeadLetters(orders.ref))
    await view.ask(GetDeadLetterReport())
    gone.ref.tell(Order(3))
    assert (await view.ask(GetDeadLetterReport())).total == 4
    await orders.expect_no_message(0)


def test_keep_must_be_a_count() -> None:
    with pytest.raises(InvalidSetting, match=r"^keep must be a whole number >= 0 \(got -1\)$"):
        spawn_dead_letter_view(object(), keep=-1)


async def test_a_recipient_filter_matches_whole_path_segments(actor_system: ActorSystem) -> None:
    # "/user/ledger" is the ledger and its descendants, never "/user/ledger2".
    view = spawn_dead_letter_view(actor_system)
    watcher = spawn_probe(actor_system)
    view.tell(SubscribeDeadLetters(subscriber=watcher.ref, recipient="/user/ledger"))
    await view.ask(GetDeadLetterReport())
    ledger = actor_system.spawn(Ledger, name="ledger")
    entries = await ledger.ask("entries")
    assert entries.path == "/user/ledger/entries"
    sibling = await _stopped_probe(actor_system, "ledger2")
    await actor_system.stop(entries)
    sibling.ref.tell(Order(1))
    entries.tell(Order(2))
    await actor_system.stop(ledger)
    ledger.tell(Order(3))
    assert (await watcher.expect(DeadLetter)).message == Order(2)
    assert (await watcher.expect(DeadLetter)).message == Order(3)
    assert (await view.ask(GetDeadLetterReport())).total == 3
    await watcher.expect_no_message(0)


async def test_a_recipient_filter_with_a_trailing_slash_matches_the_same_actors(
    actor_system: ActorSystem,
) -> None:
    view = spawn_dead_letter_view(actor_system)
    watcher = spawn_probe(actor_system)
    view.tell(SubscribeDeadLetters(subscriber=watcher.ref, recipient="/user/ledger/"))
    await view.ask(GetDeadLetterReport())
    ledger = await _stopped_probe(actor_system, "ledger")
    ledger.ref.tell(Order(1))
    assert (await watcher.expect(DeadLetter)).message == Order(1)


def test_a_recipient_filter_must_be_an_absolute_path() -> None:
    with pytest.raises(
        InvalidSetting,
        match=r"^SubscribeDeadLetters recipient must be an absolute actor path such as '/user/ledger' \(got 'user/ledger'\)$",
    ):
        SubscribeDeadLetters(subscriber=None, recipient="user/ledger")  # type: ignore[arg-type]
