"""A ledger process for the durable-mailbox tests: started, killed with SIGKILL, started again.

Usage::

    python -m tests.remote.durable_ledger URL NODE RECORD EXPECTED [STALL_AT]

It serves the durable mailbox ``ledger`` with a :class:`Ledger` that appends
each ``Entry``'s number to the file ``RECORD``, once: it reads the numbers
already recorded when it starts and skips those (idempotent by the message's
own id, which is also its JetStream message id). It prints ``ready``, then
``handled N`` after every 500 new entries, ``skipped N`` for each redelivered
entry it had recorded already, and ``done S`` (S: redeliveries skipped so far)
once ``RECORD`` holds ``EXPECTED`` distinct numbers. With
``STALL_AT``, the handler stops for good right after recording its
``STALL_AT``-th new entry (and printing ``handled STALL_AT``): that entry is
recorded but never acknowledged, the crash window a kill then hits. Each number is
written with one ``write`` on an ``O_APPEND`` descriptor, so a kill leaves
whole lines only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import anyio

from actors import Actor, ActorSystem
from actors.remote import NatsCluster, attach_cluster
from tests.remote.processes import BACKEND_VARIABLE
from tests.remote.remote_helpers import Entry, make_registry


class Ledger(Actor):
    """Records each entry's number once; reports progress on stdout."""

    def __init__(self, record: Path, expected: int, done: anyio.Event, stall_at: int) -> None:
        self.seen = {int(line) for line in record.read_text().split()} if record.exists() else set()
        self.fd = os.open(record, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        self.expected = expected
        self.done = done
        self.new = 0
        self.skipped = 0
        self.stall_at = stall_at

    async def receive(self, message: Any) -> Any:
        if not isinstance(message, Entry):
            return None
        if message.number in self.seen:
            self.skipped += 1  # delivered again after a crash: already recorded
            print(f"skipped {message.number}", flush=True)
        else:
            os.write(self.fd, f"{message.number}\n".encode())
            self.seen.add(message.number)
            self.new += 1
            if self.new % 500 == 0 or self.new == self.stall_at:
                print(f"handled {self.new}", flush=True)
            if self.new == self.stall_at:
                await anyio.sleep_forever()  # recorded, never acknowledged: kill me now
        if len(self.seen) == self.expected and not self.done.is_set():
            print(f"done {self.skipped}", flush=True)
            self.done.set()
        return None


async def main(url: str, node: str, record: Path, expected: int, stall_at: int) -> None:
    cluster = NatsCluster(url, node=node, registry=make_registry())
    done = anyio.Event()
    async with (
        ActorSystem("shop", shutdown_timeout=5) as system,
        attach_cluster(system, cluster) as attached,
    ):
        ledger = system.spawn(Ledger, record, expected, done, stall_at, name="ledger")
        await attached.serve_durable("ledger", ledger, ack_wait=1.0)
        print("ready", flush=True)
        await anyio.sleep_forever()


if __name__ == "__main__":
    url, node, record, expected, *stall_at = sys.argv[1:]
    stall = int(stall_at[0]) if stall_at else -1
    anyio.run(
        main,
        url,
        node,
        Path(record),
        int(expected),
        stall,
        backend=os.environ.get(BACKEND_VARIABLE, "asyncio"),
    )
