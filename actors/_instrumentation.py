"""The seam for tracing: what an instrumented system calls around every message.

An ``ActorSystem(instrumentation=...)`` calls :meth:`Instrumentation.on_send`
for every message sent to one of its actors and :meth:`Instrumentation.on_handle`
around every handler; what ``on_send`` returns travels with the message (for
example a W3C trace context) and is handed to ``on_handle``. A system without
instrumentation pays nothing: its messages keep the fast path, and its turns
run the plain loop. ``actors.otel`` implements this protocol on OpenTelemetry.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ._promise import Promise
    from ._ref import ActorRef


class HandlingScope(Protocol):
    """One handler run, as seen by an :class:`Instrumentation`.

    ``activate``/``deactivate`` bracket every stretch of the handler's code
    (a handler that suspends runs in several stretches, in one task), so a
    context variable such as the current span is set exactly while its code
    runs. ``end`` is called once, with the exception that escaped, or ``None``.
    """

    def activate(self) -> None:
        """Make this run's context current: called as the handler (re)starts running."""
        ...

    def deactivate(self) -> None:
        """Undo ``activate``: called each time the handler suspends or finishes."""
        ...

    def end(self, error: BaseException | None) -> None:
        """Close the run once: ``error`` is what the handler raised, ``None`` on success."""
        ...


class Instrumentation(Protocol):
    """What an instrumented actor system calls; see ``actors.otel`` for one."""

    def on_send(self, target: ActorRef, message: object) -> object:
        """Called in the sender's context when ``message`` is sent to ``target``.

        Returns a carrier that travels with the message (``None`` for none).
        It must not raise.
        """
        ...

    def on_handle(self, ref: ActorRef, message: object, carrier: object) -> HandlingScope:
        """Called before the actor ``ref`` handles ``message`` sent with ``carrier``."""
        ...


class PromiseWrapper:
    """A message's reply promise (or none) with something attached, in the promise's place.

    It takes the promise's place in the mailbox envelope, so every path that
    answers, fails or drops a message works unchanged; a ``tell`` (no promise)
    is answered into nothing. Subclasses add what they carry.
    """

    __slots__ = ("promise",)

    promise: Promise | None

    def done(self) -> bool:
        return self.promise is None or self.promise.done()

    def set_result(self, result: Any, /) -> None:
        if self.promise is not None:
            self.promise.set_result(result)

    def set_exception(self, exception: BaseException, /) -> None:
        if self.promise is not None:
            self.promise.set_exception(exception)

    def __await__(self) -> Generator[Any, Any, Any]:
        assert self.promise is not None
        return self.promise.__await__()


class Carried(PromiseWrapper):
    """A message's reply promise (or none), plus what instrumentation attached to it."""

    __slots__ = ("carrier",)

    def __init__(self, promise: Promise | None, carrier: object) -> None:
        self.promise = promise
        self.carrier = carrier
