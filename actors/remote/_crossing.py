"""On trio: the node's runs of arrivals, cut on the client's loop, routed on the trio thread.

The client's loop is asyncio, so :class:`~._receiving.RunReceiver` cuts the
node's subscription into runs there exactly as on asyncio. Each whole run then
crosses to the trio thread in one hand-over: appended to the subscription's
inbox (``_bridge._Inbox.receive_run``), which wakes the inbox's trio task (one
byte on its socket pair per idle spell) as it does for single messages. On
trio, :meth:`Inbound.route_run_hosted` routes the run into mailboxes in one
synchronous pass (it waits only where the public path waits: behind an ask
that must begin first).

The bound stays the subscription's pending limits. A run that has crossed
but is not yet routed still counts against them (:class:`Held`): the
receiver drops what arrives over the limits with nats-py's
``SlowConsumerError`` (counted, a dead letter), so neither the run being cut
nor the crossing grows without bound while trio falls behind. Once the
subscription is unsubscribed or the client closed, a run that has crossed is
dropped on trio, as nats-py drops its queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._bridge import target_of
from ._receiving import Arrival, RunReceiver, receive_runs

if TYPE_CHECKING:
    from ._bridge import _Inbox
    from ._node import NatsNode


class Held:
    """What has crossed to the trio thread and is not yet routed: messages and payload bytes.

    Each counter is written by one thread only (``handed_*`` on the client's
    loop, ``routed_*`` on trio), so either thread reads the difference
    without a lock; the client's loop may over-count (trio routed meanwhile),
    never under-count.
    """

    __slots__ = ("_inbox", "handed_bytes", "handed_messages", "routed_bytes", "routed_messages")

    def __init__(self, inbox: _Inbox) -> None:
        self._inbox = inbox
        self.handed_messages = 0
        self.handed_bytes = 0
        self.routed_messages = 0
        self.routed_bytes = 0

    def held(self) -> tuple[int, int]:
        """Messages and bytes handed across and not yet routed."""
        return (
            self.handed_messages - self.routed_messages,
            self.handed_bytes - self.routed_bytes,
        )

    def hand(self, run: list[Arrival], size: int) -> None:
        """On the client's loop: send ``run`` (``size`` payload bytes) across, without waiting."""
        self.handed_messages += len(run)
        self.handed_bytes += size
        self._inbox.receive_run(run, size)

    def routed(self, count: int, size: int) -> None:
        """On trio: ``count`` messages of ``size`` bytes have left the crossing."""
        self.routed_messages += count
        self.routed_bytes += size


async def receive_runs_hosted(node: NatsNode) -> RunReceiver | None:
    """On trio: install a run receiver for the node's subscription on the client's loop.

    Returns ``None`` (the public callback path through the inbox stays) where
    :func:`~._receiving.receive_runs` would on asyncio.
    """
    hosted = node.hosted
    assert hosted is not None
    assert node._subscription is not None
    client = node._client
    subscription = target_of(node._subscription)
    inbox = hosted.inboxes[id(subscription)]
    held = Held(inbox)
    limit = node.config.pending_messages
    inbound = node.inbound

    async def route(run: list[Arrival], size: int) -> None:
        try:
            if not (subscription._closed or client.is_closed):  # nats-py drops its queue then
                await inbound.route_run_hosted(run)
        finally:
            held.routed(len(run), size)

    inbox.route_run = route

    async def install() -> RunReceiver | None:
        receiver = receive_runs(client, subscription, _unused, crossing=held)
        if receiver is not None:
            # The public path split the limit between nats-py's queue and the inbox;
            # here the run and the crossing together are held to the whole of it.
            subscription._pending_msgs_limit = limit
        return receiver

    installed: RunReceiver | None = await hosted.call(install)
    return installed


async def uninstall_hosted(node: NatsNode, receiver: RunReceiver) -> None:
    """On trio: give parsing back to nats-py, on the client's loop."""
    assert node.hosted is not None

    async def uninstall() -> None:
        receiver.uninstall()

    await node.hosted.call(uninstall)


def _unused(run: Any) -> None:  # pragma: no cover - a receiver with a crossing hands runs to it
    raise AssertionError("a run crossing to trio goes through Held.hand")
