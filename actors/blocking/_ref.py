"""``BlockingRef``: an actor's ref for threads that run no event loop."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actors import ActorRef

    from ._system import BlockingActorSystem


class BlockingRef:
    """An :class:`~actors.ActorRef` seen from plain synchronous code.

    Made by :meth:`BlockingActorSystem.spawn`, :meth:`~BlockingActorSystem.lookup`
    and :meth:`~BlockingActorSystem.wrap`. Every method is safe to call from
    any thread, concurrently. Messages that one thread sends to one actor
    (``tell``, ``send`` and ``ask`` alike) arrive in the order sent, as with
    the async ref. Two blocking refs are equal when their :attr:`ref` are.
    """

    __slots__ = ("_ref", "_system")

    def __init__(self, ref: ActorRef, system: BlockingActorSystem) -> None:
        self._ref = ref
        self._system = system

    @property
    def ref(self) -> ActorRef:
        """The underlying :class:`~actors.ActorRef`: put it inside messages, use it in actors."""
        return self._ref

    @property
    def path(self) -> str:
        """The actor's path, e.g. ``"/user/bank/ada"``."""
        return self._ref.path

    @property
    def name(self) -> str:
        """The last segment of :attr:`path`."""
        return self._ref.name

    def tell(self, message: object) -> None:
        """Send ``message`` without waiting; never blocks the calling thread.

        From another thread the message is handed to the system's event loop,
        which delivers it as ``ActorRef.tell`` does: to a stopped actor it
        becomes a dead letter. The caller has moved on by then, so a full
        bounded mailbox cannot raise into it: the message becomes a dead
        letter with reason ``"mailbox full"`` (seen on the event stream and
        counted). From the system's own loop thread it is ``ActorRef.tell``
        itself, and raises ``MailboxFull`` in place.

        Raises:
            ActorSystemClosed: the system is not running.
        """
        self._system._bridge.tell(self._ref, message)

    def send(self, message: object) -> None:
        """Send ``message``, blocking while a bounded mailbox is full, as ``ActorRef.send`` waits.

        For a producer thread feeding an actor with ``Overflow.BACKPRESSURE``:
        it waits for room instead of losing the message. Other policies apply
        as for ``ActorRef.send``; to a stopped actor the message becomes a
        dead letter. Returns once the message is in the mailbox.

        Raises:
            MailboxFull: the mailbox is full and its policy is ``Overflow.FAIL``.
            BlockingCallRefused: called from the system's own event loop thread.
            ActorSystemClosed: the system is not running.
        """
        bridge = self._system._bridge
        bridge.refuse_on_loop(f"send() to {self._ref.path}")
        bridge.wait(self._ref.send, message)

    def ask(self, message: object, *, timeout: float | None = None) -> Any:
        """Send ``message`` and block the calling thread until the actor's reply.

        Args:
            message: the request.
            timeout: seconds to wait for the reply; ``None`` waits without limit.

        Returns:
            What the actor's ``receive`` returned.

        Raises:
            Exception: whatever ``receive`` raised, with its own type (the
                actor has also failed; its supervisor decides what next).
            TimeoutError: no reply within ``timeout``; the request is still
                handled and its reply discarded.
            ActorStopped: the actor has stopped, or stopped before answering
                (also when the system shuts down while the caller waits).
            ActorSystemClosed: the system is not running, or it ended with
                the request still out (an ask to another process).
            MailboxFull: the actor's bounded mailbox is full and its policy
                is ``Overflow.FAIL`` or ``Overflow.DROP``.
            BlockingCallRefused: called from the system's own event loop
                thread, where it would deadlock; use ``await ref.ask(...)``.

        An interrupt (``KeyboardInterrupt``) while waiting abandons the reply;
        the request itself is still handled.
        """
        return self._system._bridge.ask(self._ref, message, timeout)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BlockingRef):
            return self._ref == other._ref
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._ref)

    def __repr__(self) -> str:
        return f"<BlockingRef {self._ref.path}>"
