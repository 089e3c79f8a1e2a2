"""A watchdog: ``watch`` and ``Terminated``, ``schedule_once`` deadlines, and self-stopping jobs.

A ``Foreman`` spawns one child ``Job`` per task, watches it, and arms a
deadline for it with ``schedule_once``. A job works on its own timer and, when
done, reports its result and stops itself (``context.stop(self_ref)``): a
``transient`` child that exits normally is gone for good, so the foreman gets
``Terminated`` and cancels the deadline. A job that never finishes (it waits
for input that never comes) misses its deadline: the foreman stops it, and the
``Terminated`` follows all the same. Once every job has terminated, the
foreman sets an ``anyio.Event`` so that the program can collect the report.
"""

from __future__ import annotations

import anyio
from attrs import frozen

from actors import Actor, ActorRef, ActorSystem, Request, Terminated, Timer, props


@frozen
class Task:
    name: str
    duration: float | None  # None: the job never finishes


@frozen
class Finish:
    """A job's own timer: the work is done."""


@frozen
class Result:
    job: str
    milliseconds: int


@frozen
class Deadline:
    job: ActorRef[Finish]


@frozen
class GetReport(Request[dict[str, str]]):
    """Ask the foreman for the outcome of every job, by name."""


class Job(Actor[Finish]):
    def __init__(self, duration: float | None, foreman: ActorRef[Result]) -> None:
        self.duration, self.foreman = duration, foreman

    def on_start(self) -> None:
        if self.duration is not None:
            self.context.schedule_once(self.duration, Finish())

    def receive(self, message: Finish) -> None:
        me = self.context.self_ref
        assert self.duration is not None
        self.foreman.tell(Result(me.name, round(self.duration * 1000)))
        self.context.stop(me)  # a transient child that stops itself is gone for good


class Foreman(Actor[Result | Deadline | Terminated | GetReport]):
    def __init__(self, tasks: list[Task], timeout: float, all_done: anyio.Event) -> None:
        self.timeout, self.all_done = timeout, all_done
        self.deadlines: dict[ActorRef, Timer] = {}
        self.outcomes: dict[str, str] = {}
        self.tasks = tasks

    def on_start(self) -> None:
        for task in self.tasks:
            job = self.context.spawn(
                props(Job, task.duration, self.context.self_ref), name=task.name
            )
            self.context.watch(job)
            self.deadlines[job] = self.context.schedule_once(self.timeout, Deadline(job))
            print(f"foreman: started {task.name} with a {self.timeout} s deadline")

    def receive(self, message: Result | Deadline | Terminated | GetReport) -> dict[str, str] | None:
        match message:
            case Result(job, milliseconds):
                self.outcomes[job] = f"done in {milliseconds} ms"
                print(f"foreman: {job} reported its result")
            case Deadline(job):
                self.outcomes[job.name] = "killed (deadline missed)"
                print(f"foreman: {job.name} missed its deadline; stopping it")
                self.context.stop(job)
            case Terminated(job):
                self.deadlines.pop(job).cancel()
                print(f"foreman: {job.name} terminated")
                if not self.deadlines:
                    self.all_done.set()
            case GetReport():
                return dict(self.outcomes)
        return None


async def main() -> None:
    tasks = [Task("resize", 0.02), Task("upload", 0.05), Task("stuck", None)]
    all_done = anyio.Event()
    async with ActorSystem("watchdog") as system:
        foreman = system.spawn(props(Foreman, tasks, 0.15, all_done), name="foreman")
        with anyio.fail_after(5):
            await all_done.wait()
        report = await foreman.ask(GetReport())
        for name in sorted(report):
            print(f"{name}: {report[name]}")
        left = [task.name for task in tasks if system.lookup(f"foreman/{task.name}")]
        print(f"jobs still alive: {left}")


if __name__ == "__main__":
    anyio.run(main)
