"""``Reply``: a one-shot slot that the event loop fills and a blocked thread waits on."""

from __future__ import annotations

import threading
from typing import Any


class Reply:
    """The outcome of one blocking call: a value or an exception, set once.

    Only the event loop thread sets it, or the thread that shuts the system
    down once the loop thread has ended, so setting needs no lock of its own.
    The waiting thread parks on a plain lock, the cheapest wake-up there is.
    """

    __slots__ = ("_error", "_lock", "_value", "done")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self._value: Any = None
        self._error: BaseException | None = None
        #: Whether a value or an error has been set.
        self.done = False

    def set(self, value: Any) -> None:
        """Deliver ``value`` to the waiting thread (ignored once done)."""
        if not self.done:
            self.done = True
            self._value = value
            self._lock.release()

    def fail(self, error: BaseException) -> None:
        """Deliver ``error``, raised in the waiting thread (ignored once done)."""
        if not self.done:
            self.done = True
            self._error = error
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
