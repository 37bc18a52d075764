"""gRPC mutual TLS: a peer without a client certificate signed by our CA cannot call a service."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from carbon_runtime.settings import AuthSettings
from carbon_runtime.transport.auth import TokenVerifier
from carbon_runtime.transport.grpc_runtime import ClientTls, ServerTls, build_server
from tooling.devstack import free_port


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _cert(subject: str, key: Any, issuer_key: Any, issuer: str, ca: bool, san: str | None = None) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate | None = None, key: Any = None) -> str:
    if cert is not None:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return str(path)


def test_mutual_tls_refuses_peers_without_a_client_certificate(tmp_path: Path) -> None:
    ca_key = _key()
    ca = _cert("carbon-ca", ca_key, ca_key, "carbon-ca", ca=True)
    srv_key, cli_key = _key(), _key()
    srv = _cert("registry", srv_key, ca_key, "carbon-ca", ca=False, san="localhost")
    cli = _cert("trading", cli_key, ca_key, "carbon-ca", ca=False)
    ca_file = _write(tmp_path / "ca.pem", ca)
    tls = ServerTls(_write(tmp_path / "srv.pem", srv), _write(tmp_path / "srv.key", key=srv_key), ca_file)
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: dict[str, asyncio.Event] = {}

    async def serve() -> None:
        server, health, _ = await build_server(
            host="127.0.0.1", port=port, verifier=TokenVerifier(AuthSettings(), production=False),
            register=lambda s: None, service_names=[], max_message_bytes=1 << 20, tls=tls,
        )  # fmt: skip
        await server.start()
        await health.set("", health_pb2.HealthCheckResponse.SERVING)
        stop["e"] = asyncio.Event()
        ready.set()
        await stop["e"].wait()
        await server.stop(0)

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    assert ready.wait(10)
    options = [("grpc.ssl_target_name_override", "localhost")]
    try:
        good = ClientTls(ca_file, _write(tmp_path / "cli.pem", cli), _write(tmp_path / "cli.key", key=cli_key))
        with grpc.secure_channel(f"127.0.0.1:{port}", good.credentials(), options=options) as ch:
            resp = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert resp.status == health_pb2.HealthCheckResponse.SERVING
        anonymous = ClientTls(ca_file)
        with grpc.secure_channel(f"127.0.0.1:{port}", anonymous.credentials(), options=options) as ch:
            with pytest.raises(grpc.RpcError) as err:
                health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        loop.call_soon_threadsafe(stop["e"].set)
        thread.join(10)
