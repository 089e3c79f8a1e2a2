"""Constructor arguments reach ``__init__`` unchanged, at the start and after every restart.

A cell keeps them in the form that costs least (a lone argument as itself,
a pair in two slots, neither in its tuple: see ``actors._actor.Arguments``);
these tests pin that every form, including the ones that could be mistaken
for another, comes back exactly as it was given.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from actors import Actor, ActorSystem, props
from actors._actor import KeywordArguments

pytestmark = pytest.mark.anyio


class Point(NamedTuple):
    """A tuple subclass, as a lone argument."""

    x: int
    y: int


_SENTINEL_KEYWORDS = KeywordArguments((1,), {"a": 2})


class Echo(Actor):
    """Answers with the arguments its instance got; ``"fail"`` makes it fail."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs

    def receive(self, message: Any) -> Any:
        if message == "fail":
            raise RuntimeError("restart me")
        return self.args, self.kwargs


CASES: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((), {}),
    (("alone",), {}),
    ((None,), {}),  # a lone None is not "no arguments"
    (((1, 2),), {}),  # a lone tuple is not "these arguments"
    ((Point(1, 2),), {}),  # a tuple subclass is an argument, not the arguments
    (((),), {}),
    ((_SENTINEL_KEYWORDS,), {}),  # not mistaken for keywords
    (([1, 2],), {}),
    ((1, 2), {}),  # a pair is kept in two slots, not its tuple
    ((None, None), {}),
    (((1, 2), None), {}),  # a pair whose first could pass for the arguments
    ((None, "second"), {}),
    ((_SENTINEL_KEYWORDS, 1), {}),
    ((1, 2, 3), {}),
    ((), {"label": "k"}),
    (("alone",), {"label": "k"}),
]


@pytest.mark.parametrize(("args", "kwargs"), CASES)
async def test_arguments_survive_start_and_restart(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    async with ActorSystem() as system:
        ref = system.spawn(Echo, *args, kwargs=kwargs or None)
        first = await ref.ask("args")
        with pytest.raises(RuntimeError, match="restart me"):
            await ref.ask("fail")
        again = await ref.ask("args")
    assert first == again == (args, kwargs)
    # The very objects given, not equal copies (a NamedTuple stays one).
    assert all(got is given for got, given in zip(again[0], args, strict=True))


@pytest.mark.parametrize(("args", "kwargs"), CASES)
async def test_arguments_through_props_and_from_an_actor(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    class Parent(Actor):
        async def receive(self, message: Any) -> Any:
            child = self.context.spawn(props(Echo, *args, **kwargs))
            return await child.ask("args")

    async with ActorSystem() as system:
        assert await system.spawn(Parent).ask("go") == (args, kwargs)
