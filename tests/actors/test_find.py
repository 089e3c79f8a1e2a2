"""system.find(name, timeout=...) without a cluster: waits for a top-level actor's spawn."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from actors import ActorRef, ActorSystem
from tests.actors.probe import Inbox, Recorder

pytestmark = pytest.mark.anyio


async def test_find_with_a_timeout_waits_for_a_spawn() -> None:
    async with ActorSystem() as system:
        found: list[ActorRef] = []
        async with anyio.create_task_group() as task_group:

            async def find() -> None:
                found.append(await system.find("later", timeout=10.0))

            task_group.start_soon(find)
            await anyio.lowlevel.checkpoint()
            ref = system.spawn(Recorder, Inbox(), name="later")
        assert found == [ref]
        with pytest.raises(LookupError, match=r"^no live top-level actor is named 'nobody'$"):
            await system.find("nobody", timeout=0.05)
        assert await system.find("later") is ref
