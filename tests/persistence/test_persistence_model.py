"""A hypothesis state machine: persist, crash, restart the system, snapshot, recover, vs a model.

The model is the list of events every acknowledged persist added. After any
sequence of steps, a freshly recovered actor (after a crash, or in a new
actor system on the same SQLite file) holds exactly the model's state, and
the journal holds exactly the model's events, numbered without gaps.
"""

from __future__ import annotations

import contextlib
import tempfile
from contextlib import AbstractContextManager, aclosing
from pathlib import Path
from typing import Any, ClassVar

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from actors import ActorRef, ActorSystem, Supervisor
from actors.persistence import SqliteJournal
from supervision import OneForOne, child
from tests.persistence.accounts import Add, Crash, SnapshottingAccount
from tests.persistence.events import Added, registry


class ModelAccount(SnapshottingAccount):
    persistence_id = "account"


class Compacting(ModelAccount):
    delete_events_on_snapshot = True


def holder_of(account_class: type[ModelAccount]) -> type[Supervisor]:
    class Holder(Supervisor):
        strategy = OneForOne(max_restarts=10_000, within=60.0)
        children: ClassVar = [child(account_class, name="account")]

    return Holder


HOLDERS = {ModelAccount: holder_of(ModelAccount), Compacting: holder_of(Compacting)}


class PersistenceModel(RuleBasedStateMachine):
    backend = "asyncio"

    def __init__(self) -> None:
        super().__init__()
        self._directory = tempfile.TemporaryDirectory()
        self.path = Path(self._directory.name) / "model.db"
        self._portal_cm = start_blocking_portal(self.backend)
        self.portal: BlockingPortal = self._portal_cm.__enter__()
        self.model: list[int] = []
        self.deleted_to = 0  # events a compacting snapshot has deleted
        self.actor_class: type[ModelAccount] = ModelAccount
        self._system_cm: AbstractContextManager[ActorSystem] | None = None
        self.system: ActorSystem | None = None
        self.account: ActorRef | None = None

    def _start(self) -> None:
        journal = SqliteJournal(self.path, registry=registry(), synchronous="OFF")
        self._system_cm = self.portal.wrap_async_context_manager(
            ActorSystem("model", journal=journal)
        )
        self.system = self._system_cm.__enter__()
        self.account = self.portal.call(self._spawn)

    async def _spawn(self) -> ActorRef:
        assert self.system is not None
        self.system.spawn(HOLDERS[self.actor_class], name="holder")
        account = self.system.lookup("holder/account")
        assert account is not None
        return account

    def _stop(self) -> None:
        if self._system_cm is not None:
            self._system_cm.__exit__(None, None, None)
            self._system_cm = self.system = self.account = None

    @rule(compacting=st.booleans())
    @precondition(lambda self: self.system is None)
    def start(self, compacting: bool) -> None:
        self.actor_class = Compacting if compacting else ModelAccount
        self._start()

    @rule(amounts=st.lists(st.integers(1, 100), min_size=1, max_size=4))
    @precondition(lambda self: self.account is not None)
    def persist(self, amounts: list[int]) -> None:
        assert self.account is not None
        if len(amounts) == 1:
            self.portal.call(self.account.ask, Add(amounts[0]))
        else:
            self.portal.call(self.account.ask, ("persist many", amounts))
        before = len(self.model)
        self.model += amounts
        if self.actor_class is Compacting and len(self.model) // 3 > before // 3:
            self.deleted_to = len(self.model)

    @rule()
    @precondition(lambda self: self.account is not None)
    def crash_and_recover(self) -> None:
        assert self.account is not None
        with contextlib.suppress(RuntimeError):
            self.portal.call(self.account.ask, Crash())

    @rule()
    @precondition(lambda self: self.system is not None)
    def restart_the_system(self) -> None:
        self._stop()
        self._start()

    @rule()
    @precondition(lambda self: self.system is not None)
    def stop_the_system(self) -> None:
        self._stop()

    @invariant()
    def the_actor_holds_the_model(self) -> None:
        if self.account is None:
            return
        assert self.portal.call(self.account.ask, "total") == sum(self.model)

    @invariant()
    def the_journal_holds_the_model(self) -> None:
        if self.system is None:
            return
        journal = self.system.journal
        assert self.portal.call(journal.highest_sequence_number, "account") == len(self.model)
        stored = self.portal.call(self._stored)
        snapshot = self.portal.call(journal.load_snapshot, "account")
        covered = 0 if snapshot is None else snapshot.sequence_number
        if snapshot is not None:
            assert snapshot.snapshot.total == sum(self.model[:covered])
        assert stored == [(n, Added(a)) for n, a in enumerate(self.model, 1)][self.deleted_to :]

    async def _stored(self) -> list[tuple[int, Any]]:
        assert self.system is not None
        async with aclosing(self.system.journal.replay("account")) as records:
            return [(record.sequence_number, record.event) async for record in records]

    def teardown(self) -> None:
        try:
            self._stop()
        finally:
            self._portal_cm.__exit__(None, None, None)
            self._directory.cleanup()


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_recovery_matches_the_model(backend: str) -> None:
    machine: type[PersistenceModel] = type(
        f"PersistenceModel_{backend}", (PersistenceModel,), {"backend": backend}
    )
    run_state_machine_as_test(
        machine, settings=settings(max_examples=15, stateful_step_count=12, deadline=None)
    )
