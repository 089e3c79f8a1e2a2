"""Retrying the message whose handler failed (``retry_message``), on the failure path only.

The decision is pure (``supervision.decide`` returns a ``MessageAction``);
this module keeps the failed message safe until the parent has decided, and
carries the decision out:

* When a handler fails and a retry is possible (the actor's own
  ``retry_message`` or its parent strategy's is above 0, or the message is
  already being retried), the message goes to the *front of the actor's
  stash* instead of failing its ``ask``. The stash is the one place that
  already does the right thing on every path: a restart's teardown puts it
  back ahead of the mailbox (so the retried message comes first, and a
  persistent actor handles it after its recovery, since messages wait for the
  start), and a stop turns it into a dead letter whose ``ask`` fails.
* The envelope's promise is wrapped in :class:`Retrying`, which counts the
  failures of that one message and passes the final result (or the last
  exception) through to the original ``ask``; no intermediate exception
  reaches it.
* With ``retry_message == 0`` nothing here runs on the message path: the turn
  calls :func:`handler_failed` only when a handler raised.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from supervision import Decision, Directive, MessageAction

from . import _cell_states as states
from ._instrumentation import Carried, PromiseWrapper
from ._mailbox import requeue_front
from ._promise import fail

if TYPE_CHECKING:
    from ._cell import ActorCell
    from ._promise import Promise

Envelope = tuple[object, "Promise | None"]


class Retrying(PromiseWrapper):
    """The reply promise of a message being retried, and how often it has failed.

    It takes the promise's place in the envelope (as ``Carried`` does), so the
    turn answers it like any request; the answer goes to the original promise,
    or nowhere for a ``tell``.
    """

    __slots__ = ("failures",)

    def __init__(self, promise: Promise | None, failures: int) -> None:
        self.promise = promise
        self.failures = failures


def _unwrap(promise: Promise | None) -> tuple[int, Promise | None]:
    """How often the message failed before, and its original promise."""
    if isinstance(promise, Retrying):
        return promise.failures, promise.promise
    if isinstance(promise, Carried) and isinstance(promise.promise, Retrying):
        inner = promise.promise
        return inner.failures, Carried(inner.promise, promise.carrier)
    return 0, promise


def _wrap(promise: Promise | None, failures: int) -> Promise:
    if isinstance(promise, Carried):  # keep the trace context visible to the turn
        return Carried(Retrying(promise.promise, failures), promise.carrier)
    return Retrying(promise, failures)


def own_retry_message(cell: ActorCell) -> int:
    """The actor's own ``retry_message`` (from its child spec or spawn); 0 if unset."""
    extras = cell.extras
    return extras.retry_message if extras is not None else 0


def retry_limit(cell: ActorCell) -> int:
    """The retries allowed to ``cell``: its own above 0, else its parent strategy's."""
    own = own_retry_message(cell)
    if own:
        return own
    parent = cell.parent_cell
    if parent is None:
        return 0
    instance = parent.instance
    strategy = type(instance).strategy if instance is not None else parent.actor_class.strategy
    return strategy.retry_message if strategy is not None else 0


def handler_failed(
    cell: ActorCell, error: Exception, message: object, promise: Promise | None
) -> None:
    """A handler of ``cell`` raised ``error`` while handling ``message``: fail the actor.

    Without a possible retry this is ``cell.fail`` (the ask fails now). With
    one, the message waits at the front of the stash, its ask still pending,
    until the parent's decision is carried out by :func:`settle`.
    """
    failures, original = _unwrap(promise)
    if failures == 0 and retry_limit(cell) == 0:
        cell.fail(error, message, promise)
        return
    envelope: Envelope = (message, _wrap(original, failures + 1))
    extras = cell.ensure_extras()
    if extras.stash is None:
        extras.stash = deque()
    extras.stash.appendleft(envelope)
    extras.failed_envelope = envelope
    cell.fail(error, message, None)


def take_failed(child: ActorCell) -> tuple[Envelope | None, int]:
    """The envelope of ``child``'s failed message still held for a decision, and its failures."""
    extras = child.extras
    if extras is None or extras.failed_envelope is None:
        return None, 0
    envelope, extras.failed_envelope = extras.failed_envelope, None
    if not _remove(child, envelope, keep=True):
        return None, 0  # already gone: a stop turned it into a dead letter
    failures, _ = _unwrap(envelope[1])
    return envelope, failures


def _remove(cell: ActorCell, envelope: Envelope, *, keep: bool = False) -> bool:
    """Take ``envelope`` out of the stash (or, with ``keep``, only check it is there)."""
    extras = cell.extras
    stash = extras.stash if extras is not None else None
    if not stash:
        return False
    for index, held in enumerate(stash):
        if held is envelope:
            if not keep:
                del stash[index]
                if not stash:
                    extras.stash = None  # type: ignore[union-attr]
            return True
    return False


def settle(
    child: ActorCell, envelope: Envelope | None, error: BaseException | None, action: MessageAction
) -> None:
    """Carry out ``action`` for a held failed message, except a retry after a resume.

    ``DROP`` fails its ask with ``error``; ``DEAD_LETTER`` also publishes a
    ``DeadLetter`` saying how often it failed and with what. A retry after a
    restart needs nothing: the restart puts the stash back ahead of the mailbox.
    """
    if envelope is None or action not in (MessageAction.DROP, MessageAction.DEAD_LETTER):
        return  # RETRY: it waits in the stash; NONE: not this failure's message
    if not _remove(child, envelope):
        return
    message, promise = envelope
    failures, original = _unwrap(promise)
    if error is not None and original is not None:
        fail(original, error)
    if action is MessageAction.DEAD_LETTER:
        child.dead_letter(message, f"failed {failures} times; the last attempt raised {error!r}")


def resume_with_retry(child: ActorCell, envelope: Envelope | None, decision: Decision) -> None:
    """``RESUME`` with ``RETRY``: after the backoff delay, the message first, then the mailbox."""
    assert decision.directive is Directive.RESUME

    def resume() -> None:
        if child.state != states.SUSPENDED:
            return  # stopped or restarted meanwhile; the stash went with it
        if envelope is not None and _remove(child, envelope):
            requeue_front(child, [envelope])
        child.state = states.RUNNING
        if child.run_state == states.IDLE and child.has_work():
            child.scheduler.schedule(child)

    if decision.delay > 0:
        child.start_timer(decision.delay, resume)
    else:
        resume()
