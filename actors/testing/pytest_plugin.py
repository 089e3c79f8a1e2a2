"""pytest fixtures for testing actors on both anyio backends.

Enable it in your top-level ``conftest.py``::

    pytest_plugins = ["actors.testing.pytest_plugin"]

(or import the fixtures you want into a ``conftest.py``). It provides:

* ``anyio_backend``: ``"asyncio"`` and ``"trio"``, so every test marked
  ``anyio`` runs on both (a ``conftest.py`` fixture of the same name wins);
* ``actor_system``: a running ``ActorSystem``, shut down after the test;
* ``probe``: a :class:`~actors.testing.Probe` in that system.

For virtual time, override ``anyio_backend`` in the tests that need it with
:func:`~actors.testing.virtual_time_backend`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from actors import ActorSystem

from ._probe import Probe, spawn_probe

__all__ = ["actor_system", "anyio_backend", "probe"]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> Any:
    """Run each ``anyio`` test on asyncio and on trio."""
    return request.param


@pytest.fixture
async def actor_system(anyio_backend: Any) -> AsyncIterator[ActorSystem]:
    """A running ``ActorSystem`` named ``"test"``; every actor is stopped after the test."""
    async with ActorSystem("test") as system:
        yield system


@pytest.fixture
def probe(actor_system: ActorSystem) -> Probe:
    """A :class:`~actors.testing.Probe` spawned in ``actor_system``."""
    return spawn_probe(actor_system, name="probe")
