"""A finite-state machine with become/unbecome, the stash, and a priority mailbox.

A turnstile has three states, each a handler method:

* ``booting``: it has not loaded its configuration yet; coins and pushes
  that arrive are put aside with ``context.stash()`` and taken back with
  ``unstash_all()`` once it is ready;
* ``locked``: a coin unlocks it, a push is refused;
* ``unlocked``: a push lets one person through and locks it again.

A transition is ``self.context.become(self.next_state)``. Maintenance
(``become(..., discard_old=False)``) is pushed on top of whatever state the
turnstile was in and popped with ``unbecome()``. Its mailbox is a priority
mailbox: an ``EmergencyOpen`` overtakes the queued coins and pushes.

Run it: ``python examples/turnstile_fsm.py [--backend trio]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import anyio
from attrs import frozen

from actors import Actor, ActorSystem, MailboxConfig, props


@frozen
class Coin:
    pass


@frozen
class Push:
    pass


@frozen
class Ready:
    """The configuration has loaded."""


@frozen
class Maintenance:
    """Start maintenance: everything is refused until ``Done``."""


@frozen
class Done:
    """Maintenance is over: back to the state before it."""


@frozen
class EmergencyOpen:
    """Handled before anything already queued (priority 0)."""


#: What a turnstile accepts; the two strings ask for its state and its count.
TurnstileMessage = (
    Coin | Push | Ready | Maintenance | Done | EmergencyOpen | Literal["state", "passed"]
)


def priority(message: object) -> int:
    return 0 if isinstance(message, EmergencyOpen) else 1


class Turnstile(Actor[TurnstileMessage]):
    mailbox: ClassVar[MailboxConfig | None] = MailboxConfig(priority=priority)

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.passed = 0

    def receive(self, message: TurnstileMessage) -> Any:  # the initial state: booting
        match message:
            case Ready():
                self.log.append(f"ready; {self.context.unstash_all()} stashed messages back")
                self.context.become(self.locked)
            case Coin() | Push():
                self.context.stash()  # not ready yet: keep it for later
            case _:
                return self.common(message, "booting")

    def locked(self, message: Any) -> Any:
        match message:
            case Coin():
                self.log.append("locked + coin -> unlocked")
                self.context.become(self.unlocked)
            case Push():
                self.log.append("locked + push -> refused")
            case _:
                return self.common(message, "locked")

    def unlocked(self, message: Any) -> Any:
        match message:
            case Push():
                self.passed += 1
                self.log.append("unlocked + push -> locked (one passed)")
                self.context.become(self.locked)
            case Coin():
                self.log.append("unlocked + coin -> thanks")
            case _:
                return self.common(message, "unlocked")

    def maintenance(self, message: Any) -> Any:
        if isinstance(message, Done):
            self.log.append("maintenance done")
            self.context.unbecome()  # back to the state that was interrupted
        elif message == "state":
            return "maintenance"
        else:
            self.log.append(f"maintenance: {type(message).__name__} refused")

    def common(self, message: Any, state: str) -> Any:
        match message:
            case Maintenance():
                self.log.append(f"{state} -> maintenance")
                self.context.become(self.maintenance, discard_old=False)
            case EmergencyOpen():
                self.log.append(f"emergency open while {state}")
                self.context.become(self.unlocked)
            case "state":
                return state
            case "passed":
                return self.passed


async def main() -> None:
    log: list[str] = []
    async with ActorSystem("turnstile") as system:
        gate = system.spawn(props(Turnstile, log), name="gate")  # ActorRef[TurnstileMessage]
        for message in (Coin(), Push(), Push()):
            gate.tell(message)  # stashed: the turnstile is booting
        gate.tell(Ready())
        print(f"state after boot: {await gate.ask('state')}")
        for step in (Maintenance(), Coin(), Done(), Coin()):
            gate.tell(step)
        print(f"state after maintenance: {await gate.ask('state')}")
        gate.tell(Push())
        gate.tell(Push())
        gate.tell(EmergencyOpen())  # overtakes the two pushes queued before it
        print(f"people passed: {await gate.ask('passed')}")
    for line in log:
        print(f"  {line}")


def run(argv: Sequence[str] | None = None) -> None:
    """Parse ``--backend`` and run :func:`main` on it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    anyio.run(main, backend=parser.parse_args(argv).backend)


if __name__ == "__main__":
    run()
