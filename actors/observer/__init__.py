"""A live web page of an actor system, Erlang ``observer``-style (``anyactors[observer]``).

::

    from actors.observer import serve_observer

    async with ActorSystem("bank") as system:
        observer = await serve_observer(system, port=8089)
        print("watch it at", observer.url)

Importing this package imports neither Starlette nor Hypercorn;
:func:`serve_observer` does, and says what to install if they are missing.
"""

from ._core_hooks import InjectedFailure as InjectedFailure
from ._server import Observer as Observer
from ._server import serve_observer as serve_observer

__all__ = ["InjectedFailure", "Observer", "serve_observer"]
