"""The guardians: the runtime's own actors at the top of the tree.

``/user`` is the parent of every actor spawned with ``system.spawn``;
``/system`` is the parent of the runtime's own actors (transports, observers).
Their supervision rules live in ``_supervising.py``.
"""

from __future__ import annotations

from supervision import RestartHistory

from ._actor import Actor


class Guardian(Actor):
    """Supervises top-level actors, each with its own restart window."""

    def __init__(self) -> None:
        self.restart_histories: dict[str, RestartHistory] = {}
