"""The type variables of the typed API: what an actor accepts, what a request answers.

They exist for type checkers only: a ``Generic`` class subscripted with them
(``ActorRef[Deposit]``) is the same class at run time, so nothing on the
per-message path looks at them. Their defaults (``Any``) are what keep bare
``Actor`` and ``ActorRef`` annotations valid under ``mypy --strict``; a
``TypeVar`` takes a default from Python 3.13 on, and from ``typing_extensions``
before (a dependency anyio already has on those versions).
"""

import sys
from typing import Any

if sys.version_info >= (3, 13):
    from typing import TypeVar
else:
    from typing_extensions import TypeVar

#: The messages an actor accepts (``Actor[M]``).
M = TypeVar("M", default=Any)
#: The messages a ref accepts: contravariant, so an ``ActorRef[A | B]`` is an ``ActorRef[A]``.
M_contra = TypeVar("M_contra", contravariant=True, default=Any)
#: The reply a :class:`~actors.Request` expects.
R_co = TypeVar("R_co", covariant=True, default=Any)
#: A reply type, inferred at a call site.
R = TypeVar("R")
