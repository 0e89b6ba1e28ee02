"""What App Runner does beyond its API, for the aws-target test: a RUNNING service's URL answers over HTTPS.

On a real account App Runner runs the catalog's image and serves it at ``https://<ServiceUrl>``; the
emulator records the service (its API) but runs nothing. This stands in for the rest through the
knobs every ``requests`` client already honours, so the harness's aws code path is the real one
(``https://`` + DescribeService's ``ServiceUrl``): an HTTPS proxy (``HTTPS_PROXY``) that answers
``CONNECT`` to an App Runner host only while the emulator's service of that URL is RUNNING,
terminates TLS with a certificate of a throw-away CA (``REQUESTS_CA_BUNDLE``), and forwards the bytes
to the catalog process the test started as the service's container. A paused, deleted or unknown
service answers nothing, as App Runner's does not.
"""

from __future__ import annotations

import datetime
import select
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: App Runner's default domain: the only hosts the stand-in serves.
APPRUNNER_DOMAIN = ".awsapprunner.com"
IDLE_TIMEOUT_S = 30.0


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@dataclass
class Authority:
    """A throw-away CA (its PEM is what ``REQUESTS_CA_BUNDLE`` names) that signs one certificate per host."""

    folder: Path
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls, folder: Path) -> Authority:
        folder.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name("lakehouse aws-target test CA"))
            .issuer_name(_name("lakehouse aws-target test CA"))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        (folder / "ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cls(folder, key, cert)

    @property
    def bundle(self) -> Path:
        return self.folder / "ca.pem"

    def server_context(self, host: str) -> ssl.SSLContext:
        """A TLS server context whose certificate names ``host``, signed by this CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(host))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        stem = self.folder / host
        stem.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        stem.with_suffix(".key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(stem.with_suffix(".crt"), stem.with_suffix(".key"))
        return context


def _usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


#: The address a host's service answers at while RUNNING, else None (asked at each CONNECT).
Route = Callable[[str], "tuple[str, int] | None"]


class _Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, route: Route, authority: Authority):
        super().__init__(("127.0.0.1", 0), _Connect)
        self.route, self.authority = route, authority
        self.contexts: dict[str, ssl.SSLContext] = {}
        self.lock = threading.Lock()

    def context(self, host: str) -> ssl.SSLContext:
        with self.lock:
            if host not in self.contexts:
                self.contexts[host] = self.authority.server_context(host)
            return self.contexts[host]


class _Connect(socketserver.StreamRequestHandler):
    """One ``CONNECT host:443`` tunnel, terminated here and forwarded to the service's container."""

    rbufsize = 0  # nothing past the request's headers may be read before the TLS handshake
    server: _Proxy

    def _answer(self, status: str) -> None:
        self.wfile.write(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n".encode("latin-1"))

    def handle(self) -> None:
        request = self.rfile.readline(8192).decode("latin-1").split()
        while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
            pass
        if len(request) != 3 or request[0] != "CONNECT":
            self._answer("405 Method Not Allowed")
            return
        host, _, port = request[1].rpartition(":")
        upstream = self.server.route(host) if port == "443" and host.endswith(APPRUNNER_DOMAIN) else None
        if upstream is None:
            self._answer("502 Bad Gateway")  # nothing answers at a paused, deleted or unknown service
            return
        self._answer("200 Connection established")
        try:
            with (
                self.server.context(host).wrap_socket(self.connection, server_side=True) as tls,
                socket.create_connection(upstream, timeout=IDLE_TIMEOUT_S) as container,
            ):
                _pipe(tls, container)
        except (OSError, ssl.SSLError):
            return  # the client or the container went away: the tunnel ends, as a real one does


def _pipe(tls: ssl.SSLSocket, container: socket.socket) -> None:
    """Copy bytes both ways until either side closes (one thread: an SSL socket is not shared)."""
    while True:
        readable, _, _ = select.select([tls, container], [], [], IDLE_TIMEOUT_S)
        if not readable:
            return
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            if sock is tls:
                while tls.pending():
                    data += tls.recv(tls.pending())
                container.sendall(data)
            else:
                tls.sendall(data)


@dataclass(frozen=True)
class StandIn:
    """The proxy's URL (``HTTPS_PROXY``) and the CA bundle its certificates chain to (``REQUESTS_CA_BUNDLE``)."""

    proxy_url: str
    ca_bundle: Path

    def env(self) -> dict[str, str]:
        """The standard variables that send ``https://`` requests through the stand-in (loopback never)."""
        return {
            "HTTPS_PROXY": self.proxy_url,
            "REQUESTS_CA_BUNDLE": str(self.ca_bundle),
            "NO_PROXY": "127.0.0.1,localhost",
        }


def running_route(list_services: Callable[[], list[dict[str, str]]], container_url: str) -> Route:
    """Route a host to the container while the App Runner service whose ``ServiceUrl`` it is is RUNNING."""
    split = urlsplit(container_url)
    address = (str(split.hostname), int(split.port or 80))

    def route(host: str) -> tuple[str, int] | None:
        running = {s["ServiceUrl"] for s in list_services() if s.get("Status") == "RUNNING"}
        return address if host in running else None

    return route


@contextmanager
def serving(route: Route, folder: Path) -> Iterator[StandIn]:
    """Run the proxy on a kernel-chosen loopback port for the block's duration."""
    proxy = _Proxy(route, Authority.create(folder))
    thread = threading.Thread(target=proxy.serve_forever, name="apprunner-standin", daemon=True)
    thread.start()
    try:
        host, port = proxy.server_address[:2]
        yield StandIn(f"http://{host!s}:{port}", proxy.authority.bundle)
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join()
