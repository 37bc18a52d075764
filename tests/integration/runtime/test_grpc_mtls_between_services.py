"""gRPC mutual TLS between two services (issue 12 item 7): turning on server mTLS does not lock
services out of their peers, because every client a service builds uses its client TLS settings.

Two services, "registry" and "trading", each serve gRPC with mTLS (their own server certificate, a
CA that must have signed the caller's client certificate). A call enters trading, whose handler calls
registry with a GrpcClient built the way services build theirs; trading also replays registry's event
log. A client with no certificate, and a plaintext client, are refused.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import MetaData

from carbon_runtime.messaging.outbox import add_outbox_tables
from carbon_runtime.messaging.replay import register_event_log, replay_from
from carbon_runtime.ops import bootstrap as ops_bootstrap
from carbon_runtime.ops import telemetry
from carbon_runtime.persistence.db import make_engine
from carbon_runtime.settings import AuthSettings, ServiceSettings
from carbon_runtime.transport import grpc_runtime
from carbon_runtime.transport.auth import TokenVerifier, issue_service_token
from carbon_runtime.transport.grpc_runtime import ClientTls, GrpcClient, build_server, client_tls, server_tls
from tooling.devstack import free_port

CA_NAME = "carbon-test-ca"


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key: Any, ca_key: Any, *, ca: bool = False, server: bool = False) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(CA_NAME))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        # Peers are dialled by address in the dev stack and by service name in the chart.
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost"), x509.DNSName(subject)]
            ),
            critical=False,
        )
    return builder.sign(ca_key, hashes.SHA256())


def _pem(path: Path, cert: x509.Certificate) -> str:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


def _key_pem(path: Path, key: Any) -> str:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(path)


@dataclass
class Pki:
    dir: Path
    ca_file: str
    ca_key: Any

    def settings(self, service: str, tmp: Path) -> ServiceSettings:
        """A service's settings with server mTLS and client TLS turned on, as P_GRPC_TLS_* would set them."""
        srv_key, cli_key = _key(), _key()
        server_cert = _cert(service, srv_key, self.ca_key, server=True)
        return ServiceSettings(
            service_name=service,
            database_url=f"sqlite:///{tmp / (service + '.db')}",
            grpc_tls_cert_file=_pem(self.dir / f"{service}-server.pem", server_cert),
            grpc_tls_key_file=_key_pem(self.dir / f"{service}-server.key", srv_key),
            grpc_tls_client_ca_file=self.ca_file,
            grpc_tls_ca_file=self.ca_file,
            grpc_tls_client_cert_file=_pem(self.dir / f"{service}-client.pem", _cert(service, cli_key, self.ca_key)),
            grpc_tls_client_key_file=_key_pem(self.dir / f"{service}-client.key", cli_key),
        )


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    ca_key = _key()
    ca = _cert(CA_NAME, ca_key, ca_key, ca=True)
    return Pki(tmp_path, _pem(tmp_path / "ca.pem", ca), ca_key)


metadata = MetaData()
outbox = add_outbox_tables(metadata)

_PING = "/test.Peer/Ping"
_RELAY = "/test.Peer/Relay"


def _token(caller: str, audience: str | None = None) -> str:
    """Every gRPC method but health needs a token; mTLS alone does not identify the caller's rights."""
    return issue_service_token(AuthSettings(), caller, audience=audience)


def _peer_handler(name: str, relay_to: dict[str, GrpcClient]) -> Any:
    """Ping answers with the service's name; Relay asks the peer's Ping through a GrpcClient."""

    async def ping(request: bytes, context: Any) -> bytes:
        return name.encode()

    def relay_sync() -> bytes:
        client = relay_to["peer"]
        stub = client.channel.unary_unary(_PING)
        answer: bytes = client.call(stub, b"", token=_token(name))
        return f"{name}->".encode() + answer

    async def relay(request: bytes, context: Any) -> bytes:
        return await asyncio.to_thread(relay_sync)

    return grpc.method_handlers_generic_handler(
        "test.Peer",
        {"Ping": grpc.unary_unary_rpc_method_handler(ping), "Relay": grpc.unary_unary_rpc_method_handler(relay)},
    )


class Service:
    """One service's gRPC server with mTLS from its settings, on its own event loop."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.port = free_port()
        self.target = f"127.0.0.1:{self.port}"
        self.engine = make_engine(settings.database_url)
        metadata.create_all(self.engine)
        self.peers: dict[str, GrpcClient] = {}
        self.loop = asyncio.new_event_loop()
        self.started = threading.Event()
        self.stop_event: asyncio.Event | None = None
        self.thread = threading.Thread(target=lambda: self.loop.run_until_complete(self._serve()), daemon=True)

    async def _serve(self) -> None:
        def register(server: Any) -> None:
            server.add_generic_rpc_handlers((_peer_handler(self.settings.service_name, self.peers),))
            register_event_log(server, self.engine, outbox, self.settings.service_name)

        server, _, _ = await build_server(
            host="127.0.0.1", port=self.port, verifier=TokenVerifier(AuthSettings(), production=False),
            register=register, service_names=["test.Peer"], max_message_bytes=1 << 20,
            tls=server_tls(self.settings),
        )  # fmt: skip
        await server.start()
        self.stop_event = asyncio.Event()
        self.started.set()
        await self.stop_event.wait()
        await server.stop(0)

    def __enter__(self) -> Service:
        self.thread.start()
        assert self.started.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        for client in self.peers.values():
            client.close()
        assert self.stop_event is not None
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(10)
        self.engine.dispose()


@pytest.fixture
def services(pki: Pki, tmp_path: Path) -> Iterator[tuple[Service, Service]]:
    with Service(pki.settings("registry", tmp_path)) as registry, Service(pki.settings("trading", tmp_path)) as trading:
        yield registry, trading


@pytest.fixture
def no_process_tls() -> Iterator[None]:
    grpc_runtime.configure_client_tls(None)
    yield
    grpc_runtime.configure_client_tls(None)


def _ping(channel: Any) -> bytes:
    answer: bytes = channel.unary_unary(_PING)(b"", timeout=5)
    return answer


def test_services_with_mtls_call_each_other_with_clients_built_from_their_settings(
    services: tuple[Service, Service], no_process_tls: None
) -> None:
    registry, trading = services
    # What a service's adapter does, handed its settings: trading dials registry.
    trading.peers["peer"] = GrpcClient(registry.target, ["test.Peer"], settings=trading.settings)
    registry.peers["peer"] = GrpcClient(trading.target, ["test.Peer"], settings=registry.settings)

    caller = GrpcClient(trading.target, ["test.Peer"], settings=registry.settings)
    try:
        assert caller.call(caller.channel.unary_unary(_RELAY), b"", token=_token("test")) == b"trading->registry"
    finally:
        caller.close()
    caller = GrpcClient(registry.target, ["test.Peer"], settings=trading.settings)
    try:
        assert caller.call(caller.channel.unary_unary(_RELAY), b"", token=_token("test")) == b"registry->trading"
    finally:
        caller.close()
    # Reading a producer's event log (reporting's rebuild path) goes through mutual TLS too.
    assert (
        list(
            replay_from(
                registry.target, 0, timeout_s=5, tls=client_tls(trading.settings), token=_token("trading", "registry")
            )
        )
        == []
    )


def test_build_core_gives_every_client_of_the_process_its_client_tls(
    services: tuple[Service, Service], no_process_tls: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service's bootstrap builds GrpcClient(target, retry_services) without TLS arguments: the client
    TLS that build_core installed for the process applies."""
    registry, trading = services
    # Only the TLS part of build_core's process set-up matters here; keep logging and tracing as they are.
    monkeypatch.setattr(ops_bootstrap, "configure_logging", lambda *a, **k: None)
    for name in ("configure_tracing", "configure_metrics"):
        monkeypatch.setattr(telemetry, name, lambda *a, **k: None)
    core = ops_bootstrap.build_core(trading.settings, outbox)
    try:
        assert grpc_runtime.default_client_tls() == client_tls(trading.settings)
        client = GrpcClient(registry.target, ["test.Peer"])
        try:
            assert client.call(client.channel.unary_unary(_PING), b"", token=_token("trading")) == b"registry"
        finally:
            client.close()
        assert list(replay_from(registry.target, 0, timeout_s=5, token=_token("trading", "registry"))) == []
    finally:
        for stop in core.on_stop:
            stop()


def test_a_client_without_a_certificate_is_refused(pki: Pki, services: tuple[Service, Service]) -> None:
    registry, _ = services
    anonymous = ClientTls(pki.ca_file)  # trusts the server, but presents no certificate
    with (
        grpc.secure_channel(registry.target, anonymous.credentials()) as channel,
        pytest.raises(grpc.RpcError) as refused,
    ):
        _ping(channel)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    with grpc.insecure_channel(registry.target) as channel, pytest.raises(grpc.RpcError) as plaintext:
        _ping(channel)
    assert plaintext.value.code() == grpc.StatusCode.UNAVAILABLE


def test_a_client_certificate_from_another_ca_is_refused(services: tuple[Service, Service], tmp_path: Path) -> None:
    registry, _ = services
    other = Pki(tmp_path / "other", "", None)
    other.dir.mkdir()
    other.ca_key = _key()
    other.ca_file = _pem(other.dir / "ca.pem", _cert(CA_NAME, other.ca_key, other.ca_key, ca=True))
    stranger = other.settings("stranger", tmp_path)
    # It trusts the registry's CA for the server side, but its own certificate is signed elsewhere.
    tls = ClientTls(registry.settings.grpc_tls_ca_file or "", stranger.grpc_tls_client_cert_file,
                    stranger.grpc_tls_client_key_file)  # fmt: skip
    with grpc.secure_channel(registry.target, tls.credentials()) as channel, pytest.raises(grpc.RpcError) as refused:
        _ping(channel)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
