"""Reminders against a model, explored by hypothesis in virtual time on both backends.

Reminders are set, replaced and cancelled at random while entities are
passivated and reactivated. Every reminder that was still current when it
came due fires exactly once (no crash here, so "at least once" is once), and
one replaced or cancelled before it came due never fires.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors import ActorSystem
from actors.persistence import InMemoryJournal
from tests.actors.probe import Inbox
from tests.sharding.entities import Cancel, Counter, Remind, registry
from tests.sharding.virtual_time import BACKENDS, run_in_virtual_time

#: ("remind", entity, name, after) | ("cancel", entity, name) | ("sleep", seconds).
operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("remind"),
            st.sampled_from(["a", "b"]),
            st.sampled_from(["x", "y"]),
            st.sampled_from([0.5, 1.5, 2.5]),
        ),
        st.tuples(st.just("cancel"), st.sampled_from(["a", "b"]), st.sampled_from(["x", "y"])),
        st.tuples(st.just("sleep"), st.sampled_from([1.0, 2.0])),
    ),
    max_size=25,
)


@pytest.mark.parametrize("backend", BACKENDS)
@given(steps=operations)
def test_current_reminders_fire_once_and_withdrawn_ones_never(
    backend: str, steps: list[tuple[Any, ...]]
) -> None:
    inbox = Inbox()
    due: dict[str, float] = {}  # token -> when it comes due (virtual time)
    withdrawn: dict[str, float] = {}  # token -> when it was replaced or cancelled
    current: dict[tuple[str, str], str] = {}

    def withdraw(key: tuple[str, str], now: float) -> None:
        token = current.pop(key, None)
        if token is not None:
            withdrawn[token] = now

    async def scenario() -> None:
        journal = InMemoryJournal(registry=registry())
        async with ActorSystem(journal=journal) as system:
            await system.start_sharding("counter", Counter, inbox, passivate_after=1.0)
            for number, step in enumerate(steps):
                now = anyio.current_time()
                if step[0] == "sleep":
                    await anyio.sleep(step[1])
                    continue
                entity_id, name = step[1], step[2]
                ref = system.entity("counter", entity_id)
                if step[0] == "cancel":
                    withdraw((entity_id, name), now)
                    await ref.ask(Cancel(name), timeout=100)
                else:
                    withdraw((entity_id, name), now)
                    token = f"{entity_id}:{name}:{number}"
                    current[(entity_id, name)] = token
                    due[token] = now + step[3]
                    await ref.ask(Remind(name, token, after=step[3]), timeout=100)
            await anyio.sleep(10.0)  # everything still current comes due

    run_in_virtual_time(backend, scenario)
    fired = [message for _, message in inbox.messages]
    assert len(fired) == len(set(fired)), fired  # never twice
    for token, when in due.items():
        if token not in withdrawn:
            assert token in fired, token
        elif withdrawn[token] < when - 0.25:  # withdrawn well before it came due
            assert token not in fired, token
