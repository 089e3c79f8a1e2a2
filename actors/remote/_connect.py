"""Connecting a node to NATS: bounded in time, and failing with the cause named.

nats-py on its own retries a failed first connection for minutes (60 attempts
per server, two seconds apart) and reports each attempt to the error callback.
Here the first connection is bounded by ``NatsCluster(connect_timeout=...)``,
the attempts' errors are collected instead of logged, a refusal that no retry
can fix (wrong credentials, a failed TLS handshake) ends the wait at once, and
what is raised is one :class:`ClusterUnreachable` sentence saying what went
wrong and how to fix it. JetStream is checked right after, since every node
needs it for its lease.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import anyio
import nats.errors
import nats.js.errors
from nats.aio.client import Client

from ._bridge import Proxy, target_of
from ._draining import flush_in_order
from ._errors import ClusterUnreachable

logger = logging.getLogger(__name__)

#: Seconds the JetStream check may take once connected.
JETSTREAM_CHECK_TIMEOUT = 2.0

#: Seconds that closing a client whose first connection failed may take.
CLOSE_TIMEOUT = 1.0


def _is_authorization(error: BaseException) -> bool:
    if isinstance(error, nats.errors.AuthorizationError):
        return True
    text = str(error).lower()
    return "authorization violation" in text or "authentication" in text


def _is_tls(error: BaseException) -> bool:
    return isinstance(
        error,
        ssl.SSLError | nats.errors.SecureConnRequiredError | nats.errors.SecureConnFailedError,
    )


def _is_fatal(error: BaseException) -> bool:
    """A refusal that retrying cannot fix: stop waiting at once."""
    return _is_authorization(error) or _is_tls(error)


def explain(where: str, error: BaseException | None, timeout: float) -> ClusterUnreachable:
    """The error for a first connection that failed with ``error`` (``None``: no attempt ended)."""
    if error is not None and _is_authorization(error):
        return ClusterUnreachable(
            f"the NATS server at {where} refused this node's credentials ({error}); "
            "check NatsCluster(credentials=...) or the user, password, token or nkeys_seed "
            "in connect_options against the server's authorization block"
        )
    if error is not None and _is_tls(error):
        return ClusterUnreachable(
            f"the TLS connection to the NATS server at {where} failed ({error!r}); "
            "the server requires TLS: pass NatsCluster(tls=ssl_context) with a context "
            "that trusts the server's certificate"
        )
    if isinstance(error, ConnectionRefusedError):
        return ClusterUnreachable(
            f"nothing is listening at {where} (connection refused); start a server "
            "(`python -m actors.remote.server` for development) or correct NatsCluster(servers=...)"
        )
    return ClusterUnreachable(
        f"could not connect to the NATS server at {where} within {timeout:g} s "
        f"(last error: {error!r}); check that it runs and is reachable, "
        "or raise NatsCluster(connect_timeout=...)"
    )


async def connect(
    servers: Sequence[str],
    timeout: float,
    options: dict[str, Any],
    on_error: Callable[[Exception], Awaitable[None]],
) -> Client:
    """A connected client, within ``timeout`` seconds, with JetStream available.

    ``on_error`` receives the client's errors once the first connection is
    made (those before it are collected and explained instead); an
    ``error_cb`` in ``options`` receives all of them.

    Raises:
        ClusterUnreachable: no server could be joined in time, the server
            refused the credentials or the TLS handshake, or JetStream is off.
    """
    where = ", ".join(servers)
    errors: list[Exception] = []
    connected = False
    fatal = anyio.Event()

    users_callback = options.pop("error_cb", None)  # from connect_options: called too

    async def collect(error: Exception) -> None:
        if users_callback is not None:
            await users_callback(error)
        if connected:
            await on_error(error)
            return
        logger.debug("connecting to %s: %r", where, error)
        errors.append(error)
        if _is_fatal(error):
            fatal.set()

    nc = Client()
    attempt_timeout = min(float(options.pop("connect_timeout", 2.0)), timeout)
    deadline = anyio.current_time() + timeout
    with anyio.move_on_after(timeout):
        async with anyio.create_task_group() as task_group:

            async def stop_on_fatal() -> None:
                await fatal.wait()
                task_group.cancel_scope.cancel()

            task_group.start_soon(stop_on_fatal)
            try:
                await nc.connect(
                    list(servers),
                    error_cb=collect,
                    connect_timeout=max(1, round(attempt_timeout)),
                    **options,
                )
            except (OSError, nats.errors.Error, TimeoutError) as error:
                errors.append(error)
            else:
                connected = True
            task_group.cancel_scope.cancel()
    if not connected:
        await _close(nc)
        last = next((error for error in reversed(errors) if _is_fatal(error)), None)
        if last is None:
            refused = [error for error in errors if isinstance(error, ConnectionRefusedError)]
            last = refused[-1] if refused else (errors[-1] if errors else None)
        raise explain(where, last, timeout)
    try:
        await _check_jetstream(nc, where, deadline)
    except BaseException:
        await _close(nc)
        raise
    return nc


async def _close(nc: Client) -> None:
    """Close a client whose first connection failed, its socket included.

    A connection attempt cancelled mid-way leaves the client marked closed
    with its transport open, which ``close()`` then skips: close that too.
    """
    with anyio.move_on_after(CLOSE_TIMEOUT):
        await nc.close()
    transport = nc._transport
    if transport is not None:
        transport.close()  # type: ignore[no-untyped-call]
        # An SSL transport cancelled in its handshake may never report itself closed.
        with anyio.move_on_after(CLOSE_TIMEOUT):
            try:
                await transport.wait_closed()  # type: ignore[no-untyped-call]
            except OSError as error:
                logger.debug("closing the failed connection: %r", error)


async def _check_jetstream(nc: Client, where: str, deadline: float) -> None:
    """Wait for JetStream to answer, until ``deadline`` (a new cluster elects its leader first)."""
    js = nc.jetstream(timeout=JETSTREAM_CHECK_TIMEOUT)
    while True:
        try:
            await js.account_info()
        except (
            nats.js.errors.ServiceUnavailableError,
            nats.errors.NoRespondersError,
            nats.errors.TimeoutError,
        ):
            # The server says in its INFO whether it runs JetStream: if not, stop now.
            if not nc._server_info.get("jetstream") or anyio.current_time() >= deadline:
                break
            await anyio.sleep(0.1)
        else:
            return
    raise ClusterUnreachable(
        f"the NATS server at {where} does not have JetStream enabled, which keeps the "
        "cluster's leases and names; start it with --jetstream (`nats-server -js`) or "
        "add a jetstream block to its configuration"
    )


async def flush_subscriptions(nc: Client) -> None:
    """Return once the server has every subscription made so far.

    nats-py writes a flush's PING straight to the socket, ahead of commands
    still in its buffer (a new subscription's SUB among them): a plain flush
    can come back before the server has the subscription, and a request sent
    meanwhile from another connection meets "no responders".
    :func:`~actors.remote._draining.flush_in_order` writes the buffer first,
    on the client's loop (on trio, ``nc`` is a proxy to it).
    """
    if isinstance(nc, Proxy):
        await nc._hosted.call(flush_in_order, target_of(nc))
    else:
        await flush_in_order(nc)
