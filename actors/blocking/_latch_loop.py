"""``LatchEventLoop``: asyncio's selector loop, woken from other threads through a lock.

A blocking ``ask`` wakes the loop thread once per round trip. asyncio's own
wake-up (``call_soon_threadsafe``) writes a byte into the loop's self-pipe,
which makes ``epoll_wait`` return, the loop read the byte back (two more
system calls) and only then run the callback. While the loop watches no file
but that self-pipe, which is the rule for a blocking system (no sockets, no
subprocesses), it can instead sleep on a plain ``threading.Lock`` that the
waker releases: one futex call on each side, as a thread pool's hand-off.
Once any other file is registered (a remote transport's socket, say), it
sleeps in ``epoll_wait`` as usual, and wakes through the self-pipe as usual.

No wake-up is ever lost: the loop says it is going to sleep on the lock (the
selector's ``latched``) and only then looks at its ready queue, while a waker
first puts its callback on that queue and only then looks at ``latched``. Under the
GIL one of the two sees the other. A waker that releases the lock too late (the
loop woke on its own meanwhile) only costs one extra empty turn of the loop.

It overrides two implementation details of CPython's
``asyncio.SelectorEventLoop``, stable since Python 3.4: the ``_write_to_self``
method and the ``_ready`` queue. :func:`latch_loop_factory` checks both and
falls back to the plain loop where they are missing.
"""

from __future__ import annotations

import asyncio
import functools
import selectors
import threading
from collections.abc import Callable, Sized


class _LatchSelector(selectors.DefaultSelector):
    """Sleeps on the loop's latch instead of in the kernel while only the self-pipe is watched."""

    def __init__(self, latch: threading.Lock, ready: Callable[[], Sized]) -> None:
        super().__init__()
        self.latch = latch
        self.ready = ready
        #: Whether the loop is (about to be) asleep on the latch; wakers release it then.
        self.latched = False

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout == 0 or len(self.get_map()) > 1:
            return list(super().select(timeout))
        self.latched = True
        try:
            if not self.ready():  # a callback queued before ``latched`` was seen
                self.latch.acquire(timeout=-1 if timeout is None else timeout)
        finally:
            self.latched = False
        return []  # the only file is the self-pipe, and no one wrote to it meanwhile


class LatchEventLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose thread-safe wake-up is a lock release while it watches no file.

    Everything else is ``asyncio.SelectorEventLoop``. See the module docstring.
    """

    def __init__(self) -> None:
        self._latch = threading.Lock()
        self._latch.acquire()
        # ``_ready``: the base loop's queue of callbacks to run (see the module docstring).
        self._latch_selector = _LatchSelector(self._latch, lambda: self._ready)  # type: ignore[attr-defined]
        super().__init__(self._latch_selector)

    def _write_to_self(self) -> None:
        # Called by call_soon_threadsafe after the callback is on the ready queue.
        if self._latch_selector.latched:
            try:  # noqa: SIM105 - cheaper than contextlib.suppress, once per ask
                self._latch.release()
            except RuntimeError:  # released already, by another waker
                pass
        else:
            super()._write_to_self()  # type: ignore[misc]


@functools.cache
def latch_loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """The loop factory for a blocking system's asyncio thread: the latch loop where it works."""
    if callable(getattr(asyncio.SelectorEventLoop, "_write_to_self", None)):
        probe = asyncio.SelectorEventLoop()
        try:
            if isinstance(getattr(probe, "_ready", None), Sized):
                return LatchEventLoop
        finally:
            probe.close()
    return asyncio.new_event_loop  # another Python's asyncio: the ordinary wake-up
