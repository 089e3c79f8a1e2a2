"""``serve_observer``: the observer's web server, run as a service of the actor system."""

from __future__ import annotations

import logging
import secrets
import socket
import sys
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import anyio

from ._feed import Feed
from ._snapshot import Sampler, dumps

if TYPE_CHECKING:
    from actors import ActorSystem

logger = logging.getLogger("actors.observer")

#: Seconds between two looks at the system for changes to push to the page.
DEFAULT_INTERVAL = 0.5
#: Seconds an idle event stream waits before it sends a keep-alive comment.
KEEP_ALIVE = 15.0
#: Seconds open connections get to finish when the observer stops.
GRACEFUL_TIMEOUT = 1.0

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class Observer:
    """A running observer: a web page showing one actor system live.

    Made by :func:`serve_observer`. It runs until the system shuts down, or
    until :meth:`close`.

    Attributes:
        url: the page's address, e.g. ``http://127.0.0.1:8089/``.
        token: the secret the action endpoints require (header
            ``X-Observer-Token`` or query ``?token=``); open
            ``url + "?token=" + token`` to get a page with working actions.
        host: the address it listens on.
        port: the port it listens on (the one chosen when ``port=0`` was asked).
        actions: whether actions (stop, inject a failure, send) are allowed.
        message_types: the message classes the page may send, by name.
    """

    def __init__(
        self,
        system: ActorSystem,
        listener: socket.socket,
        *,
        actions: bool,
        message_types: Mapping[str, type],
        interval: float,
    ) -> None:
        self.system = system
        self.actions = actions
        self.message_types = dict(message_types)
        self.token = secrets.token_urlsafe(24)
        self.interval = interval
        address = listener.getsockname()
        self.host: str = address[0]
        self.port: int = address[1]
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{shown}:{self.port}/"
        wildcard = self.host in {"0.0.0.0", "::"}
        self.allowed_hosts = (
            ["*"] if wildcard else sorted({*_LOOPBACK, self.host, f"[{self.host}]"})
        )
        self._listener = listener
        self._feed = Feed()
        self._sampler = Sampler(system, self._feed, actions=actions, message_types=message_types)
        self._document = dumps(self._sampler.sample())
        self._version = 0
        self._changed = anyio.Event()
        self._stopping = anyio.Event()
        self._ready = anyio.Event()
        self._stopped = anyio.Event()
        self._error: BaseException | None = None
        self._server_scope: anyio.CancelScope | None = None

    def __repr__(self) -> str:
        return f"<Observer {self.url} of {self.system.name!r}>"

    def sample(self) -> dict[str, Any]:
        """Look at the system now, and push the result to every open page if it changed."""
        document = self._sampler.sample()
        self._publish(dumps(document))
        return document

    def close(self) -> None:
        """Stop serving: open pages are disconnected within about a second. Idempotent."""
        self._stopping.set()

    async def wait_closed(self) -> None:
        """Wait until the server has stopped (after :meth:`close`, or at the system's shutdown)."""
        await self._stopped.wait()

    def _publish(self, document: str) -> None:
        if document != self._document:
            self._document = document
            self._version += 1
            self._changed.set()
            self._changed = anyio.Event()

    def event_lines(self) -> AsyncIterator[str]:
        """The server-sent events of one page: a ``snapshot`` event at once and on every change."""
        return _EventLines(self)

    async def _run(self, app: Any) -> None:
        self._feed.subscribe(self.system)
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._serve, app)
                group.start_soon(self._sample_loop)
                try:
                    await self._stopping.wait()
                finally:
                    self._stopping.set()
                    if self._server_scope is not None:
                        self._server_scope.deadline = anyio.current_time() + GRACEFUL_TIMEOUT + 1
                    group.cancel_scope.cancel()
        finally:
            self._feed.unsubscribe(self.system)
            self._ready.set()
            self._stopped.set()
            logger.info("observer at %s stopped", self.url)

    async def _sample_loop(self) -> None:
        while True:
            await anyio.sleep(self.interval)
            try:
                self.sample()
            except Exception:  # the observer must never take the system down
                logger.exception("observer: could not sample actor system %s", self.system.name)

    async def _serve(self, app: Any) -> None:
        from hypercorn.config import Config  # noqa: PLC0415 - the optional extra

        config = Config()
        config.bind = [f"fd://{self._listener.detach()}"]
        config.errorlog = logging.getLogger("actors.observer.http")
        config.accesslog = None
        config.graceful_timeout = GRACEFUL_TIMEOUT
        config.include_server_header = False
        # Shielded, so that the system's shutdown (which cancels its tasks)
        # becomes a graceful stop of the server, bounded by the deadline set
        # in _run, instead of tearing sockets down mid-write.
        with anyio.CancelScope(shield=True) as scope:
            self._server_scope = scope
            try:
                if _running_trio():
                    from hypercorn.trio import serve as serve_trio  # noqa: PLC0415

                    await serve_trio(app, config, shutdown_trigger=self._stopping.wait)
                else:
                    from hypercorn.asyncio import serve as serve_asyncio  # noqa: PLC0415

                    await serve_asyncio(app, config, shutdown_trigger=self._stopping.wait)
            except Exception as error:
                self._error = error
                logger.exception("observer at %s failed", self.url)
            finally:
                self._stopping.set()


class _EventLines:
    """One page's event stream (an iterator object, not an async generator, so that a
    disconnect, which abandons it, leaves nothing for the garbage collector to finalize)."""

    def __init__(self, observer: Observer) -> None:
        self._observer = observer
        self._version = -1

    def __aiter__(self) -> _EventLines:
        return self

    async def __anext__(self) -> str:
        observer = self._observer
        while not observer._stopping.is_set():
            if self._version != observer._version:
                self._version = observer._version
                return f"event: snapshot\ndata: {observer._document}\n\n"
            changed = observer._changed
            with anyio.move_on_after(KEEP_ALIVE) as timeout:
                async with anyio.create_task_group() as group:

                    async def stop_on(event: anyio.Event) -> None:
                        await event.wait()
                        group.cancel_scope.cancel()

                    group.start_soon(stop_on, changed)
                    group.start_soon(stop_on, observer._stopping)
            if timeout.cancelled_caught:
                return ": keep-alive\n\n"
        raise StopAsyncIteration


def _running_trio() -> bool:
    trio = sys.modules.get("trio")
    if trio is None:
        return False
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True


async def serve_observer(
    system: ActorSystem,
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    actions: bool = False,
    message_types: Iterable[type] = (),
    interval: float = DEFAULT_INTERVAL,
) -> Observer:
    """Serve a live web page of ``system`` and return once it listens.

    The page shows the supervision tree (collapsible) with each actor's state,
    mailbox depth, message rate, failures and restarts, updated as they change
    (server-sent events); the recent failures with their tracebacks; and the
    dead letters by type. The server runs as a task of the system
    (``system.start_soon``) on asyncio or trio, and stops when the system
    shuts down or :meth:`Observer.close` is called.

    Needs the ``observer`` extra: ``pip install 'anyactors[observer]'``.

    Args:
        system: a running :class:`actors.ActorSystem`.
        port: the TCP port; ``0`` picks a free one (read ``observer.port``).
        host: the address to listen on. The default is loopback only; anything
            else exposes the page (and, with ``actions``, control of the
            system) to the network.
        actions: allow the page to stop actors, inject failures and send
            messages. Each action needs the token too (``observer.token``,
            logged at start-up at WARNING level).
        message_types: the classes the page may build messages from (attrs
            classes or dataclasses, fields given as JSON; a field given as
            ``{"$ref": "/user/path"}`` becomes that actor's ref).
        interval: seconds between two looks at the system for changes.

    Raises:
        ImportError: the ``observer`` extra is not installed.
        ActorSystemClosed: the system is not running.
        OSError: the address cannot be bound (for example, the port is taken).
        ValueError: a bad ``port`` or ``interval``.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be a whole number from 0 to 65535 (got {port!r})")
    if isinstance(interval, bool) or not isinstance(interval, int | float) or not interval > 0:
        raise ValueError(f"interval must be > 0 seconds (got {interval!r})")
    types = {}
    for message_type in message_types:
        if not isinstance(message_type, type):
            raise TypeError(f"message_types must hold classes (got {message_type!r})")
        types[message_type.__qualname__] = message_type
    try:
        from ._app import build_app  # noqa: PLC0415 - the optional extra
    except ImportError as error:
        raise ImportError(
            f"serve_observer needs the observer extra ({error.name} is missing): "
            "pip install 'anyactors[observer]'"
        ) from error
    system.statistics()  # raises ActorSystemClosed before anything is bound
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=128)
    listener.setblocking(False)
    try:
        observer = Observer(
            system, listener, actions=actions, message_types=types, interval=float(interval)
        )
        system.start_soon(observer._run, build_app(observer), name=f"observer {observer.url}")
    except BaseException:
        listener.close()
        raise
    await observer._ready.wait()
    if observer._error is not None:
        raise RuntimeError(f"the observer could not start: {observer._error}") from observer._error
    if actions:
        logger.warning(
            "observer at %s with actions enabled; token %s (open %s?token=%s)",
            observer.url,
            observer.token,
            observer.url,
            observer.token,
        )
    else:
        logger.info("observer at %s", observer.url)
    return observer
