"""The workloads on Pykka: ``ThreadingActor``s, one thread each, driven from the calling thread.

Imported only when a Pykka sample is taken. Each function runs one sample and
stops every actor afterwards (untimed).
"""

from __future__ import annotations

import threading
from typing import Any

import pykka

from ._peer_workloads import DRIVERS
from ._sides import SyncHost, system_class
from ._workload import Latch, Sample, Signal


class PykkaBase(pykka.ThreadingActor):
    """The Pykka side: ``me`` is ``actor_ref``, messages go to ``receive``, children ``start``."""

    me: Any

    def __init__(self, *args: Any) -> None:
        super().__init__()
        self.setup(*args)

    def setup(self, *args: Any) -> None:
        raise NotImplementedError

    def receive(self, message: Any) -> Any:
        raise NotImplementedError

    def on_running(self) -> None:
        raise NotImplementedError

    def on_start(self) -> None:
        self.me = self.actor_ref
        self.on_running()

    def on_receive(self, message: Any) -> Any:
        return self.receive(message)

    def make_child(self, actor_class: type[Any], *args: Any) -> Any:
        return system_class(actor_class, PykkaBase).start(*args)


class LockedLatch(Latch):
    """A latch that many actor threads tick."""

    __slots__ = ("_lock",)

    def __init__(self, count: int, done: Signal) -> None:
        super().__init__(count, done)
        self._lock = threading.Lock()

    def tick(self) -> None:
        with self._lock:
            super().tick()


class PykkaHost:
    """The calling thread's view of Pykka (see :class:`~benchmarks._sides.SyncHost`)."""

    def spawn(self, logic: type[Any], *args: Any) -> Any:
        return system_class(logic, PykkaBase).start(*args)

    def ask(self, ref: Any, message: object) -> Any:
        return ref.ask(message)

    def signal(self) -> Signal:
        return threading.Event()

    def wait(self, signal: Signal) -> None:
        assert isinstance(signal, threading.Event)
        signal.wait()

    def latch(self, count: int, signal: Signal) -> Latch:
        return LockedLatch(count, signal)


def _run(name: str, size: int) -> Sample:
    host: SyncHost = PykkaHost()
    try:
        return DRIVERS[name](host, size)
    finally:
        pykka.ActorRegistry.stop_all()


def __getattr__(name: str) -> Any:
    """``_pykka.pingpong(size)`` and so on: one sample of a workload, by driver name."""
    if name not in DRIVERS:
        raise AttributeError(name)
    return lambda size: _run(name, size)
