"""The scheduler: every actor of a system multiplexed on a few anyio tasks.

An idle actor owns no task; it costs only its memory. A runnable actor sits in
one FIFO run queue. One *dispatcher* task takes cells off the queue and gives
each a turn of up to ``throughput`` messages; after ``yield_interval`` turns it
yields to the event loop, so a flooded actor starves neither other actors nor
other tasks. Messages between actors never need an event-loop round trip.

When a handler really suspends (awaits I/O, a sleep, an ``ask``), the task
running it stays with that handler until it returns, and a fresh task becomes
the dispatcher. So there is one task per handler that is waiting on something,
plus one: idle and runnable actors cost none. When that handler returns and
its actor has more messages, the same task runs the actor's next turn (its
actor is still busy, so no other task can; ``_workers.py``); a turn that finishes
without suspending sends the actor back to the run queue. An actor that
suspends in every handler (each ``persist`` of an event-sourced actor waits
for its batch to commit) thus keeps one task, instead of one hand-off and one
new dispatcher per message.
"""

from __future__ import annotations

import contextvars
import logging
import random
from collections import deque
from collections.abc import Callable
from functools import partial
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel

from . import _cell_states as states
from ._promise import complete
from ._turn import Suspension, run_turn, run_turn_instrumented
from ._workers import RETIRE, drive, retire_surplus

if TYPE_CHECKING:
    from ._cell import ActorCell
    from ._instrumentation import Instrumentation
    from ._promise import Promise, PromiseFactory
    from ._runtime_tasks import RuntimeTasks

logger = logging.getLogger(__name__)

#: How many finished workers wait to be reused as dispatchers at least (more
#: while as many handlers are suspended: see ``_workers.py``).
MAX_PARKED_WORKERS = 32

#: How many cells may go idle with an empty queue before their queues are freed.
TRIM_BATCH = 4096
#: When the dispatcher runs dry it trims only if this many cells went idle:
#: a request/response pair would otherwise free and rebuild a queue per request,
#: and a handful of kept queues costs a few kilobytes at most.
IDLE_TRIM_MIN = 64


async def _reraise(error: BaseException) -> None:
    raise error


class Scheduler:
    """The run queue of one actor system and the tasks that drain it."""

    def __init__(
        self,
        *,
        throughput: int,
        yield_interval: int,
        new_promise: PromiseFactory,
        timing: bool = True,
        seed: int | None = None,
        instrumentation: Instrumentation | None = None,
    ) -> None:
        self.throughput = throughput
        self.yield_interval = yield_interval
        self.new_promise = new_promise
        #: Whether handling times are measured (sampled; see _run_batch).
        self.timing = timing
        self.instrumentation = instrumentation
        # The turn function: the plain loop, unless instrumentation wants a scope
        # around every handler.
        self._turn: Callable[[ActorCell, int], Suspension | None] = (
            run_turn
            if instrumentation is None
            else partial(run_turn_instrumented, instrumentation=instrumentation)
        )
        # With a seed, the next cell to run is drawn at random from the run
        # queue instead of taken in FIFO order: the same seed replays the same
        # interleaving (as long as no handler awaits real I/O).
        self._random = None if seed is None else random.Random(seed)
        #: The actor whose handler is running right now (None between turns).
        self.current: ActorCell | None = None
        #: The (message, promise) that actor is handling, while it runs without
        #: suspending; ``None`` once ``context.stash()`` has taken it.
        self.envelope: tuple[object, Promise | None] | None = None
        #: Which actor each asking actor is waiting on (for ask-cycle detection).
        self.awaiting: dict[ActorCell, ActorCell] = {}
        #: Handlers that suspended, by actor (what each is busy with).
        self.suspended: dict[ActorCell, Suspension] = {}
        #: Nanoseconds of the most recent batches of turns (event-loop latency).
        self.batch_ns: deque[int] = deque(maxlen=64)
        self.run_queue: deque[ActorCell] = deque()
        self._wakeup: Promise | None = None  # set while the dispatcher waits for work
        self._tasks: RuntimeTasks | None = None
        # A set: a busy actor goes idle again and again, but counts once.
        self._trim_candidates: set[ActorCell] = set()
        # Workers that finished a suspended handler and wait to dispatch again.
        self._parked: list[Promise] = []
        #: Turns given so far, and handlers that suspended (for statistics).
        self.turns = 0
        self.suspensions = 0
        #: Asks answered in place since the asking tasks last yielded.
        self.inline_asks = 0
        # Callers of ask_in_place waiting for the dispatcher's next batch.
        self._batch_waiters: list[Promise] = []

    def start(self, tasks: RuntimeTasks) -> None:
        """Start the dispatcher among the system's ``tasks``; it runs until they are cancelled."""
        self._tasks = tasks
        # The context the dispatcher's tasks start with, for ask_in_place().
        self._context = contextvars.copy_context()
        tasks.start_soon(self._dispatch, name="anyactors dispatcher")

    def can_run_now(self, cell: ActorCell) -> bool:
        """Whether an ``ask`` of ``cell`` from outside any actor may use ask_in_place()."""
        return (
            cell.open  # unbounded, FIFO, not stopping, no instrumentation
            and cell.run_state == states.IDLE
            and cell.state == states.RUNNING
            and not cell.receive_is_async
            and cell.control is None
            and cell.single is None
            and not cell.queue
            and self._random is None
            and self.current is None
            and self._tasks is not None
        )

    async def ask_in_place(self, cell: ActorCell, message: object) -> Any:
        """Answer an ``ask`` from outside the actors in the calling task: no task switch.

        Only when :meth:`can_run_now` holds: the actor is idle with an empty
        mailbox (so no message is overtaken) and its ``receive`` is a plain
        ``def`` (so the turn cannot suspend and needs no task of its own). A
        normal ask costs two task switches, and on trio each is a full pass of
        its scheduler, the larger part of an ask. The handler runs in the
        dispatcher's context variables, not the caller's.

        Always a cancellation point; a scheduling point every
        ``yield_interval`` such asks, as the dispatcher yields every
        ``yield_interval`` turns. If the handler made work for other actors (a
        tell, a failure for its supervisor), the dispatcher takes it before the
        caller goes on, as it would have before the reply reached the caller.
        """
        self.inline_asks += 1
        if self.inline_asks >= self.yield_interval:
            self.inline_asks = 0
            await anyio.lowlevel.checkpoint()
        else:
            await anyio.lowlevel.checkpoint_if_cancelled()
        promise = self.new_promise()
        if not self.can_run_now(cell):  # changed while yielding: the normal path
            cell.deliver(message, promise)
            return await promise
        self.answer_in_place(cell, message, promise)
        if self.run_queue:
            waiter = self.new_promise()
            self._batch_waiters.append(waiter)
            self.wake()
            await waiter
        return await promise  # done already: no yield

    def answer_in_place(self, cell: ActorCell, message: object, promise: Promise) -> None:
        """Give ``cell`` a one-message turn for ``message`` right here; it answers ``promise``.

        Only when :meth:`can_run_now` holds. The synchronous core of
        :meth:`ask_in_place`, also used by ``actors.blocking`` (through
        ``LocalActorRef._ask_soon``) to answer a request from another thread
        in the loop callback that brought it: no task, no task switch. The
        turn is the dispatcher's own (supervision, statistics, stash), run in
        the dispatcher's context variables.
        """
        cell.single = (message, promise)
        cell.run_state = states.BUSY
        self.current = cell
        started = perf_counter_ns()
        try:
            self._context.run(run_turn, cell, 1)
        except BaseException as error:
            # Not an Exception (the turn handles those): as from the
            # dispatcher, it ends the runtime, and the caller sees it too.
            assert self._tasks is not None
            self._tasks.start_soon(_reraise, error, name="anyactors dispatcher")
            raise
        finally:
            self.current = None
            self.turns += 1
        if self.timing:
            # Timed every time (the dispatcher samples a turn per batch): an
            # actor asked only from outside still gets its handling times.
            cell.ensure_extras().record_handling(perf_counter_ns() - started, 1)
        self.turn_finished(cell)

    def _release_batch_waiters(self) -> None:
        waiters, self._batch_waiters = self._batch_waiters, []
        for waiter in waiters:
            complete(waiter, None)

    def schedule(self, cell: ActorCell) -> None:
        """Put ``cell`` on the run queue (the caller has checked it is not already there)."""
        cell.run_state = states.QUEUED
        self.run_queue.append(cell)
        if self._wakeup is not None:
            self.wake()

    def wake(self) -> None:
        """Wake the dispatcher if it is waiting for work."""
        wakeup = self._wakeup
        if wakeup is not None:
            self._wakeup = None
            if not wakeup.done():
                wakeup.set_result(None)

    def turn_finished(self, cell: ActorCell) -> None:
        """Release ``cell`` after a turn: back on the queue if it has work, else idle."""
        if cell.control or (
            cell.state == states.RUNNING and (cell.queue or cell.single is not None)
        ):
            self.schedule(cell)
            return
        cell.run_state = states.IDLE
        if cell.control is not None:
            cell.control = None
        if cell.queue is not None:
            self._went_idle(cell)

    def _went_idle(self, cell: ActorCell) -> None:
        # An empty deque costs ~600 bytes, too much to keep on every idle
        # actor, but freeing it after each turn would make a busy actor
        # allocate one per message. So idle cells are trimmed in batches: when
        # the dispatcher runs out of work, or once TRIM_BATCH distinct cells
        # have gone idle (at most a few megabytes of empty queues meanwhile).
        candidates = self._trim_candidates
        candidates.add(cell)
        if len(candidates) >= TRIM_BATCH:
            self.trim_idle_queues()

    def trim_idle_queues(self) -> None:
        """Free the empty mailbox queues of the cells that went idle since the last trim."""
        candidates, self._trim_candidates = self._trim_candidates, set()
        for cell in candidates:
            queue = cell.queue
            if queue is not None and not queue and cell.run_state == states.IDLE:
                cell.queue = None

    def _run_batch(self) -> Suspension | None:
        """Give up to ``yield_interval`` turns without yielding to the event loop."""
        run_queue = self.run_queue
        throughput, turn = self.throughput, self._turn
        # With timing on, the first turn of every batch is timed and stands for
        # all the batch's turns: one integer comparison per turn, no more.
        sample_turn = 1 if self.timing else 0
        sampled: ActorCell | None = None
        sampled_ns = 0
        draw = self._random
        turns = 0
        batch_start = perf_counter_ns()
        try:
            while run_queue and turns < self.yield_interval:
                if draw is None:
                    cell = run_queue.popleft()
                else:
                    index = draw.randrange(len(run_queue))
                    run_queue[index], run_queue[-1] = run_queue[-1], run_queue[index]
                    cell = run_queue.pop()
                if cell.run_state != states.QUEUED:
                    continue  # a stale entry: the cell was run by someone else meanwhile
                cell.run_state = states.BUSY
                turns += 1
                # Not reset between turns: no other code runs until the next
                # turn sets it, and the batch's end clears it.
                self.current = cell
                if turns == sample_turn:
                    started = perf_counter_ns()
                    suspension = turn(cell, throughput)
                    if suspension is None:
                        sampled, sampled_ns = cell, perf_counter_ns() - started
                else:
                    suspension = turn(cell, throughput)
                if suspension is not None:
                    return suspension
                # turn_finished, inlined for the common cases.
                if cell.control or (
                    cell.state == states.RUNNING and (cell.queue or cell.single is not None)
                ):
                    cell.run_state = states.QUEUED
                    run_queue.append(cell)
                elif cell.control is None:
                    cell.run_state = states.IDLE
                    if cell.queue is not None:
                        candidates = self._trim_candidates
                        candidates.add(cell)
                        if len(candidates) >= TRIM_BATCH:
                            self.trim_idle_queues()
                else:
                    self.turn_finished(cell)
        finally:
            self.current = None
            self.turns += turns
            if turns:
                self.batch_ns.append(perf_counter_ns() - batch_start)
            if sampled is not None:
                sampled.ensure_extras().record_handling(sampled_ns, turns)
        return None

    async def _dispatch(self) -> None:
        try:
            await self._dispatch_loop()
        finally:
            # Never leave an ask_in_place() caller waiting on a gone dispatcher.
            self._release_batch_waiters()

    async def _dispatch_loop(self) -> None:
        run_queue = self.run_queue
        while True:
            suspension = self._run_batch()
            if self._batch_waiters:
                self._release_batch_waiters()
            if suspension is not None:
                # This task stays with the suspended handler; another dispatches.
                self._hand_off()
                await drive(self, suspension)
                # Park, to be woken as a later dispatcher: cheaper than a new task.
                if len(self._parked) >= max(MAX_PARKED_WORKERS, len(self.suspended)):
                    return
                self._parked.append(parked := self.new_promise())
                if await parked is RETIRE:
                    return
                continue
            if run_queue:
                await anyio.lowlevel.checkpoint()
            else:
                if len(self._trim_candidates) >= IDLE_TRIM_MIN:
                    self.trim_idle_queues()
                retire_surplus(self)
                self._wakeup = wakeup = self.new_promise()
                await wakeup

    def _hand_off(self) -> None:
        """Make another task the dispatcher: a parked worker if there is one, else a new task."""
        while self._parked:
            parked = self._parked.pop()
            if not parked.done():
                parked.set_result(None)
                return
        assert self._tasks is not None
        self._tasks.start_soon(self._dispatch, name="anyactors dispatcher")
