"""``Reply``: a one-shot slot that the event loop fills and a blocked thread waits on."""

from __future__ import annotations

import threading
from typing import Any


class Reply:
    """The outcome of one blocking call: a value or an exception, set once.

    It has the answering side of the core's promises (``done``,
    ``set_result``, ``set_exception``), so an actor's turn answers it
    directly, from the envelope in its mailbox, with no task in between.
    Only the event loop thread sets it, or the thread that shuts the system
    down once the loop thread has ended, so setting needs no lock of its own.
    The waiting thread parks on a plain lock, the cheapest wake-up there is
    (a ``concurrent.futures.Future`` parks on a ``Condition``: two locks and a
    list of waiters).
    """

    __slots__ = ("_done", "_error", "_lock", "_value", "pending")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self._value: Any = None
        self._error: BaseException | None = None
        self._done = False
        #: The set of replies still owed that holds this one (see ``Bridge``),
        #: left as soon as it is set.
        self.pending: set[Reply] | None = None

    def done(self) -> bool:
        """Whether a value or an error has been set."""
        return self._done

    def set_result(self, value: Any, /) -> None:
        """Deliver ``value`` to the waiting thread (ignored once done)."""
        if not self._done:
            self._done = True
            self._value = value
            if self.pending is not None:
                self.pending.discard(self)
            self._lock.release()

    def set_exception(self, error: BaseException, /) -> None:
        """Deliver ``error``, raised in the waiting thread (ignored once done)."""
        if not self._done:
            self._done = True
            self._error = error
            if self.pending is not None:
                self.pending.discard(self)
            self._lock.release()

    def wait(self, timeout: float | None) -> bool:
        """Wait until set, at most ``timeout`` seconds (``None``: no limit); whether it was set."""
        return self._lock.acquire(timeout=-1 if timeout is None else timeout)

    def result(self) -> Any:
        """The value, or raise the error (after :meth:`wait` returned ``True``)."""
        error = self._error
        if error is not None:
            self._error = None  # no cycle through the traceback's frames
            raise error
        return self._value
