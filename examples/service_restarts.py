"""Restart order and backoff: a ``RestForOne`` supervisor, and what happens past its limit.

A ``Service`` supervises three components started in order: ``database``,
``cache`` (which needs the database) and ``api`` (which needs the cache).
Under ``RestForOne``, a crash restarts the failed child and every child
started after it, stopping them in reverse order and starting them in order:

* a crash of ``api`` restarts ``api`` alone;
* a crash of ``database`` restarts all three.

Each restart waits for an exponential ``Backoff`` (0.05 s, then 0.1 s). The
strategy allows two restarts within five seconds: the third crash makes the
service stop its children and fail with ``RestartIntensityExceeded``. A
top-level actor that escalates is stopped, so a ``Monitor`` that watches the
service and follows ``ActorFailed`` on the event stream sees it terminate.
"""

from __future__ import annotations

import contextlib

import anyio
from attrs import frozen

from actors import (
    Actor,
    ActorFailed,
    ActorRef,
    ActorSystem,
    Request,
    Supervisor,
    Terminated,
    narrow_ref,
    props,
)
from supervision import Backoff, RestForOne, child


@frozen
class Crash:
    """Make a component fail."""


@frozen
class Ping(Request[str]):
    """Ask an actor for its name; a component answers once it runs again."""


@frozen
class GetComponents(Request[tuple[ActorRef, ...]]):
    """Ask the service for its components, in start order."""


class Component(Actor[Crash | Ping]):
    def on_start(self) -> None:
        print(f"  {self.context.self_ref.name} started")

    def on_stop(self) -> None:
        print(f"  {self.context.self_ref.name} stopped")

    def receive(self, message: Crash | Ping) -> str:
        if isinstance(message, Crash):
            raise ConnectionError(f"{self.context.self_ref.name} lost its connection")
        return self.context.self_ref.name


class Service(Supervisor):
    strategy = RestForOne(max_restarts=2, within=5.0, backoff=Backoff(min=0.05, max=1.0))
    children = (
        child(Component, name="database"),
        child(Component, name="cache"),
        child(Component, name="api"),
    )

    def receive(self, message: object) -> tuple[ActorRef, ...]:
        return self.context.children  # answers GetComponents: the children, in start order


class Monitor(Actor[ActorFailed | Terminated | Ping]):
    def __init__(self, service: ActorRef, gone: anyio.Event) -> None:
        self.service, self.gone = service, gone

    def on_start(self) -> None:
        self.context.system.event_stream.subscribe(self.context.self_ref, ActorFailed)
        self.context.watch(self.service)

    def receive(self, message: ActorFailed | Terminated | Ping) -> str | None:
        match message:
            case ActorFailed(ref=ref, error=error):
                print(f"monitor: {ref.path} failed: {type(error).__name__}: {error}")
            case Terminated(ref):
                print(f"monitor: {ref.path} terminated")
                self.gone.set()
            case Ping():
                return self.context.self_ref.name
        return None


async def crash(target: ActorRef[Crash | Ping]) -> float:
    """Crash ``target``, then return how long it took until it answered again."""
    print(f"crashing {target.name}:")
    started = anyio.current_time()
    with contextlib.suppress(ConnectionError):
        await target.ask(Crash())
    await target.ask(Ping())  # waits in the mailbox until the restart (after the backoff)
    return anyio.current_time() - started


async def main() -> None:
    gone = anyio.Event()
    async with ActorSystem("service") as system:
        print("starting the service:")
        service = system.spawn(Service, name="service")
        components = [narrow_ref(ref, Component) for ref in await service.ask(GetComponents())]
        database, _cache, api = components
        monitor = system.spawn(props(Monitor, service, gone), name="monitor")
        await monitor.ask(Ping())  # an answer means on_start has run: it is subscribed
        print(f"api answered again after {await crash(api):.2f} s (backoff 0.05 s)")
        print(f"database answered again after {await crash(database):.2f} s (backoff 0.10 s)")
        print("crashing api a third time:")
        with contextlib.suppress(ConnectionError):
            await api.ask(Crash())
        with anyio.fail_after(5):
            await gone.wait()
        print(f"service still registered: {system.lookup('service') is not None}")


if __name__ == "__main__":
    anyio.run(main)
