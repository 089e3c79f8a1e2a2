"""Actors from synchronous code: scripts, Flask and Django views, notebooks, data jobs.

:class:`BlockingActorSystem` runs an :class:`~actors.ActorSystem` on its own
event loop (asyncio or trio) in a background thread; its
:class:`BlockingRef` objects ``tell`` without blocking and ``ask`` by
blocking the calling thread until the reply. See ``docs/embedding.md``.
Built only on the public ``actors`` API.
"""

from ._errors import BlockingCallRefused as BlockingCallRefused
from ._ref import BlockingRef as BlockingRef
from ._system import BlockingActorSystem as BlockingActorSystem

__all__ = ["BlockingActorSystem", "BlockingCallRefused", "BlockingRef"]
