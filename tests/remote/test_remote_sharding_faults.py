"""Cluster sharding with real node processes: the owner of entities killed, or frozen, mid-stream.

Three processes host ``ledger`` (``tests/remote/sharding_node.py``) with one
SQLite journal file; this process joins as a fourth node hosting nothing and
drives numbered, idempotent commands (``Ledger`` applies ``n`` only after
``n - 1``), retrying a command whose ask failed, so each entity's state must
equal the number of its acknowledged commands.
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import anyio
import pytest
from anyio.abc import Process
from attrs import define, field

from actors import ActorSystem
from actors.persistence import MessageRegistry, SqliteJournal
from actors.remote import NatsCluster
from tests.remote.nats_servers import NatsServer
from tests.remote.processes import kill, python_process, wait_for_line
from tests.remote.remote_helpers import make_registry

pytestmark = pytest.mark.anyio

LEASE_TTL = 1.0
IDS = [f"e{index}" for index in range(12)]
#: Commands each entity gets before the fault, and in all.
BEFORE_FAULT = 10
COMMANDS = 40


@define
class Run:
    """The node processes, the driving node, and what the drive saw."""

    processes: dict[str, tuple[Process, AsyncIterator[str]]]
    system: ActorSystem
    acknowledged: dict[str, int] = field(factory=lambda: dict.fromkeys(IDS, 0))
    owners: dict[str, list[str]] = field(factory=lambda: {entity_id: [] for entity_id in IDS})
    failed_asks: int = 0  # asks that failed with the owner's fault, then sent again


@asynccontextmanager
async def three_hosts(url: str, tmp_path: Path) -> AsyncIterator[Run]:
    database = str(tmp_path / "journal.sqlite")
    # Created here first: three processes opening a new file at once can find it
    # locked while one of them switches it to WAL, and the journal does not retry that.
    journal = SqliteJournal(database, registry=MessageRegistry())
    assert await journal.highest_sequence_number("ledger/e0") == 0
    await journal.close()
    async with AsyncExitStack() as stack:
        processes = {}
        for name in ("a", "b", "c"):
            args = ("-m", "tests.remote.sharding_node", url, name, str(LEASE_TTL), database)
            processes[name] = await stack.enter_async_context(python_process(*args))
        for _, lines in processes.values():
            await wait_for_line(lines, "ready")
        cluster = NatsCluster(url, node="driver", registry=make_registry())
        system = await stack.enter_async_context(ActorSystem("shop", cluster=cluster))
        await spread_over_three_hosts(system)
        yield Run(processes, system)


async def spread_over_three_hosts(system: ActorSystem) -> None:
    """Wait until the entities live on all three hosts.

    The hosts start one after another, so the first of them can claim shards
    before it sees the others; rebalancing then moves those shards to their
    preferred hosts, a bounded number at a time. The drive starts only once the
    shards have spread, so that its first owners are the settled ones.
    (``ask(0)`` only reads an entity's state.)
    """
    with anyio.fail_after(30):
        while True:
            owners = set()
            for entity_id in IDS:
                _, node = await system.entity("ledger", entity_id).ask(0, timeout=10)
                owners.add(node)
            if owners == {"a", "b", "c"}:
                return
            await anyio.sleep(0.1)  # a poll of the placement; rebalancing reports no event


async def drive(run: Run, fault: Callable[[str, anyio.Event], Awaitable[None]]) -> str:
    """Drive every entity to ``COMMANDS``; midway, ``fault`` the owner of ``e0``; return it.

    Every entity waits at ``BEFORE_FAULT`` until the fault has landed (``fault``
    sets the event it is given), so each has commands left for after it.
    """
    reached, landed = anyio.Event(), anyio.Event()

    async def commands(entity_id: str) -> None:
        ref = run.system.entity("ledger", entity_id)
        number = 1
        while number <= COMMANDS:
            try:
                state, node = await ref.ask(number, timeout=LEASE_TTL * 3)
            except Exception:  # the owner failed with the command in flight: send it again
                run.failed_asks += 1
                await anyio.sleep(0.05)
                continue
            assert state == number  # applied once, in order, whatever node it lives on
            run.acknowledged[entity_id] = number
            owners = run.owners[entity_id]
            if not owners or owners[-1] != node:
                owners.append(node)
            if all(count >= BEFORE_FAULT for count in run.acknowledged.values()):
                reached.set()
            if number == BEFORE_FAULT:
                await landed.wait()
            number += 1

    with anyio.fail_after(60):
        async with anyio.create_task_group() as task_group:
            for entity_id in IDS:
                task_group.start_soon(commands, entity_id)
            await reached.wait()
            victim = run.owners[IDS[0]][-1]
            await fault(victim, landed)
    return victim


async def check_states_and_moves(run: Run, victim: str) -> None:
    # Every command was acknowledged, and each entity's stored state is exactly its
    # acknowledged commands: none lost with the faulty node, none applied twice.
    assert run.acknowledged == dict.fromkeys(IDS, COMMANDS)
    for entity_id in IDS:
        state, _ = await run.system.entity("ledger", entity_id).ask(0, timeout=10)
        assert state == COMMANDS
    # The victim's entities moved to survivors, and the shards had spread over all
    # three hosts. (Others may move too: rebalancing hands a shard claimed from a stale
    # view of the hosts to its preferred host, and the victim's back to it if it resumes.)
    moved = [entity_id for entity_id in IDS if run.owners[entity_id][0] == victim]
    assert IDS[0] in moved
    for entity_id in moved:
        assert run.owners[entity_id][1] != victim
    assert {run.owners[entity_id][0] for entity_id in IDS} == {"a", "b", "c"}
    assert run.failed_asks >= 1  # the fault did land with commands in flight


async def test_entities_of_a_killed_owner_come_back_on_survivors_with_their_state(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async with three_hosts(nats_server.url, tmp_path) as run:

        async def sigkill(victim: str, landed: anyio.Event) -> None:
            await kill(run.processes[victim][0])
            landed.set()

        victim = await drive(run, sigkill)
        await check_states_and_moves(run, victim)
        for entity_id in IDS:
            _, node = await run.system.entity("ledger", entity_id).ask(0, timeout=10)
            assert node != victim


async def test_an_owner_frozen_past_its_lease_fences_itself_when_it_resumes(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async with three_hosts(nats_server.url, tmp_path) as run:
        resumed = anyio.Event()

        async def freeze(victim: str, landed: anyio.Event) -> None:
            process = run.processes[victim][0]
            os.kill(process.pid, signal.SIGSTOP)
            landed.set()
            try:
                await anyio.sleep(LEASE_TTL * 3)  # its lease expires; survivors take over
            finally:
                os.kill(process.pid, signal.SIGCONT)
            resumed.set()

        victim = await drive(run, freeze)
        assert resumed.is_set()
        # On resuming, it stopped its stale activation of e0 on its own ...
        await wait_for_line(run.processes[victim][1], f"stopped {IDS[0]}")
        # ... and wrote nothing stale: each state is exactly its acknowledged commands.
        await check_states_and_moves(run, victim)


async def test_first_messages_from_three_processes_meet_one_activation_per_id(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async with three_hosts(nats_server.url, tmp_path) as run:
        # Each process asks its third of 1,000 numbers of 50 new ids, all at once.
        for index, (process, _) in enumerate(run.processes.values()):
            assert process.stdin is not None
            await process.stdin.send(f"go {index} 3\n".encode())
        activated: list[str] = []

        async def collect_until(lines: AsyncIterator[str], last: str) -> None:
            with anyio.fail_after(30):
                async for line in lines:
                    if line == last:
                        return
                    if line.startswith("activated "):
                        activated.append(line.removeprefix("activated "))
            raise AssertionError(f"a node process ended before printing {last!r}")

        for _, lines in run.processes.values():
            await collect_until(lines, "sent all")
        for process, lines in run.processes.values():
            assert process.stdin is not None
            await process.stdin.send(b"bye\n")
            await collect_until(lines, "bye")
        # Each entity was activated exactly once in the cluster ...
        assert sorted(activated) == sorted(f"t{index}" for index in range(50))
        # ... and that one activation handled each of its 20 messages once.
        handled: list[int] = []
        for index in range(50):
            seen = await run.system.entity("tally", f"t{index}").ask("seen", timeout=10)
            assert sorted(seen) == list(range(index, 1000, 50))
            handled.extend(seen)
        assert sorted(handled) == list(range(1000))
