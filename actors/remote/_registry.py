"""Cluster-wide names: a JetStream key-value registry with compare-and-set.

A name maps to ``[node, incarnation, path]``. Registering creates the key only
if it does not exist (or replaces, by compare-and-set on its revision, an
entry whose node is no longer live), so one name has one live actor. The entry
is deleted when the actor stops, when its node detaches, and by the surviving
nodes when its node's lease expires.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import anyio
import msgspec
import nats.errors
import nats.js.errors

from actors import ActorRef, Terminated

from ._buckets import open_bucket
from ._errors import ActorNotFound, NameTaken, check_timeout
from ._names import Address, escape
from ._ref import CallbackRef, RemoteActorRef

if TYPE_CHECKING:
    from nats.js.kv import KeyValue

    from ._node import NatsNode

logger = logging.getLogger(__name__)

#: Lease periods for which a dead node's names are removed again after a failure.
CLEANUP_PATIENCE = 10

#: Seconds between the first looks of ``find(name, timeout=...)``, doubling up to the longest.
FIND_FIRST_PAUSE = 0.05
FIND_LONGEST_PAUSE = 0.5


class NameEntry(msgspec.Struct, array_like=True):
    """Who holds a name: the node, its incarnation, and the actor's path there."""

    node: str
    incarnation: str
    path: str


class NameRegistry:
    """The names this node holds, and lookups of everyone's."""

    def __init__(self, node: NatsNode) -> None:
        self.node = node
        self._kv: KeyValue | None = None
        self._owned: dict[str, tuple[int, ActorRef, CallbackRef]] = {}
        #: Names being registered in the background, set when the attempt ends.
        self._registering: dict[str, anyio.Event] = {}

    @property
    def kv(self) -> KeyValue:
        assert self._kv is not None
        return self._kv

    async def start(self) -> None:
        config = self.node.config
        self._kv = await open_bucket(
            self.node.js,
            self.node.subjects.bucket("names"),
            config.bucket_replicas,
            config.connect_timeout,
        )

    async def _is_live(self, entry: NameEntry) -> bool:
        return await self.node.membership.is_live(entry.node, entry.incarnation)

    async def register(self, ref: ActorRef, *, name: str | None = None) -> None:
        """Hold ``name`` (default ``ref.name``) for the local actor ``ref`` until it stops.

        Raises:
            NameTaken: another live actor holds the name.
            TypeError: ``ref`` is a remote ref.
        """
        if isinstance(ref, RemoteActorRef):
            raise TypeError(f"only local actors can be registered by their node (got {ref!r})")
        name = ref.name if name is None else name
        if not isinstance(name, str) or not name:
            raise ValueError(f"a cluster-wide name must be a non-empty string (got {name!r})")
        key = escape(name)
        membership = self.node.membership
        mine = NameEntry(self.node.name, membership.incarnation, ref.path)
        value = msgspec.msgpack.encode(mine)
        for _ in range(5):  # each round loses a race to a concurrent writer at most
            try:
                revision = await self.kv.create(key, value)
                break
            except nats.js.errors.KeyWrongLastSequenceError:
                pass
            try:
                current = await self.kv.get(key)
            except nats.js.errors.KeyNotFoundError:
                continue
            held = msgspec.msgpack.decode(current.value or b"", type=NameEntry)
            if held == mine:
                return
            if await self._is_live(held):
                raise NameTaken(
                    f"the name {name!r} is held by {held.path} on node {held.node}; "
                    "stop that actor first or choose another name"
                )
            try:
                revision = await self.kv.update(key, value, last=current.revision)
                break
            except nats.js.errors.KeyWrongLastSequenceError:
                continue
        else:
            raise NameTaken(f"the name {name!r} is contended by several nodes; try again")
        listener = CallbackRef(f"{ref.path}#name", lambda message: self._stopped(name, message))
        self._owned[name] = (revision, ref, listener)
        ref._watch(listener)

    def register_soon(self, ref: ActorRef) -> None:
        """Register ``ref`` under its name in the background; a failure is logged.

        Until the attempt ends, :meth:`find` of that name on this node waits for it.
        """
        done = anyio.Event()
        self._registering[ref.name] = done
        if not self.node.start_soon(self._register_quietly, ref, done):
            self._registering.pop(ref.name, None)

    async def _register_quietly(self, ref: ActorRef, done: anyio.Event) -> None:
        try:
            await self.register(ref)
        except (NameTaken, nats.errors.Error, TimeoutError) as error:
            logger.error("%s is not reachable cluster-wide: %s", ref.path, error)  # noqa: TRY400
        finally:
            done.set()
            if self._registering.get(ref.name) is done:
                del self._registering[ref.name]

    def _stopped(self, name: str, message: object) -> None:
        if isinstance(message, Terminated):
            owned = self._owned.pop(name, None)
            if owned is not None:
                self.node.start_soon(self._release, name, owned[0])

    async def _release(self, name: str, revision: int) -> None:
        try:
            await self.kv.delete(escape(name), last=revision)
        except (nats.errors.Error, TimeoutError) as error:
            logger.debug("name %r was not released: %r", name, error)

    async def find(self, name: str, *, timeout: float | None = None) -> ActorRef:
        """The live actor holding ``name``; with ``timeout``, wait up to that long for one.

        A name registered in the background (a named actor just spawned on
        another node) may not be there yet: with ``timeout``, the registry is
        looked at again (every 50 ms at first, then less often, at most every
        0.5 s) until a live actor holds the name or the time is up; a NATS
        error meanwhile (a server failing over) is retried too.

        Raises:
            ActorNotFound: no live actor holds it (within ``timeout``).
            nats.errors.Error, TimeoutError: the registry stayed unreachable.
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"find() needs a non-empty name string (got {name!r})")
        check_timeout(timeout)
        if timeout is None:
            return await self._find(name)
        deadline = anyio.current_time() + timeout
        pause = FIND_FIRST_PAUSE
        while True:
            try:
                return await self._find(name)
            except ActorNotFound as error:
                remaining = deadline - anyio.current_time()
                if remaining <= 0:
                    raise ActorNotFound(f"{error} (waited {timeout:g} s)") from None
            except (nats.errors.Error, TimeoutError):  # the bucket is unreachable for now
                remaining = deadline - anyio.current_time()
                if remaining <= 0:
                    raise
            await anyio.sleep(min(pause, remaining))
            pause = min(pause * 2, FIND_LONGEST_PAUSE)

    async def _find(self, name: str) -> ActorRef:
        registering = self._registering.get(name)
        if registering is not None:
            await registering.wait()
        try:
            current = await self.kv.get(escape(name))
            held = msgspec.msgpack.decode(current.value or b"", type=NameEntry)
        except (nats.js.errors.KeyNotFoundError, msgspec.DecodeError, msgspec.ValidationError):
            raise ActorNotFound(f"no live actor holds the name {name!r} in the cluster") from None
        if not await self._is_live(held):
            self.node.start_soon(self._release, name, current.revision)
            raise ActorNotFound(f"the name {name!r} was held on node {held.node}, which has left")
        ref = self.node.ref_at(Address(held.node, held.path))
        if held.node == self.node.name and isinstance(ref, RemoteActorRef):
            raise ActorNotFound(f"the actor named {name!r} ({held.path}) has stopped")
        return ref

    async def node_died(self, node: str, incarnation: str) -> None:
        """Remove the names held by a node that left (compare-and-set: races are harmless).

        Retried with backoff while the bucket is unreachable (a server of the
        cluster died and its streams are electing new leaders), for up to
        :data:`CLEANUP_PATIENCE` lease periods: a name left behind would point
        at a dead node until someone registers it again.
        """
        delay = 0.1
        deadline = anyio.current_time() + self.node.config.lease_ttl * CLEANUP_PATIENCE
        while True:
            try:
                await self._remove_names_of(node, incarnation)
            except (nats.errors.Error, TimeoutError) as error:
                if anyio.current_time() + delay > deadline:
                    raise
                logger.info(
                    "node %s: removing the names of %s failed (%r); retrying in %.1f s",
                    self.node.name,
                    node,
                    error,
                    delay,
                )
                await anyio.sleep(delay)
                delay = min(delay * 2, 2.0)
            else:
                return

    async def _remove_names_of(self, node: str, incarnation: str) -> None:
        try:
            keys = await self.kv.keys()
        except nats.js.errors.NoKeysError:
            return
        unreachable: BaseException | None = None
        for key in keys:
            try:
                current = await self.kv.get(key)
                held = msgspec.msgpack.decode(current.value or b"", type=NameEntry)
                if held.node == node and held.incarnation == incarnation:
                    await self.kv.delete(key, last=current.revision)
            except (
                nats.js.errors.KeyNotFoundError,  # removed meanwhile
                nats.js.errors.KeyWrongLastSequenceError,  # taken over meanwhile
                msgspec.DecodeError,  # not an entry of ours: never ours to remove
                msgspec.ValidationError,
            ):
                continue
            except (nats.errors.Error, TimeoutError) as error:
                unreachable = error  # the other keys first; node_died retries
        if unreachable is not None:
            raise unreachable

    async def stop(self) -> None:
        """Release every name this node holds (the node is leaving)."""
        for name, (revision, ref, listener) in list(self._owned.items()):
            ref._unwatch(listener)
            await self._release(name, revision)
        self._owned.clear()
