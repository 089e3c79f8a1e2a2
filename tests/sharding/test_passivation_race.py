"""Passivation racing messages, explored by hypothesis in virtual time: nothing lost, nothing doubled."""

from __future__ import annotations

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors import ActorSystem
from tests.actors.probe import Inbox
from tests.sharding.entities import Counter
from tests.sharding.virtual_time import BACKENDS, run_in_virtual_time

ENTITIES = ["a", "b"]
SENDERS = 3
#: A step: ("tell" | "ask" | "send", sender, entity) or ("sleep", seconds).
steps = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(["tell", "ask", "send"]),
            st.integers(0, SENDERS - 1),
            st.sampled_from(ENTITIES),
        ),
        st.tuples(st.just("sleep"), st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.5, 3.0])),
    ),
    max_size=40,
)


@pytest.mark.parametrize("backend", BACKENDS)
@given(scenario=steps, stop_delay=st.sampled_from([0.0, 0.25, 1.0]))
def test_every_message_reaches_exactly_one_activation_in_order_per_sender(
    backend: str, scenario: list[tuple[object, ...]], stop_delay: float
) -> None:
    inbox = Inbox()
    sent: dict[tuple[int, str], list[int]] = {}

    async def run() -> None:
        async with ActorSystem() as system:
            region = await system.start_sharding(
                "counter", Counter, inbox, stop_delay, passivate_after=1.0
            )
            for number, step in enumerate(scenario):
                if step[0] == "sleep":
                    await anyio.sleep(float(step[1]))  # type: ignore[arg-type]
                    continue
                kind, sender, entity_id = step
                message = (sender, number)
                sent.setdefault((sender, entity_id), []).append(number)  # type: ignore[arg-type]
                ref = system.entity("counter", entity_id)  # type: ignore[arg-type]
                if kind == "tell":
                    ref.tell(message)
                elif kind == "send":
                    await ref.send(message)
                else:
                    await ref.ask(message, timeout=100)
            for entity_id in ENTITIES:
                await system.entity("counter", entity_id).ask(("end", -1), timeout=100)
            assert region.activations >= len(ENTITIES)

    run_in_virtual_time(backend, run)
    received: dict[tuple[int, str], list[int]] = {}
    for entity_id, (sender, number) in inbox.messages:
        if sender != "end":
            received.setdefault((sender, entity_id), []).append(number)
    assert received == sent
