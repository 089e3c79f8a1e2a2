"""The workloads on Thespian's in-process ``simpleSystemBase``, driven from the calling thread.

``simpleSystemBase`` runs every actor in the caller's thread, inside
``ActorSystem.tell``/``ask``/``listen``. Thespian actors answer with
``self.send(address, message)`` and take no constructor arguments, so the
adapter here gives the shared workload logic the same surface as the other
systems: refs with ``tell`` (a :class:`ThespianRef` that sends from the actor
being run, or from the system when the caller is the host), arguments in a
first ``_Init`` message, and a reply to the sender for every non-``None``
return value. Each sample runs in a fresh ``ActorSystem`` that is shut down
afterwards (untimed). Thespian has no type stubs, hence the narrow ``type: ignore``s.
"""

from __future__ import annotations

from typing import Any

from thespian.actors import (  # type: ignore[import-untyped]
    Actor,
    ActorSystem,
    ActorSystemMessage,
)

from ._peer_workloads import DRIVERS
from ._sides import SyncHost, system_class
from ._workload import Latch, Sample, Signal

#: The actor whose ``receiveMessage`` is running, if any: ``tell`` sends from it.
_current: Any = None
#: The open system and the host's own address (where signals are sent).
_system: Any = None
_external: Any = None
_WHO = "who"


class _Init:
    __slots__ = ("args",)

    def __init__(self, args: tuple[Any, ...]) -> None:
        self.args = args


class ThespianRef:
    """An address with ``tell``: sends from the running actor, or from the host."""

    __slots__ = ("address",)

    def __init__(self, address: Any) -> None:
        self.address = address

    def tell(self, message: object) -> None:
        actor = _current
        if actor is None:
            _system.tell(self.address, message)
        else:
            actor.send(self.address, message)


class ThespianSignal:
    """A signal an actor sets by sending it to the host."""

    __slots__ = ("is_set",)

    def __init__(self) -> None:
        self.is_set = False

    def set(self) -> None:
        self.is_set = True
        _current.send(_external, self)


class ThespianBase(Actor):  # type: ignore[misc]
    """The Thespian side of the shared workload logic."""

    me: Any

    def setup(self, *args: Any) -> None:
        raise NotImplementedError

    def receive(self, message: Any) -> Any:
        raise NotImplementedError

    def on_running(self) -> None:
        raise NotImplementedError

    def receiveMessage(self, message: Any, sender: Any) -> None:
        global _current, _external  # noqa: PLW0603 - one thread runs every actor
        previous, _current = _current, self
        try:
            if type(message) is _Init:
                self.me = ThespianRef(self.myAddress)
                self.setup(*message.args)
                self.on_running()
            elif message is _WHO:
                _external = sender
                self.send(sender, True)
            elif not isinstance(message, ActorSystemMessage):
                result = self.receive(message)
                if result is not None:
                    self.send(sender, result)
        finally:
            _current = previous

    def make_child(self, actor_class: type[Any], *args: Any) -> Any:
        address = self.createActor(system_class(actor_class, ThespianBase))
        self.send(address, _Init(args))
        return ThespianRef(address)


class _Probe(ThespianBase):
    """Tells the host its own address."""


class ThespianHost:
    """The calling thread's view of Thespian (see :class:`~benchmarks._sides.SyncHost`)."""

    def spawn(self, logic: type[Any], *args: Any) -> Any:
        address = _system.createActor(system_class(logic, ThespianBase))
        _system.tell(address, _Init(args))
        return ThespianRef(address)

    def ask(self, ref: Any, message: object) -> Any:
        response = _system.ask(ref.address, message, 60)
        while isinstance(response, ThespianSignal):  # set during the ask: not the answer
            response = _system.listen(60)
        return response

    def signal(self) -> Signal:
        return ThespianSignal()

    def wait(self, signal: Signal) -> None:
        assert isinstance(signal, ThespianSignal)
        while _system.listen(60) is not signal:  # consume it, so no later ask returns it
            pass

    def latch(self, count: int, signal: Signal) -> Latch:
        return Latch(count, signal)  # one thread runs every actor


def _run(name: str, size: int) -> Sample:
    global _system, _external  # noqa: PLW0603 - one system at a time
    _system = ActorSystem("simpleSystemBase", transientUnique=True)
    try:
        _system.ask(_system.createActor(_Probe), _WHO, 60)
        host: SyncHost = ThespianHost()
        return DRIVERS[name](host, size)
    finally:
        _system.shutdown()
        _system = _external = None


def __getattr__(name: str) -> Any:
    """``_thespian.pingpong(size)`` and so on: one sample of a workload, by driver name."""
    if name not in DRIVERS:
        raise AttributeError(name)
    return lambda size: _run(name, size)
