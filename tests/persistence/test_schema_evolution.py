"""Schema evolution: a journal written by an older version of the classes replays into the new ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from attrs import frozen

from actors import ActorSystem
from actors.persistence import EventSourcedActor, MessageRegistry, SqliteJournal

pytestmark = pytest.mark.anyio


# -- release 1 ----------------------------------------------------------------------


@frozen
class DepositedInCents:  # release 1 stored amounts in cents, in a class of another name
    cents: int


@frozen
class NoteV1:
    text: str


def release_1() -> MessageRegistry:
    registry = MessageRegistry()
    registry.register(DepositedInCents, tag="bank.Deposited")
    registry.register(NoteV1, tag="bank.Note")
    return registry


# -- release 2 ----------------------------------------------------------------------


@frozen
class Deposited:  # renamed, amounts in whole units, and a new field with a default
    amount: int
    memo: str = ""


@frozen
class Note:  # renamed, and gained a field with a default: no version needed
    text: str
    author: str = "unknown"


def release_2() -> MessageRegistry:
    registry = MessageRegistry()
    registry.register(
        Deposited,
        tag="bank.Deposited",
        version=2,
        upcasters={1: lambda fields: {"amount": fields["cents"] // 100}},
    )
    registry.register(Note, tag="bank.Note")
    return registry


class Account(EventSourcedActor):
    persistence_id = "ada"

    def __init__(self) -> None:
        self.history: list[Any] = []

    def apply(self, event: Any) -> None:
        self.history.append(event)

    async def receive(self, message: Any) -> Any:
        if message != "history":
            await self.persist(message)
        return self.history


async def test_a_journal_written_by_an_older_release_replays_into_the_new_classes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bank.db"
    journal = SqliteJournal(path, registry=release_1())
    await journal.append(
        "ada", [DepositedInCents(12_500), NoteV1("rent")], expected_sequence_number=0
    )
    await journal.close()

    async with ActorSystem("bank", journal=SqliteJournal(path, registry=release_2())) as system:
        ada = system.spawn(Account)
        assert await ada.ask("history") == [Deposited(125), Note("rent")]
        assert await ada.ask(Deposited(5, memo="tip")) == [
            Deposited(125),
            Note("rent"),
            Deposited(5, "tip"),
        ]
    async with ActorSystem("bank", journal=SqliteJournal(path, registry=release_2())) as system:
        assert await system.spawn(Account).ask("history") == [
            Deposited(125),
            Note("rent"),
            Deposited(5, "tip"),
        ]
