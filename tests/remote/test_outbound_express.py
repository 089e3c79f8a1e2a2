"""On trio, a request or reply offered to an idle outbound buffer crosses to the client loop at once.

The node's sender task would add a pass of trio's scheduler before the frame
crosses; someone waits for a request or a reply, so those go straight to the
publisher when nothing of the buffer is queued or being handed over. Tells
keep the batched path. (The real-server tests in test_remote_backends.py
check the order of bursts of tells and asks end to end.)
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from actors.remote._outbound import Item, Outbound

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    # Only a node on trio hosts nats-py on another thread: its outbound buffer
    # (hosted=True) signals with trio events, and express is set only there.
    # The end-to-end tests of both backends are in test_remote_backends.py.
    return "trio"


def _tell(number: int) -> Item:
    return ("subject", "", f"{number}".encode(), object(), number, None)  # type: ignore[return-value]


def _request(number: int) -> Item:
    return ("subject", "reply.1", f"{number}".encode(), None, number, None)


def _reply(number: int) -> Item:
    return ("reply.2", "", f"{number}".encode(), None, None, None)


async def test_requests_and_replies_cross_at_once_only_while_the_sender_is_idle() -> None:
    outbound = Outbound(8, hosted=True)
    crossed: list[Item] = []
    published: list[list[Item]] = []
    room = [3]  # what the publisher may still take at once

    def express(item: Item) -> bool:
        if room[0] == 0:
            return False
        room[0] -= 1
        crossed.append(item)
        return True

    async def publish(batch: list[Item]) -> list[tuple[Item, Exception]]:
        published.append(batch)
        return []

    outbound.express = express

    def failed(item: Any, error: Exception) -> None:
        raise AssertionError(f"{item!r} failed: {error!r}")

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(outbound.run_batched, publish, failed)
        await anyio.wait_all_tasks_blocked()  # the sender is idle now
        assert outbound.offer(_request(1))
        assert outbound.offer(_reply(2))
        assert crossed == [_request(1), _reply(2)]
        assert len(outbound) == 0
        assert outbound.offer(_tell(3))  # a tell: the batched path, and the sender is busy
        assert outbound.offer(_request(4))  # queued behind the tell, to keep the order
        assert crossed == [_request(1), _reply(2)]
        assert len(outbound) == 2
        await anyio.wait_all_tasks_blocked()
        assert [item[4] for batch in published for item in batch] == [3, 4]
        room[0] = 0
        assert outbound.offer(_request(5))  # idle again, but the publisher is full:
        assert len(outbound) == 1  # the buffer takes it (and its bound applies)
        await anyio.wait_all_tasks_blocked()
        assert [item[4] for batch in published for item in batch] == [3, 4, 5]
        tasks.cancel_scope.cancel()
