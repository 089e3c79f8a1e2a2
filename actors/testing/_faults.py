"""Fault injection: a message that a test-aware actor answers by failing."""

from __future__ import annotations

from attrs import frozen


class InjectedFailure(Exception):
    """The exception an actor raises on :class:`Crash`: a failure a test asked for."""


@frozen
class Crash:
    """Ask an actor to fail now (handle it with ``case Crash(): raise InjectedFailure(...)``).

    The stateful-test base in ``actors.testing.protocols`` sends it to inject
    failures; the actor's supervisor then restarts it as for any failure.
    """

    reason: str = "injected"
