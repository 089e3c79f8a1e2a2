"""The blocking package's error."""

from __future__ import annotations

from actors import ActorError


class BlockingCallRefused(ActorError, RuntimeError):
    """A blocking call was made from the event loop thread of its own actor system.

    The call (``BlockingRef.ask`` or ``send``, ``BlockingActorSystem.stop``,
    ``call`` or leaving the ``with`` block) would wait for that very loop, which cannot
    run while it waits: a deadlock. It is refused at once instead. Inside a
    handler, hook or task of the system, use the async API:
    ``await blocking_ref.ref.ask(...)``.
    """
