"""The type variables of this package's generic refs (see ``actors/_type_parameters.py``)."""

import sys
from typing import Any

if sys.version_info >= (3, 13):
    from typing import TypeVar
else:
    from typing_extensions import TypeVar

#: The messages an actor accepts (``Actor[M]``).
M = TypeVar("M", default=Any)
#: The messages a ref accepts: contravariant, as in ``actors.ActorRef``.
M_contra = TypeVar("M_contra", contravariant=True, default=Any)
#: A reply type, inferred at a call site.
R = TypeVar("R")
