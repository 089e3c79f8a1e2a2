"""A test kit for actors: probes, fixtures, virtual time, a deterministic mode.

* :func:`spawn_probe` / :class:`Probe`: a ref to hand to actors, then
  ``await probe.expect(Kind)``, ``expect_no_message``, ``reply``.
* ``actors.testing.pytest_plugin``: ``anyio_backend`` (both backends),
  ``actor_system`` and ``probe`` fixtures.
* :func:`virtual_time_backend` (trio's ``MockClock``) and
  :class:`VirtualTimeLoop` (asyncio): timers and backoff in virtual time.
* :func:`run_deterministic`: a seeded, virtual-time run that replays exactly.
* :func:`wait_idle`, :class:`Crash` / :class:`InjectedFailure` for fault injection.

hypothesis is a test dependency only, so its helpers live in
``actors.testing.protocols``, which this package never imports: import that
module from your tests.
"""

from ._deterministic import run_deterministic as run_deterministic
from ._faults import Crash as Crash
from ._faults import InjectedFailure as InjectedFailure
from ._idle import WAIT as WAIT
from ._idle import wait_idle as wait_idle
from ._probe import Probe as Probe
from ._probe import ProbeActor as ProbeActor
from ._probe import spawn_probe as spawn_probe
from ._virtual_time import VirtualTimeLoop as VirtualTimeLoop
from ._virtual_time import virtual_time_backend as virtual_time_backend

__all__ = [
    "WAIT",
    "Crash",
    "InjectedFailure",
    "Probe",
    "ProbeActor",
    "VirtualTimeLoop",
    "run_deterministic",
    "spawn_probe",
    "virtual_time_backend",
    "wait_idle",
]
