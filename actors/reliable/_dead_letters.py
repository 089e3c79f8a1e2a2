"""``DeadLetterView``: dead letters counted by type and target, the last N kept, and filters."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from attrs import field, frozen

from actors import Actor, ActorRef, DeadLetter, Terminated

from ._errors import InvalidSetting


@frozen(kw_only=True)
class DeadLetterReport:
    """A snapshot of a :class:`DeadLetterView`.

    Attributes:
        total: dead letters seen since the view started.
        by_type: counts by the message's type name.
        by_recipient: counts by the recipient's path.
        by_reason: counts by reason (``"recipient stopped"``, ``"mailbox full"``, ``"unhandled"``).
        recent: the last ``keep`` dead letters, oldest first.
    """

    total: int
    by_type: Mapping[str, int]
    by_recipient: Mapping[str, int]
    by_reason: Mapping[str, int]
    recent: tuple[DeadLetter, ...]


@frozen
class GetDeadLetterReport:
    """Ask a :class:`DeadLetterView` for its :class:`DeadLetterReport`."""


def _check_recipient(_instance: object, _attribute: object, value: Any) -> None:
    if value is not None and not (isinstance(value, str) and value.startswith("/")):
        raise InvalidSetting(
            "SubscribeDeadLetters recipient must be an absolute actor path such as "
            f"'/user/ledger' (got {value!r})"
        )


def in_subtree(path: str, root: str) -> bool:
    """Whether the actor at ``path`` is the actor at ``root`` or one of its descendants.

    Compares whole path segments: ``/user/ledger`` holds ``/user/ledger`` and
    ``/user/ledger/entries``, never ``/user/ledger2``. A trailing ``/`` on
    ``root`` changes nothing.
    """
    root = root.rstrip("/")
    if not root:
        return path.startswith("/")
    return path == root or (path.startswith(root) and path[len(root)] == "/")


@frozen(kw_only=True)
class SubscribeDeadLetters:
    """Forward to ``subscriber`` each later dead letter that matches the filters.

    ``message_type`` matches subclasses too. ``recipient`` is an absolute
    actor path that matches that actor and its descendants by whole path
    segments: ``"/user/ledger"`` matches ``/user/ledger`` and
    ``/user/ledger/entries``, never ``/user/ledger2``. ``None`` matches all.

    Raises:
        InvalidSetting: ``recipient`` is not an absolute path (it must start with ``/``).
    """

    subscriber: ActorRef
    message_type: type | None = None
    recipient: str | None = field(default=None, validator=_check_recipient)


@frozen
class UnsubscribeDeadLetters:
    """Stop forwarding dead letters to ``subscriber``."""

    subscriber: ActorRef


def _check_keep(_instance: object, _attribute: object, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidSetting(f"keep must be a whole number >= 0 (got {value!r})")


@frozen
class _Settings:
    keep: int = field(validator=_check_keep)


class DeadLetterView(Actor):
    """Subscribes to ``DeadLetter`` on the event stream and keeps an inspectable view.

    Ask it :class:`GetDeadLetterReport` for counts by type, recipient and
    reason and the last ``keep``; tell it :class:`SubscribeDeadLetters` to
    have matching dead letters forwarded to an actor. Counts start when the
    view starts (``system.dead_letters`` counts by type since the system
    started). A restart resets the counts. A subscriber that stops is dropped.
    """

    def __init__(self, settings: _Settings) -> None:
        self.recent: deque[DeadLetter] = deque(maxlen=settings.keep)
        self.by_type: Counter[str] = Counter()
        self.by_recipient: Counter[str] = Counter()
        self.by_reason: Counter[str] = Counter()
        self.total = 0
        self.subscriptions: dict[ActorRef, SubscribeDeadLetters] = {}

    def on_start(self) -> None:
        self.context.system.event_stream.subscribe(self.context.self_ref, DeadLetter)

    def receive(self, message: Any) -> Any:
        match message:
            case DeadLetter():
                self._record(message)
            case GetDeadLetterReport():
                return DeadLetterReport(
                    total=self.total,
                    by_type=MappingProxyType(dict(self.by_type)),
                    by_recipient=MappingProxyType(dict(self.by_recipient)),
                    by_reason=MappingProxyType(dict(self.by_reason)),
                    recent=tuple(self.recent),
                )
            case SubscribeDeadLetters():
                self.subscriptions[message.subscriber] = message
                self.context.watch(message.subscriber)
            case UnsubscribeDeadLetters(subscriber) | Terminated(subscriber):
                if self.subscriptions.pop(subscriber, None) is not None:
                    self.context.unwatch(subscriber)
            case _:
                return super().receive(message)
        return None

    def _record(self, letter: DeadLetter) -> None:
        self.total += 1
        self.by_type[type(letter.message).__qualname__] += 1
        self.by_recipient[letter.recipient.path] += 1
        self.by_reason[letter.reason] += 1
        self.recent.append(letter)
        for subscriber, wanted in self.subscriptions.items():
            if wanted.message_type is not None and not isinstance(
                letter.message, wanted.message_type
            ):
                continue
            if wanted.recipient is not None and not in_subtree(
                letter.recipient.path, wanted.recipient
            ):
                continue
            subscriber.tell(letter)


def spawn_dead_letter_view(
    spawner: Any, *, keep: int = 100, name: str | None = "dead-letters"
) -> ActorRef:
    """Spawn a :class:`DeadLetterView` keeping the last ``keep`` dead letters; return its ref.

    Raises:
        InvalidSetting: ``keep`` is not a whole number >= 0.
    """
    settings = _Settings(keep)
    return spawner.spawn(DeadLetterView, settings, name=name)  # type: ignore[no-any-return]
