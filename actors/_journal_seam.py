"""The seam for journals (``ActorSystem(journal=...)``), and a small option check.

The core never imports ``actors.persistence`` (nor msgspec): it keeps the
journal it is given, lets a persistent actor class refuse to be spawned in a
system without one (``Actor._spawn_check``), and closes the journal when the
system exits, after its actors have stopped.
"""

from __future__ import annotations

import logging

import anyio

logger = logging.getLogger(__name__)


def positive_int(value: object, what: str) -> int:
    """``value`` if it is a whole number >= 1, else a ``ValueError`` naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a whole number >= 1 (got {value!r})")
    return value


async def close_journal(journal: object, timeout: float) -> None:
    """Close ``journal`` (if any) within ``timeout`` seconds, shielded; a failure is logged."""
    close = getattr(journal, "close", None)
    if close is None:
        return
    with anyio.move_on_after(timeout, shield=True):
        try:
            await close()
        except Exception:
            logger.exception("closing the journal %r failed", journal)
