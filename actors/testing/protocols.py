"""hypothesis helpers for testing your own actor protocols.

This module imports hypothesis, a test dependency: import it from tests
only (``actors.testing`` itself never imports it).

* :func:`seeds`: seeds for :func:`~actors.testing.run_deterministic`;
  hypothesis shrinks a failing interleaving to a small seed that replays.
* :func:`from_attrs` / :func:`messages`: strategies for attrs message classes.
* :class:`ProtocolMachine`: a stateful-test base that runs an actor system
  in a background event loop, sends generated messages, injects failures
  (``Crash``) and checks your invariants once the system is idle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import attrs
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from actors import ActorRef, ActorSystem

from ._faults import Crash
from ._idle import wait_idle

__all__ = ["ProtocolMachine", "from_attrs", "messages", "seeds"]


def seeds() -> st.SearchStrategy[int]:
    """Seeds for ``run_deterministic`` / ``ActorSystem(seed=...)``; they shrink towards 0."""
    return st.integers(min_value=0, max_value=2**32 - 1)


def from_attrs(cls: type[Any], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Instances of the attrs class ``cls``; ``fields`` override the strategy of some fields.

    The other fields are drawn from their type annotations (as ``st.builds``
    does), so annotate every field.

    Raises:
        TypeError: ``cls`` is not an attrs class.
    """
    if not attrs.has(cls):
        raise TypeError(
            f"from_attrs() needs an attrs class (got {cls!r}); decorate it with @frozen"
        )
    return st.builds(cls, **fields)


def messages(*classes: type[Any], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Instances of any of the attrs ``classes``; ``fields`` apply to the classes that have them."""
    if not classes:
        raise TypeError("messages() needs at least one attrs class")
    return st.one_of(
        [
            from_attrs(cls, **{k: v for k, v in fields.items() if k in attrs.fields_dict(cls)})
            for cls in classes
        ]
    )


class ProtocolMachine(RuleBasedStateMachine):
    """A stateful test of an actor protocol: generated messages, failures, invariants.

    Subclass it and override :meth:`start_actors` (spawn your actors), :meth:`messages`
    and :meth:`targets`; optionally :meth:`deliver`, :meth:`crashable` and
    :meth:`inject_failure`; check your invariants in :meth:`assert_invariants`.
    Each example runs a fresh ``ActorSystem`` in a background event loop
    (``backend``: ``"asyncio"`` or ``"trio"``). After every step the system
    is left to go idle, then ``assert_invariants`` runs in it. Add your own
    ``@rule``\\ s as well; run the machine with ``MyMachine.TestCase``.

    Failures are injected by sending :class:`~actors.testing.Crash` to an
    actor from :meth:`crashable`; it must answer by raising (for example
    ``InjectedFailure``), and its supervisor restarts it.
    """

    backend: ClassVar[str] = "asyncio"
    portal: BlockingPortal
    system: ActorSystem

    def __init__(self) -> None:
        super().__init__()
        self._portal_cm = start_blocking_portal(self.backend)
        self.portal = self._portal_cm.__enter__()
        try:
            self._system_cm = self.portal.wrap_async_context_manager(ActorSystem("protocol"))
            self.system = self._system_cm.__enter__()
            self.portal.call(self.start_actors)
        except BaseException:
            self._portal_cm.__exit__(None, None, None)
            raise

    async def start_actors(self) -> None:
        """Spawn the actors under test in ``self.system``; keep their refs on ``self``."""

    def messages(self) -> st.SearchStrategy[Any]:
        """The messages to send (for example ``messages(Deposit, Withdraw)``)."""
        raise NotImplementedError("override messages() to return a strategy of messages")

    def targets(self) -> Sequence[ActorRef]:
        """The refs generated messages are sent to."""
        raise NotImplementedError("override targets() to return the refs to send to")

    def crashable(self) -> Sequence[ActorRef]:
        """The refs failures may be injected into (by default, :meth:`targets`)."""
        return self.targets()

    async def deliver(self, target: ActorRef, message: Any) -> None:
        """Send ``message`` to ``target`` (``tell`` by default)."""
        target.tell(message)

    async def inject_failure(self, target: ActorRef) -> None:
        """Make ``target`` fail (tells it :class:`~actors.testing.Crash`)."""
        target.tell(Crash())

    async def assert_invariants(self) -> None:
        """Assert what must hold whenever the system is idle."""

    @rule(data=st.data())
    def send_generated_message(self, data: st.DataObject) -> None:
        """Send one generated message to one target."""
        target = data.draw(st.sampled_from(list(self.targets())), label="target")
        message = data.draw(self.messages(), label="message")
        self.portal.call(self.deliver, target, message)

    @rule(data=st.data())
    def crash_an_actor(self, data: st.DataObject) -> None:
        """Inject a failure into one crashable actor."""
        candidates = list(self.crashable())
        if candidates:
            target = data.draw(st.sampled_from(candidates), label="crash")
            self.portal.call(self.inject_failure, target)

    @invariant()
    def invariants_hold(self) -> None:
        """Let the system go idle, then run :meth:`assert_invariants`."""
        self.portal.call(self._settle_and_check)

    async def _settle_and_check(self) -> None:
        await wait_idle(self.system)
        await self.assert_invariants()

    def teardown(self) -> None:
        """Shut the system down, then the background event loop."""
        try:
            self._system_cm.__exit__(None, None, None)
        finally:
            self._portal_cm.__exit__(None, None, None)
