"""Joining a cluster as a new user meets it: bounded in time, and the cause named."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest

from actors import ActorSystem
from actors.remote import ClusterUnreachable, NatsCluster
from tests.remote.nats_servers import free_port, start_server, wait_healthy

pytestmark = pytest.mark.anyio


async def test_nothing_listening_fails_within_the_connect_timeout() -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    cluster = NatsCluster(url, node="a", connect_timeout=1.0)
    with pytest.raises(
        ClusterUnreachable,
        match=rf"^nothing is listening at {url} \(connection refused\); start a server \(`python -m actors\.remote\.server` for development\) or correct NatsCluster\(servers=\.\.\.\)$",
    ):
        async with ActorSystem("shop", cluster=cluster):
            pytest.fail("attached with no server")


async def test_a_wrong_token_is_refused_at_once_by_name(tmp_path: Path) -> None:
    server = start_server(tmp_path / "js", name="auth", extra_args=["--auth", "right-token"])
    try:
        wait_healthy([server])
        cluster = NatsCluster(
            server.url, node="a", connect_timeout=60.0, connect_options={"token": "wrong"}
        )
        with pytest.raises(
            ClusterUnreachable,
            match=r"^the NATS server at nats://127\.0\.0\.1:\d+ refused this node's credentials \(.*[Aa]uthorization [Vv]iolation.*\); check NatsCluster\(credentials=\.\.\.\)",
        ):
            async with ActorSystem("shop", cluster=cluster):
                pytest.fail("attached with a wrong token")
        right = NatsCluster(server.url, node="a", connect_options={"token": "right-token"})
        async with ActorSystem("shop", cluster=right) as system:
            assert system.name == "shop"
    finally:
        server.stop()


async def test_a_server_without_jetstream_is_named(tmp_path: Path) -> None:
    server = start_server(tmp_path / "js", name="core-only", jetstream=False)
    try:
        wait_healthy([server])
        cluster = NatsCluster(server.url, node="a", connect_timeout=60.0)
        with pytest.raises(
            ClusterUnreachable,
            match=r"^the NATS server at nats://127\.0\.0\.1:\d+ does not have JetStream enabled, which keeps the cluster's leases and names; start it with --jetstream",
        ):
            async with ActorSystem("shop", cluster=cluster):
                pytest.fail("attached without JetStream")
    finally:
        server.stop()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (made by the openssl command)."""
    key, certificate = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, certificate


async def test_a_server_requiring_tls_is_named(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    key, cert = certificate
    server = start_server(
        tmp_path / "js",
        name="tls",
        extra_args=["--tls", "--tlscert", str(cert), "--tlskey", str(key)],
    )
    try:
        wait_healthy([server])
        cluster = NatsCluster(server.url, node="a", connect_timeout=60.0)
        with pytest.raises(
            ClusterUnreachable,
            match=r"^the TLS connection to the NATS server at nats://127\.0\.0\.1:\d+ failed \(.*\); the server requires TLS: pass NatsCluster\(tls=ssl_context\)",
        ):
            async with ActorSystem("shop", cluster=cluster):
                pytest.fail("attached without trusting the certificate")
        trusted = NatsCluster(
            server.url, node="a", tls=ssl.create_default_context(cafile=str(cert))
        )
        async with ActorSystem("shop", cluster=trusted) as system:
            assert system.name == "shop"
    finally:
        server.stop()


def test_the_connect_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match=r"^connect_timeout must be > 0 \(got 0\)$"):
        NatsCluster("nats://127.0.0.1:4222", node="a", connect_timeout=0)
