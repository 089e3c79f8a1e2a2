"""Cluster sharding with real node processes: the owner of entities killed mid-stream."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import anyio
import pytest

from actors import ActorSystem
from actors.persistence import MessageRegistry, SqliteJournal
from actors.remote import NatsCluster
from tests.remote.nats_servers import NatsServer
from tests.remote.processes import kill, python_process, wait_for_line
from tests.remote.remote_helpers import make_registry

pytestmark = pytest.mark.anyio

LEASE_TTL = 1.0
IDS = [f"e{index}" for index in range(12)]
#: Commands each entity gets before the kill, and in all.
BEFORE_KILL = 10
COMMANDS = 40


async def test_entities_of_a_killed_owner_come_back_on_survivors_with_their_state(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    database = str(tmp_path / "journal.sqlite")
    # Created here first: three processes opening a new file at once can find it
    # locked while one of them switches it to WAL, and the journal does not retry that.
    journal = SqliteJournal(database, registry=MessageRegistry())
    assert await journal.highest_sequence_number("ledger/e0") == 0
    await journal.close()
    async with AsyncExitStack() as stack:
        processes = {}
        for name in ("a", "b", "c"):
            process, lines = await stack.enter_async_context(
                python_process(
                    "-m",
                    "tests.remote.sharding_node",
                    nats_server.url,
                    name,
                    str(LEASE_TTL),
                    database,
                )
            )
            processes[name] = (process, lines)
        for _, lines in processes.values():
            await wait_for_line(lines, "ready")
        # This process is a node too, hosting nothing: its entity refs go through a host.
        cluster = NatsCluster(nats_server.url, node="driver", registry=make_registry())
        system = await stack.enter_async_context(ActorSystem("shop", cluster=cluster))
        acknowledged = dict.fromkeys(IDS, 0)
        owners: dict[str, list[str]] = {entity_id: [] for entity_id in IDS}
        failed_asks = 0  # asks that failed with the owner's death, then sent again
        reached = anyio.Event()

        async def drive(entity_id: str) -> None:
            nonlocal failed_asks
            ref = system.entity("ledger", entity_id)
            number = 1
            while number <= COMMANDS:
                try:
                    state, node = await ref.ask(number, timeout=LEASE_TTL * 3)
                except Exception:  # the owner died with the command in flight: send it again
                    failed_asks += 1
                    await anyio.sleep(0.05)
                    continue
                assert state == number  # applied once, in order, whatever node it lives on
                acknowledged[entity_id] = number
                if not owners[entity_id] or owners[entity_id][-1] != node:
                    owners[entity_id].append(node)
                if all(count >= BEFORE_KILL for count in acknowledged.values()):
                    reached.set()
                number += 1

        with anyio.fail_after(60):
            async with anyio.create_task_group() as task_group:
                for entity_id in IDS:
                    task_group.start_soon(drive, entity_id)
                await reached.wait()
                victim = owners[IDS[0]][-1]
                await kill(processes[victim][0])  # SIGKILL, with commands in flight
        # Every command was acknowledged, and each entity's stored state is exactly its
        # acknowledged commands: none lost with the killed node, none applied twice.
        assert acknowledged == dict.fromkeys(IDS, COMMANDS)
        for entity_id in IDS:
            state, node = await system.entity("ledger", entity_id).ask(0, timeout=10)
            assert state == COMMANDS
            assert node != victim
        # The victim's entities moved to survivors.
        moved = [entity_id for entity_id in IDS if owners[entity_id][0] == victim]
        assert IDS[0] in moved
        for entity_id in moved:
            assert owners[entity_id][-1] != victim
        # The others stayed where they were; and the shards had spread over all three.
        assert all(len(owners[entity_id]) == 1 for entity_id in IDS if entity_id not in moved)
        assert {owners[entity_id][0] for entity_id in IDS} == {"a", "b", "c"}
        assert failed_asks >= 1  # the kill did land with commands in flight
