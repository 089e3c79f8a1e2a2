"""``actors.persistence.testing``: what goes wrong says so before anything starts."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from actors.persistence.testing import PostgresServer, postgres_binaries, start_postgres
from actors.persistence.testing._postgres_server import _check_reachable, _let_others_enter


def test_the_binaries_are_those_of_the_wheel() -> None:
    binaries = postgres_binaries()
    assert (binaries / "postgres").exists()
    assert (binaries / "initdb").exists()


def test_a_folder_the_server_user_cannot_enter_is_refused_by_name() -> None:
    # As root (CI) the server runs as embedded_postgres; start_postgres checks
    # the folder's parents first, with this function.
    hidden = Path(tempfile.mkdtemp(prefix="anyactors-pg-hidden-"))  # mode 0700
    try:
        with pytest.raises(
            PermissionError,
            match=rf"^the PostgreSQL server runs as 'embedded_postgres', which cannot enter {hidden} \(mode 0o700\); use a folder whose parents are world-executable, such as one under /tmp$",
        ):
            _check_reachable(hidden, "embedded_postgres")
        if os.geteuid() == 0:
            with pytest.raises(PermissionError, match=r"cannot enter"):
                start_postgres(hidden / "data")
    finally:
        shutil.rmtree(hidden, ignore_errors=True)


def test_the_session_server_answers_on_loopback(postgres_server: PostgresServer) -> None:
    assert postgres_server.is_running()
    assert f"port={postgres_server.port}" in postgres_server.conninfo
    assert "host=127.0.0.1" in postgres_server.conninfo_for("other")


def test_the_folders_above_the_binaries_are_made_enterable_and_no_more() -> None:
    top = Path(tempfile.mkdtemp(prefix="anyactors-pg-venv-"))  # mode 0700, like /root
    try:
        inner = top / "venv" / "bin"
        inner.mkdir(parents=True)
        (top / "venv").chmod(0o700)
        _let_others_enter(inner)
        for folder in (top, top / "venv"):
            assert folder.stat().st_mode & 0o777 == 0o701  # x for others, no listing
    finally:
        shutil.rmtree(top, ignore_errors=True)
