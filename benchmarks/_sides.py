"""One actor body, every system: the base classes that adapt a workload's logic to a system.

A workload writes its actors once, as plain mixins with ``setup`` (the
constructor's arguments) and ``receive``. Each system contributes a base that
gives the mixin the same three things: ``self.me`` (its own ref, set before
the first message), ``make_child(cls, *args)`` and a ref with ``tell``. So
every system runs the same handler code, and only the runtime differs.

The runtime-side cost is one attribute read for ``self.me``, the same in every
system; nothing wraps the per-message path of anyactors or of the baseline.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from actors import Actor, ActorSystem

from ._baseline import BaselineActor, BaselineSystem
from ._systems import run_async
from ._workload import Implementation, Latch, Sample, Signal


class Logic:
    """What a workload's actor mixin subclasses: ``setup`` and ``receive``."""

    __slots__ = ()

    me: Any

    def setup(self, *args: Any) -> None:
        """Take the constructor's arguments (the default takes none)."""
        if args:
            raise TypeError(f"{type(self).__name__} takes no arguments (got {args!r})")

    def receive(self, message: Any) -> Any:
        """Handle one message; the return value answers an ``ask``."""
        raise NotImplementedError

    def on_running(self) -> None:
        """Called by the peers' bases once the actor runs (Pykka's ``on_start``)."""

    if TYPE_CHECKING:  # provided by each system's base, which comes after the mixin

        def make_child(self, actor_class: type[Any], *args: Any) -> Any:
            """Spawn ``actor_class(*args)`` (of this system) and return its ref."""


class AnyactorsBase(Actor):
    """The anyactors side: ``me`` is ``context.self_ref``, children are ``context.spawn``."""

    me: Any

    def __init__(self, *args: Any) -> None:
        self.me = self.context.self_ref
        self.setup(*args)

    def setup(self, *args: Any) -> None:
        raise NotImplementedError

    def make_child(self, actor_class: type[Any], *args: Any) -> Any:
        return self.context.spawn(actor_class, *args)


class BaselineBase(BaselineActor):
    """The baseline side: ``me`` is ``self_ref``, children are spawned on its system."""

    me: Any

    def __init__(self, *args: Any) -> None:
        self.setup(*args)

    def setup(self, *args: Any) -> None:
        raise NotImplementedError

    def on_start(self) -> None:
        self.me = self.self_ref

    def make_child(self, actor_class: type[Any], *args: Any) -> Any:
        return self.self_ref.system.spawn(actor_class, *args)


_SYSTEM_CLASSES: dict[tuple[type[Any], type[Any]], type[Any]] = {}


def system_class(logic: type[Any], base: type[Any]) -> type[Any]:
    """The class that runs ``logic`` on the system of ``base``: ``class X(logic, base)``, cached."""
    if issubclass(logic, base):
        return logic
    key = (logic, base)
    cls = _SYSTEM_CLASSES.get(key)
    if cls is None:
        cls = _SYSTEM_CLASSES[key] = type(logic.__name__, (logic, base), {})
    return cls


class AsyncHost:
    """The host task's view of an open anyactors or baseline system.

    ``spawn(logic, *args)`` spawns the system's class for ``logic``; refs have
    ``tell`` and an awaitable ``ask``; signals are ``anyio.Event``.
    """

    def __init__(self, system: Any, base: type[Any]) -> None:
        self.system = system
        self.base = base
        self._classes: dict[type[Any], type[Any]] = {}

    def spawn(self, logic: type[Any], *args: Any) -> Any:
        """Spawn a top-level actor running ``logic`` and return its ref."""
        cls = self._classes.get(logic)
        if cls is None:
            cls = self._classes[logic] = system_class(logic, self.base)
        return self.system.spawn(cls, *args)


async def _in_system(
    open_system: Callable[[], Any],
    base: type[Any],
    drive: Callable[[AsyncHost, int], Awaitable[Sample]],
    size: int,
) -> Sample:
    async with open_system() as system:
        return await drive(AsyncHost(system, base), size)


def _open_anyactors() -> ActorSystem:
    return ActorSystem("bench")


def anyactors(drive: Callable[[AsyncHost, int], Awaitable[Sample]]) -> Implementation:
    """An implementation that runs ``drive`` against a fresh ``ActorSystem``."""

    def implementation(size: int, backend: str) -> Sample:
        return run_async(_in_system, _open_anyactors, AnyactorsBase, drive, size, backend=backend)

    return implementation


def baseline(drive: Callable[[AsyncHost, int], Awaitable[Sample]]) -> Implementation:
    """An implementation that runs ``drive`` against a fresh ``BaselineSystem``."""

    def implementation(size: int, backend: str) -> Sample:
        return run_async(_in_system, BaselineSystem, BaselineBase, drive, size, backend=backend)

    return implementation


class SyncHost(Protocol):
    """The calling thread's view of an open peer system (Pykka, Thespian).

    Refs it returns have ``tell``; ``ask`` blocks; signals have ``set``.
    """

    def spawn(self, logic: type[Any], *args: Any) -> Any:
        """Start an actor running ``logic`` and return its ref."""

    def ask(self, ref: Any, message: object) -> Any:
        """Send ``message`` to ``ref`` and block until it answers."""

    def signal(self) -> Signal:
        """A new one-shot signal that actors may set."""

    def wait(self, signal: Signal) -> None:
        """Block until ``signal`` is set."""

    def latch(self, count: int, signal: Signal) -> Latch:
        """A latch that actors of this system may tick concurrently."""
