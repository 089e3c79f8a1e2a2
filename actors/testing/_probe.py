"""``Probe``: a ref a test hands to actors, then questions about what they sent it."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar, overload

import anyio
from attrs import define, field

from actors import Actor, ActorRef

from ._idle import WAIT
from ._within import Within

T = TypeVar("T")


@define(eq=False)
class _Slot:
    done: anyio.Event = field(factory=anyio.Event)
    value: Any = None


@define(eq=False)
class _ProbeState:
    """Shared by the probe actor and the test: constructor argument, so it outlives restarts."""

    hold: bool
    autoreply: Callable[[Any], Any] | None = None
    unread: deque[Any] = field(factory=deque)
    received: list[Any] = field(factory=list)
    replies: deque[Any] = field(factory=deque)
    pending: deque[_Slot] = field(factory=deque)
    arrived: anyio.Event = field(factory=anyio.Event)


class ProbeActor(Actor):
    """The actor behind a :class:`Probe`: records every message and answers as told."""

    def __init__(self, state: _ProbeState) -> None:
        self.state = state

    async def receive(self, message: Any) -> Any:
        state = self.state
        state.received.append(message)
        state.unread.append(message)
        state.arrived.set()
        if state.replies:
            return state.replies.popleft()
        if state.autoreply is not None:
            return state.autoreply(message)
        if state.hold:
            slot = _Slot()
            state.pending.append(slot)
            await slot.done.wait()
            return slot.value
        return None


class Probe:
    """A test's stand-in actor: pass :attr:`ref` to actors, then expect what they send.

    Make one with :func:`spawn_probe`. Messages are read in arrival order;
    every ``expect``/``fish`` consumes what it returns (and ``fish`` what it
    skips). Replies to messages (the answer to an ``ask``) come, in order of
    preference, from :meth:`reply` calls made in advance, from ``autoreply``,
    or, with ``hold=True``, from the :meth:`reply` the test makes after
    seeing the message (the probe handles nothing else until then);
    otherwise the reply is ``None``.
    """

    def __init__(self, ref: ActorRef, state: _ProbeState) -> None:
        self._state = state
        #: The probe's ref, to pass to the actors under test.
        self.ref = ref
        # Deadlines of the within(...) blocks being run, innermost last.
        self._deadlines: list[float] = []

    @property
    def received(self) -> list[Any]:
        """Every message the probe has received, read or not, in arrival order."""
        return list(self._state.received)

    def within(self, min: float, max: float | None = None) -> Within:
        """A block that must take at least ``min`` and at most ``max`` seconds (Akka's ``within``).

        ::

            async with probe.within(0.9, 1.1):
                assert await probe.expect(Tick) == Tick()

        ``within(max)`` alone means ``within(0, max)``. Time is
        ``anyio.current_time()``: real seconds, or virtual ones on trio's
        ``MockClock``, where the check is exact. Inside the block ``expect``
        and ``fish`` without a ``timeout`` wait at most for the time left
        until ``max`` (of the innermost block, when blocks are nested); the
        block's ``remaining`` property gives it too.

        Raises:
            ValueError: ``min`` or ``max`` is negative or not finite, or ``min > max``.
            AssertionError: on leaving the block, if it finished before ``min``,
                or was still running at ``max`` (it is cancelled then). An
                exception raised by the block itself propagates unchanged.
        """
        if max is None:
            min, max = 0.0, min
        return Within(self._deadlines, min, max)

    def _deadline(self, timeout: float | None) -> float:
        if timeout is not None:
            return anyio.current_time() + timeout
        if self._deadlines:
            return self._deadlines[-1]
        return anyio.current_time() + WAIT

    async def _next(self, deadline: float) -> Any:
        state = self._state
        while not state.unread:
            state.arrived = anyio.Event()
            with anyio.fail_after(max(deadline - anyio.current_time(), 0)):
                await state.arrived.wait()
        return state.unread.popleft()

    @overload
    async def expect(self, kind: type[T], *, timeout: float | None = None) -> T: ...
    @overload
    async def expect(self, kind: None = None, *, timeout: float | None = None) -> Any: ...
    async def expect(self, kind: type[Any] | None = None, *, timeout: float | None = None) -> Any:
        """Wait for the next message and return it; it must be an instance of ``kind``.

        ``timeout=None`` waits for the time left in the enclosing
        :meth:`within` block, or else ``WAIT`` (5) seconds.

        Raises:
            AssertionError: the next message is of another type (it is consumed).
            TimeoutError: nothing arrived within ``timeout`` seconds (virtual
                seconds on trio's ``MockClock``).
        """
        message = await self._next(self._deadline(timeout))
        if kind is not None and not isinstance(message, kind):
            raise AssertionError(
                f"probe expected a {kind.__qualname__} but the next message is {message!r}"
            )
        return message

    async def fish(
        self, match: type[T] | Callable[[Any], bool], *, timeout: float | None = None
    ) -> Any:
        """Skip messages until one is an instance of ``match`` (or satisfies it); return it.

        ``timeout=None``: as for :meth:`expect`.

        Raises:
            TimeoutError: no such message within ``timeout`` seconds.
        """
        deadline = self._deadline(timeout)
        while True:
            message = await self._next(deadline)
            if isinstance(match, type) and isinstance(message, match):
                return message
            if not isinstance(match, type) and match(message):
                return message

    async def expect_no_message(self, duration: float) -> None:
        """Wait ``duration`` seconds and assert that no message arrived meanwhile.

        Messages already waiting unread fail it at once. Use virtual time
        (trio's ``MockClock``) so that this costs no real time.

        Raises:
            AssertionError: a message arrived; it stays unread.
        """
        if not math.isfinite(duration) or duration < 0:
            raise ValueError(f"duration must be a finite number of seconds >= 0 (got {duration!r})")
        if not self._state.unread:
            await anyio.sleep(duration)
        if self._state.unread:
            raise AssertionError(
                f"probe expected no message for {duration} s but got {self._state.unread[0]!r}"
            )

    def reply(self, value: Any) -> None:
        """Answer the oldest message waiting for a reply (``hold=True``), else the next one."""
        state = self._state
        while state.pending:
            slot = state.pending.popleft()
            if not slot.done.is_set():
                slot.value = value
                slot.done.set()
                return
        state.replies.append(value)

    def set_autoreply(self, fn: Callable[[Any], Any] | None) -> None:
        """Answer every following message with ``fn(message)`` (``None``: stop doing so)."""
        self._state.autoreply = fn


def spawn_probe(
    spawner: Any,
    *,
    name: str | None = None,
    hold: bool = False,
    autoreply: Callable[[Any], Any] | None = None,
) -> Probe:
    """Spawn a :class:`Probe` under ``spawner`` (an ``ActorSystem`` or an ``ActorContext``).

    Args:
        name: the probe actor's name (generated if ``None``).
        hold: answer each message only when the test calls :meth:`Probe.reply`.
        autoreply: answer each message with ``autoreply(message)``.
    """
    state = _ProbeState(hold=hold, autoreply=autoreply)
    ref = spawner.spawn(ProbeActor, state, name=name)
    return Probe(ref, state)
