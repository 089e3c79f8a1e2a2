"""A child process for the crash test: 10 accounts take 1,000 commands each, printing each ack.

``python -m tests.persistence.crash_writer DB BACKEND`` (DB: a SQLite file, or a
PostgreSQL connection string) prints ``ready``, then
``ack ACCOUNT N`` once command N of ACCOUNT has been persisted (two events,
``Added(N)`` and ``Renamed("N")``, in one atomic persist), and ``done`` at the
end. The test SIGKILLs it midway.
"""

from __future__ import annotations

import sys
from typing import Any

import anyio

from actors import ActorSystem
from actors.persistence import EventSourcedActor, Journal, PostgresJournal, SqliteJournal
from tests.persistence.events import Added, Renamed, registry

ACCOUNTS = 10
COMMANDS = 1_000


class Account(EventSourcedActor):
    def __init__(self) -> None:
        self.events = 0

    def apply(self, event: Any) -> None:
        self.events += 1

    async def receive(self, message: Any) -> Any:
        await self.persist(Added(message), Renamed(str(message)))
        return message


def open_journal(store: str) -> Journal:
    """A SQLite file path, or a PostgreSQL connection string (``host=...``)."""
    if store.startswith("host="):
        return PostgresJournal(store, registry=registry())
    return SqliteJournal(store, registry=registry())


async def main(path: str) -> None:
    async with ActorSystem("crash", journal=open_journal(path)) as system:
        print("ready", flush=True)

        async def drive(index: int) -> None:
            account = system.spawn(Account, name=f"account-{index}")
            for number in range(1, COMMANDS + 1):
                await account.ask(number)
                print(f"ack {index} {number}", flush=True)

        async with anyio.create_task_group() as group:
            for index in range(ACCOUNTS):
                group.start_soon(drive, index)
        print("done", flush=True)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], backend=sys.argv[2])
