"""Issue 18 item 8: the nats extra is named when missing; nkey and .creds auth work.

Both authentications run against a real nats-server configured for them: one
with an nkey user, one in operator mode (operator, account and user JWTs
signed here with nkeys, as the ``nsc`` tool would make them).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nkeys
import pytest

from actors import ActorSystem
from actors.remote import NatsCluster
from tests.remote.nats_servers import start_server, wait_healthy
from tests.remote.remote_helpers import WAIT, Echo, Echoer, make_registry


def test_importing_without_the_extra_names_the_extra() -> None:
    for missing in ("nats", "nkeys", "msgspec"):
        code = f"import sys; sys.modules[{missing!r}] = None; import actors.remote"
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        assert result.returncode == 1
        assert result.stderr.strip().splitlines()[-1] == (
            "ImportError: actors.remote needs nats-py, nkeys and msgspec (the nats extra): "
            "pip install 'anyactors[nats]'"
        )


def _keys(prefix: int) -> nkeys.KeyPair:
    return nkeys.from_seed(nkeys.encode_seed(os.urandom(32), prefix))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(issuer: nkeys.KeyPair, subject: str, name: str, nats_claims: dict[str, object]) -> str:
    """A NATS JWT (v2, ed25519-nkey) for ``subject``, signed by ``issuer``."""
    claims: dict[str, object] = {
        "iat": int(time.time()),
        "iss": issuer.public_key.decode(),
        "name": name,
        "sub": subject,
        "nats": {**nats_claims, "version": 2},
    }
    claims["jti"] = (
        base64.b32encode(hashlib.sha256(json.dumps(claims, sort_keys=True).encode()).digest())
        .decode()
        .rstrip("=")
    )
    header = _b64(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = _b64(issuer.sign(f"{header}.{payload}".encode()))
    return f"{header}.{payload}.{signature}"


UNLIMITED = {"subs": -1, "data": -1, "payload": -1}


@pytest.mark.anyio
async def test_a_node_authenticates_with_an_nkey(tmp_path: Path) -> None:
    user = _keys(nkeys.PREFIX_BYTE_USER)
    config = tmp_path / "nkey.conf"
    config.write_text(f"authorization {{ users = [ {{ nkey: {user.public_key.decode()} }} ] }}\n")
    server = start_server(tmp_path / "js", name="nkey", extra_args=["-c", str(config)])
    try:
        wait_healthy([server])
        seed = tmp_path / "node.nk"
        seed.write_bytes(user.seed)
        cluster = NatsCluster(
            server.url,
            node="a",
            registry=make_registry(),
            connect_options={"nkeys_seed": str(seed)},
        )
        async with ActorSystem("shop", cluster=cluster) as system:
            echo = system.spawn(Echoer, name="echo")
            assert (
                await (await system.find("echo", timeout=WAIT)).ask(Echo("hi"), timeout=WAIT)
                == "hi"
            )
            assert echo.path == "/user/echo"
    finally:
        server.stop()


@pytest.mark.anyio
async def test_a_node_authenticates_with_a_credentials_file(tmp_path: Path) -> None:
    operator = _keys(nkeys.PREFIX_BYTE_OPERATOR)
    account = _keys(nkeys.PREFIX_BYTE_ACCOUNT)
    user = _keys(nkeys.PREFIX_BYTE_USER)
    account_id = account.public_key.decode()
    operator_jwt = _jwt(operator, operator.public_key.decode(), "anyactors", {"type": "operator"})
    jetstream = {"mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1}
    limits = {**UNLIMITED, "imports": -1, "exports": -1, "wildcards": True, "conn": -1, "leaf": -1}
    account_jwt = _jwt(
        operator, account_id, "shop", {"type": "account", "limits": {**limits, **jetstream}}
    )
    user_jwt = _jwt(account, user.public_key.decode(), "node-a", {"type": "user", **UNLIMITED})
    system = _keys(nkeys.PREFIX_BYTE_ACCOUNT)  # the server's own account, which JetStream needs
    system_id = system.public_key.decode()
    system_jwt = _jwt(operator, system_id, "SYS", {"type": "account", "limits": limits})
    config = tmp_path / "operator.conf"
    config.write_text(
        f"operator: {operator_jwt}\nsystem_account: {system_id}\nresolver: MEMORY\n"
        f"resolver_preload: {{ {account_id}: {account_jwt}, {system_id}: {system_jwt} }}\n"
    )
    credentials = tmp_path / "node-a.creds"
    credentials.write_text(
        "-----BEGIN NATS USER JWT-----\n"
        f"{user_jwt}\n"
        "------END NATS USER JWT------\n\n"
        "-----BEGIN USER NKEY SEED-----\n"
        f"{user.seed.decode()}\n"
        "------END USER NKEY SEED------\n"
    )
    server = start_server(tmp_path / "js", name="operator", extra_args=["-c", str(config)])
    try:
        wait_healthy([server])
        cluster = NatsCluster(
            server.url, node="a", registry=make_registry(), credentials=str(credentials)
        )
        async with ActorSystem("shop", cluster=cluster) as system:
            system.spawn(Echoer, name="echo")
            assert (
                await (await system.find("echo", timeout=WAIT)).ask(Echo("hi"), timeout=WAIT)
                == "hi"
            )
    finally:
        server.stop()
