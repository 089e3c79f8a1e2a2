"""Hot code upgrade: ``system.upgrade``, ``upgrade_all`` and ``reload_module``, on both backends."""

from __future__ import annotations

import gc
import importlib
import sys
from pathlib import Path
from typing import Any, Self

import anyio
import anyio.lowlevel
import pytest
from anyio.abc import TaskStatus
from attrs import frozen

from actors import (
    Actor,
    ActorRef,
    ActorStopped,
    ActorSystem,
    Terminated,
    UpgradeFailed,
    reload_module,
)

from .probe import Inbox, Recorder, Watcher

pytestmark = pytest.mark.anyio


@frozen
class Hold:
    """Make the counter wait in its handler until ``release`` is set."""

    started: anyio.Event
    release: anyio.Event


class CounterV1(Actor):
    def __init__(self, start: int = 0) -> None:
        self.count = start
        self.seen: list[tuple[int, object]] = []

    async def receive(self, message: Any) -> Any:
        if isinstance(message, Hold):
            message.started.set()
            await message.release.wait()
            return ("held", 1)
        if message == "get":
            return ("v1", self.count)
        if message == "seen":
            return list(self.seen)
        if message == "crash":
            raise RuntimeError("crash")
        self.count += 1
        self.seen.append((1, message))
        return None


class CounterV2(CounterV1):
    """Counts in ``total`` (renamed from ``count``) and records version 2."""

    @classmethod
    def code_change(cls, old: Actor, extra: Any) -> Self:
        assert isinstance(old, CounterV1)
        if extra == "refuse":
            raise ValueError("cannot migrate")
        new = super().code_change(old, extra)
        new.total = new.__dict__.pop("count") + (extra or 0)
        return new

    def __init__(self, start: int = 0) -> None:
        super().__init__(start)
        self.total = self.__dict__.pop("count")

    async def receive(self, message: Any) -> Any:
        if isinstance(message, Hold):
            return await super().receive(message)
        if message == "get":
            return ("v2", self.total)
        if message in ("seen", "crash"):
            return await super().receive(message)
        self.total += 1
        self.seen.append((2, message))
        return None


async def upgrade_in_task(
    system: ActorSystem,
    ref: ActorRef,
    new_class: type[Actor],
    *,
    task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    # started() does not yield: the upgrade's control message is queued
    # before the caller of group.start() runs again.
    task_status.started()
    await system.upgrade(ref, new_class)


async def test_state_migrates_with_1000_messages_queued_none_lost_or_repeated() -> None:
    async with ActorSystem() as system:
        ref = system.spawn(CounterV1, 5)
        hold = Hold(anyio.Event(), anyio.Event())
        ref.tell(hold)
        await hold.started.wait()
        for number in range(1000):
            ref.tell(number)
        async with anyio.create_task_group() as group:
            await group.start(upgrade_in_task, system, ref, CounterV2)
            hold.release.set()
        assert await ref.ask("get") == ("v2", 1005)
        assert await ref.ask("seen") == [(2, number) for number in range(1000)]


async def test_a_failing_code_change_rolls_back_and_raises_to_the_caller() -> None:
    async with ActorSystem() as system:
        ref = system.spawn(CounterV1)
        ref.tell("a")
        with pytest.raises(ValueError, match=r"^cannot migrate$"):
            await system.upgrade(ref, CounterV2, extra="refuse")
        ref.tell("b")
        assert await ref.ask("get") == ("v1", 2)
        assert await ref.ask("seen") == [(1, "a"), (1, "b")]


async def test_code_change_must_return_the_new_class() -> None:
    class Wrong(CounterV1):
        @classmethod
        def code_change(cls, old: Actor, extra: Any) -> Any:
            return "not an actor"

    async with ActorSystem() as system:
        ref = system.spawn(CounterV1)
        with pytest.raises(TypeError, match=r"code_change must return an instance of .*Wrong"):
            await system.upgrade(ref, Wrong)
        assert await ref.ask("get") == ("v1", 0)


async def test_an_ask_in_flight_across_the_upgrade_gets_its_answer() -> None:
    async with ActorSystem() as system:
        ref = system.spawn(CounterV1)
        hold = Hold(anyio.Event(), anyio.Event())
        answers: list[object] = []
        async with anyio.create_task_group() as group:

            async def ask() -> None:
                answers.append(await ref.ask(hold))

            group.start_soon(ask)
            await hold.started.wait()
            group.start_soon(ask_after, ref, answers)
            await group.start(upgrade_in_task, system, ref, CounterV2)
            hold.release.set()
        assert answers == [("held", 1), ("v2", 0)]


async def ask_after(ref: ActorRef, answers: list[object]) -> None:
    answers.append(await ref.ask("get"))


async def test_restarts_after_an_upgrade_build_the_new_class_from_the_same_arguments() -> None:
    async with ActorSystem() as system:
        ref = system.spawn(CounterV1, 7)
        ref.tell("x")
        await system.upgrade(ref, CounterV2, extra=10)
        assert await ref.ask("get") == ("v2", 18)
        with pytest.raises(RuntimeError):
            await ref.ask("crash")
        assert await ref.ask("get") == ("v2", 7)


class Moody(Actor):
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def on_start(self) -> None:
        self.context.spawn(Recorder, self.inbox, name="helper")

    def receive(self, message: Any) -> Any:
        if message == "sulk":
            self.context.become(self.sulking, discard_old=False)
            return "sulking"
        if message == "tick":
            self.inbox.record(("v1 tick", type(self).__name__))
            return None
        return "v1"

    def sulking(self, message: Any) -> Any:
        return "hmph"


class MoodyV2(Moody):
    def receive(self, message: Any) -> Any:
        if message == "tick":
            self.inbox.record(("v2 tick", type(self).__name__))
            return None
        return "v2"


async def test_children_timers_watches_and_ref_survive_and_become_is_reset() -> None:
    inbox = Inbox()
    async with ActorSystem() as system:
        ref = system.spawn(Moody, inbox, name="moody")
        watcher_inbox = Inbox()
        system.spawn(Watcher, ref, watcher_inbox)
        await ref.ask("hello")
        helper = system.lookup("moody/helper")
        assert helper is not None
        assert await ref.ask("sulk") == "sulking"
        assert await ref.ask("anything") == "hmph"
        timer = ref._cell.schedule_repeatedly(3600.0, "tick")  # type: ignore[attr-defined]
        await system.upgrade(ref, MoodyV2)
        assert await ref.ask("anything") == "v2"  # the become stack is gone
        assert system.lookup("moody/helper") is helper
        assert timer.active  # the actor's timers were not cancelled
        ref.tell("tick")
        await inbox.wait_for(1)
        assert inbox.messages == [("v2 tick", "MoodyV2")]
        timer.cancel()
        await system.stop(ref)
        assert await watcher_inbox.wait_for(1) == [Terminated(ref)]


async def test_upgrading_a_stopped_actor_raises_actor_stopped() -> None:
    async with ActorSystem() as system:
        ref = system.spawn(CounterV1)
        await system.stop(ref)
        with pytest.raises(ActorStopped, match=r"has stopped; there is nothing to upgrade$"):
            await system.upgrade(ref, CounterV2)


async def test_bad_upgrade_requests_are_refused_where_they_are_made() -> None:
    class SelfUpgrading(Actor):
        async def receive(self, message: Any) -> Any:
            await self.context.system.upgrade(self.context.self_ref, CounterV1)

    async with ActorSystem() as system:
        ref = system.spawn(CounterV1)
        with pytest.raises(TypeError, match=r"^upgrade\(\) needs an Actor subclass"):
            await system.upgrade(ref, int)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"^upgrade\(\) needs an ActorRef"):
            await system.upgrade("ref", CounterV2)  # type: ignore[arg-type]
        selfish = system.spawn(SelfUpgrading)
        with pytest.raises(RuntimeError, match=r"cannot upgrade itself from its own handler"):
            await selfish.ask("go")


async def test_upgrade_all_upgrades_each_and_reports_failures_one_by_one() -> None:
    class Picky(CounterV2):
        @classmethod
        def code_change(cls, old: Actor, extra: Any) -> Self:
            assert isinstance(old, CounterV1)
            if old.count == 1:
                raise ValueError("not this one")
            return super().code_change(old, extra)

    failures = Inbox()
    async with ActorSystem() as system:
        listener = system.spawn(Recorder, failures)
        system.event_stream.subscribe(listener, UpgradeFailed)
        refs = [system.spawn(CounterV1, start) for start in range(3)]
        other = system.spawn(CounterV2)
        assert await system.upgrade_all(CounterV1, Picky) == 2
        assert [await ref.ask("get") for ref in refs] == [("v2", 0), ("v1", 1), ("v2", 2)]
        assert await other.ask("get") == ("v2", 0)
        [failed] = await failures.wait_for(1)
        assert failed.ref == refs[1]
        assert failed.new_class is Picky
        assert str(failed.error) == "not this one"


COUNTER_SOURCE = """
from actors import Actor


class Counter(Actor):
    def __init__(self, start):
        self.count = start

    def receive(self, message):
        if message == "get":
            return ("{version}", self.count)
        self.count += {step}
        return None


class Unrelated(Actor):
    def receive(self, message):
        return "{version}"
"""


@pytest.fixture
def module_dir(tmp_path: Path) -> Any:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith("hot_")]:
        del sys.modules[name]


async def test_reload_module_upgrades_live_actors_to_the_new_code(
    module_dir: Path, anyio_backend: str
) -> None:
    name = f"hot_counters_{anyio_backend}"
    path = module_dir / f"{name}.py"
    path.write_text(COUNTER_SOURCE.format(version="old", step=1))
    module = importlib.import_module(name)
    old_class = module.Counter
    async with ActorSystem() as system:
        refs = [system.spawn(module.Counter, start) for start in (0, 100)]
        for ref in refs:
            ref.tell("add")
        assert [await ref.ask("get") for ref in refs] == [("old", 1), ("old", 101)]
        path.write_text(COUNTER_SOURCE.format(version="new", step=10) + "\n# rewritten\n")
        assert await reload_module(system, module) == 2
        assert module.Counter is not old_class
        for ref in refs:
            ref.tell("add")
        assert [await ref.ask("get") for ref in refs] == [("new", 11), ("new", 111)]
        gc.collect()
        assert [o for o in gc.get_objects() if type(o) is old_class] == []


async def test_reload_module_refuses_a_module_whose_message_classes_are_in_use(
    module_dir: Path, anyio_backend: str
) -> None:
    name = f"hot_messages_{anyio_backend}"
    path = module_dir / f"{name}.py"
    path.write_text(
        "from attrs import frozen\nfrom actors import Actor\n\n\n@frozen\nclass Add:\n"
        "    amount: int\n\n\nclass Adder(Actor):\n    def receive(self, message):\n"
        "        return message\n"
    )
    module = importlib.import_module(name)
    async with ActorSystem() as system:
        ref = system.spawn(module.Adder)
        with pytest.raises(
            ValueError,
            match=rf"^reload_module\(\) refuses to reload {name}: it defines Add, which are "
            r"not actor classes, and live actors use them \(/user/\$1\)",
        ):
            await reload_module(system, name)
        assert await ref.ask(1) == 1  # still running the old code, nothing changed
        await system.stop(ref)
        assert await reload_module(system, name) == 0  # nobody uses them any more


async def test_reload_module_refuses_bad_modules() -> None:
    async with ActorSystem() as system:
        with pytest.raises(TypeError, match=r"^reload_module\(\) needs a module or its name"):
            await reload_module(system, 42)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"^reload_module\(\) needs an imported module"):
            await reload_module(system, "no_such_module_here")
        with pytest.raises(ValueError, match=r"reloads Python source only; _ssl has none"):
            await reload_module(system, importlib.import_module("_ssl"))
