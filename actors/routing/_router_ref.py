"""``RouterRef``: a ref that routes on the sender's side, straight into a routee's mailbox.

A pool or group is an actor (it owns the routees and the routing state), but
messages sent through its ``RouterRef`` do not pass through that actor's
mailbox: ``tell`` picks a routee with the policy and appends to the routee's
mailbox directly, and ``ask`` asks the routee itself, so it returns the
routee's reply and several asks run at once. Only while the routees are not
known yet (before the pool has started, during its restart) do messages go
through the pool actor, which forwards them in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

import anyio
from attrs import define, field, frozen

from actors import ActorRef, ActorStatistics, ReplyTypeMismatch, Request

from ._policies import RoutingPolicy, Selector, _HashRingSelector
from ._type_parameters import M_contra, R


@frozen
class Sync:
    """Internal: answered by a router actor once it has forwarded what came before."""


@define(eq=False)
class RoutingTable:
    """The routees of one router, shared by the router actor and its ``RouterRef``.

    It is a constructor argument of the router actor, so it survives the
    actor's restarts. ``direct`` is ``False`` while the routees are not
    settled; then messages go through the router actor's mailbox.
    """

    policy: RoutingPolicy
    selector: Selector = field(init=False)
    slots: list[str] = field(factory=list)
    refs: list[ActorRef] = field(factory=list)
    direct: bool = False
    #: The size a pool was last resized to (0: its configured size); kept across restarts.
    size: int = 0

    def __attrs_post_init__(self) -> None:
        self.selector = self.policy.selector()

    def set(self, routees: Sequence[tuple[str, ActorRef]]) -> None:
        """Replace the routees (slot name, ref), in slot order."""
        self.slots = [slot for slot, _ in routees]
        self.refs = [ref for _, ref in routees]

    def select(self, message: object) -> Sequence[ActorRef]:
        """The routees for ``message`` (empty when there are none)."""
        if not self.refs:
            return ()
        return self.selector.select(message, self.slots, self.refs)

    def check(self, message: object) -> None:
        """Raise now what routing ``message`` would raise later, routees or not.

        A sender calls this before it hands a message to the router actor
        (before the routees are settled), so a ``ConsistentHash`` key
        function that fails raises ``HashKeyError`` to the sender, as it
        does once the router routes directly, instead of in the router.
        """
        if isinstance(self.selector, _HashRingSelector):
            self.selector.key_point(message)


class RouterRef(ActorRef[M_contra]):
    """The ref of a pool or group router: sends go to the routee the policy picks.

    A ``RouterRef[M]`` accepts what its routees accept (``spawn_pool`` of an
    ``Actor[M]`` returns one). ``path``, ``statistics()`` and watching are
    those of the router actor
    (see :attr:`router`). ``tell``/``send`` deliver to the chosen routee(s);
    ``ask`` returns the chosen routee's reply (a tuple of every routee's
    reply under ``Broadcast``). Stop the router with
    ``await system.stop(ref.router)``.

    Raises:
        HashKeyError: from ``tell``/``send``/``ask`` under ``ConsistentHash``
            when the key function fails; nothing was sent.
        ActorStopped: from ``ask`` once the router has stopped.
    """

    __slots__ = ("_router", "_table")

    def __init__(self, router: ActorRef[Any], table: RoutingTable) -> None:
        self._router = router
        self._table = table

    @property
    def router(self) -> ActorRef:
        """The plain ref of the router actor (to stop, watch or ask it about its routees)."""
        return self._router

    @property
    def path(self) -> str:
        return self._router.path

    def routees(self) -> tuple[ActorRef, ...]:
        """The current routees, in slot order (a snapshot; empty until the router has started).

        ``await ref.router.ask(GetRoutees())`` waits for the start.
        """
        return tuple(self._table.refs)

    def tell(self, message: M_contra) -> None:
        chosen = self._choose(message)
        if not chosen:  # not settled yet, or no routees: the router actor decides
            self._router.tell(message)
        for ref in chosen:
            ref.tell(message)

    async def send(self, message: M_contra) -> None:
        chosen = self._choose(message)
        if not chosen:
            await self._router.send(message)
        for ref in chosen:
            await ref.send(message)

    def _choose(self, message: object) -> Sequence[ActorRef]:
        table = self._table
        if table.direct:
            return table.select(message)
        table.check(message)  # a failing hash key raises here, to the sender
        return ()

    @overload
    async def ask(self, message: Request[R], *, timeout: float | None = None) -> R: ...
    @overload
    async def ask(
        self, message: Request[Any], *, timeout: float | None = None
    ) -> ReplyTypeMismatch: ...
    @overload
    async def ask(self, message: M_contra, *, timeout: float | None = None) -> Any: ...
    async def ask(self, message: Any, *, timeout: float | None = None) -> Any:
        table = self._table
        table.check(message)
        with anyio.fail_after(timeout):
            while not table.direct or not table.refs:
                # Wait until the router has forwarded everything sent before
                # (per-sender order), or raise ActorStopped if it has stopped.
                await self._router.ask(Sync())
                if not table.refs:
                    await anyio.lowlevel.checkpoint()
                else:
                    break
            chosen = table.select(message)
            if len(chosen) == 1:
                return await chosen[0].ask(message)
            replies: list[Any] = [None] * len(chosen)

            async def one(index: int, ref: ActorRef) -> None:
                replies[index] = await ref.ask(message)

            async with anyio.create_task_group() as group:
                for index, ref in enumerate(chosen):
                    group.start_soon(one, index, ref)
            return tuple(replies)

    def statistics(self) -> ActorStatistics:
        return self._router.statistics()

    # ActorRef requires these two (private) hooks of every ref; watching a
    # router ref watches the router actor.
    def _watch(self, watcher: ActorRef) -> None:
        self._router._watch(watcher)

    def _unwatch(self, watcher: ActorRef) -> None:
        self._router._unwatch(watcher)

    def __eq__(self, other: object) -> bool:
        # Equal to the router actor's own ref too, so Terminated(ref) matches.
        if isinstance(other, RouterRef):
            return self._router == other._router
        if isinstance(other, ActorRef):
            return self._router == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._router)

    def __repr__(self) -> str:
        return f"<RouterRef {self.path}>"
