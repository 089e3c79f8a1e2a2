"""Draining a subscription so that nothing the server routed to it is lost.

A drain tells the server that the subscription wants no more messages
(``UNSUB``), then waits for the answer to a ``PING`` sent after it: the server
answers a connection in order, so once the ``PONG`` is back every message it
routed to the subscription before the ``UNSUB`` has arrived, and the
subscription can go once those are handled (the Go client drains this way).

nats-py's ``Subscription.drain`` (checked on 2.16) loses that order: it
appends the ``UNSUB`` to the client's pending buffer, which the flusher task
writes one loop iteration later, but ``flush`` writes its ``PING`` straight to
the socket, so the ``PING`` overtakes the ``UNSUB`` (and any ``PUB`` still
buffered). The ``PONG`` can then come back before the server has seen the
``UNSUB``; nats-py forgets the subscription, and a message the server routes
to it meanwhile (a request this very client published just before, or one
from any other client) arrives for a subscription nats-py no longer knows,
and is dropped without a word. For a pool member, an ``ask`` then waited for
its whole timeout instead of being answered (by the member, or with
``ActorNotFound``).

:func:`drain_in_order` does what ``Subscription.drain`` does, with one step
more: after queueing the ``UNSUB`` it writes the pending buffer to the socket
itself, as the flusher task would, so the ``PING`` that follows comes after
it. That needs private attributes of nats-py, so it is used only with the
versions it was checked against (:data:`actors.remote._runs.CHECKED`, the one
list of checked versions for every such use) and objects that have all of
them; anything else, or a client that is reconnecting (its buffer then waits
for the new connection), gets the public ``drain``.
"""

from __future__ import annotations

import logging
from typing import Any

from nats import errors
from nats.aio import client as nats_client

from ._runs import CHECKED, nats_py_version

logger = logging.getLogger(__name__)

#: What the ordered drain uses of the client.
_CLIENT_ATTRIBUTES = (
    "_send_unsubscribe",
    "_pending",
    "_pending_data_size",
    "_transport",
    "_remove_sub",
    "flush",
    "is_connected",
    "is_closed",
    "is_draining",
)
#: What the ordered drain uses of the subscription.
_SUBSCRIPTION_ATTRIBUTES = ("_conn", "_id", "_closed", "_pending_queue", "_stop_processing")


def ordered_drain_available(subscription: Any) -> bool:
    """Whether :func:`drain_in_order` takes its own path for ``subscription`` (the nats-py one)."""
    if nats_py_version() not in CHECKED:
        return False
    if not all(hasattr(subscription, name) for name in _SUBSCRIPTION_ATTRIBUTES):
        return False
    return all(hasattr(subscription._conn, name) for name in _CLIENT_ATTRIBUTES)


async def drain_in_order(subscription: Any) -> None:
    """On the client's loop: drain ``subscription``, its ``PING`` sent after its ``UNSUB``.

    Returns once the server has taken the ``UNSUB`` and every message it had
    routed to the subscription has been handed to the subscription's
    callback, which has returned. Raises what ``Subscription.drain`` raises
    (the connection is closed or draining, the subscription is closed) and,
    if the server does not answer the ``PING`` in time, ``FlushTimeoutError``.
    """
    if not ordered_drain_available(subscription):
        logger.debug("nats-py %s: the public drain", getattr(nats_client, "__version__", "?"))
        await subscription.drain()
        return
    nc = subscription._conn
    if nc.is_closed:
        raise errors.ConnectionClosedError
    if nc.is_draining:
        raise errors.ConnectionDrainingError
    if subscription._closed:
        raise errors.BadSubscriptionError
    if not nc.is_connected:  # reconnecting: nothing reaches the socket before the new connection
        await subscription.drain()
        return
    try:
        await nc._send_unsubscribe(subscription._id)  # UNSUB appended to the pending buffer
        _write_pending_now(nc)  # the UNSUB (and every command before it) ahead of the PING
        await nc.flush()  # the PONG comes after every message routed to the subscription
        await subscription._pending_queue.join()  # each handed to the callback, which returned
        subscription._stop_processing()
        nc._remove_sub(subscription._id)
    finally:
        subscription._closed = True


def _write_pending_now(nc: Any) -> None:
    """What the flusher task does, now: the pending buffer to the socket, ahead of a ``PING``.

    ``flush`` writes its ``PING`` straight to the socket; whatever waits in the
    buffer would otherwise reach the server after it.
    """
    if nc.is_connected and nc._pending:
        nc._transport.writelines(nc._pending[:])
        nc._pending = []
        nc._pending_data_size = 0


def ordered_flush_available(nc: Any) -> bool:
    """Whether :func:`flush_in_order` takes its own path for the client ``nc``."""
    return nats_py_version() in CHECKED and all(hasattr(nc, name) for name in _CLIENT_ATTRIBUTES)


async def flush_in_order(nc: Any) -> None:
    """On the client's loop: return once the server has taken every command queued so far.

    A new subscription's ``SUB`` waits in the pending buffer; once this
    returns, the server routes to it (a request sent from any connection
    finds it, instead of "no responders"). On the checked nats-py the buffer
    is written before the ``PING``, so one round trip proves it. Elsewhere,
    and while reconnecting, two flushes: the first one's round trip gives
    the flusher task its turn to write the buffer, ahead of the second
    ``PING`` (best effort: a flusher held up by a full socket can miss it).
    """
    if ordered_flush_available(nc) and nc.is_connected:
        _write_pending_now(nc)
        await nc.flush()
        return
    await nc.flush()
    await nc.flush()
