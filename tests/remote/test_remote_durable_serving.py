"""Issue 18 defect 5: a durable mailbox is never silently left unserved.

nats-py can raise a plain ``asyncio.TimeoutError`` from a pull fetch; any
transient error is retried with backoff, and an error the loop cannot retry
is published as ``DurableServingFailed`` (and logged), never a silent stall.
"""

from __future__ import annotations

from typing import Any

import pytest
from nats.js.client import JetStreamContext

from actors.remote import DurableServingFailed
from actors.remote._durable import MAX_BACKOFF, backoff
from tests.actors.probe import Inbox, Recorder
from tests.remote.nats_servers import NatsServer
from tests.remote.remote_helpers import Entry, nodes

pytestmark = pytest.mark.anyio

_real_fetch = JetStreamContext.PullSubscription.fetch


def failing_fetch(errors: list[BaseException]) -> Any:
    """A ``fetch`` that raises each of ``errors`` once, in order, then fetches for real."""

    async def fetch(self: Any, *args: Any, **kwargs: Any) -> Any:
        if errors:
            raise errors.pop(0)
        return await _real_fetch(self, *args, **kwargs)

    return fetch


async def test_serving_survives_plain_asyncio_timeouts_and_connection_errors(
    nats_server: NatsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors: list[BaseException] = [
        TimeoutError(),
        TimeoutError(),
        ConnectionResetError("the server went away"),
        TimeoutError(),
    ]
    monkeypatch.setattr(JetStreamContext.PullSubscription, "fetch", failing_fetch(errors))
    async with nodes(nats_server.url, "a") as [(system, node)]:
        inbox = Inbox()
        ledger = system.spawn(Recorder, inbox, name="ledger")
        mailbox = await node.durable("ledger")
        await node.serve_durable("ledger", ledger)
        for number in range(3):
            await mailbox.send(Entry(number))
        assert await inbox.wait_for(3) == [Entry(0), Entry(1), Entry(2)]
        assert errors == []  # every injected error was met, and serving went on


async def test_an_error_serving_cannot_retry_is_published_not_swallowed(
    nats_server: NatsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bug = RuntimeError("a bug in the loop")
    monkeypatch.setattr(JetStreamContext.PullSubscription, "fetch", failing_fetch([bug]))
    async with nodes(nats_server.url, "a") as [(system, node)]:
        failures = Inbox()
        system.event_stream.subscribe(system.spawn(Recorder, failures), DurableServingFailed)
        ledger = system.spawn(Recorder, Inbox(), name="ledger")
        await node.serve_durable("ledger", ledger)
        [failure] = await failures.wait_for(1)
        assert failure == DurableServingFailed(name="ledger", ref=ledger, error=bug)


def test_backoff_doubles_up_to_its_limit() -> None:
    waits = [backoff(failures) for failures in range(1, 12)]
    assert waits[:4] == [0.1, 0.2, 0.4, 0.8]
    assert waits == sorted(waits)
    assert waits[-1] == MAX_BACKOFF
