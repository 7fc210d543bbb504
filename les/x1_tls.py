"""Mutual TLS on X1: a local run's certificates, made on first use, and the TLS contexts both ends use.

`stack.py up` (and the tests) call `ensure_local_x1_tls(<state>/x1-tls)`: a local CA, a server
certificate for the mediation simulator (SAN 127.0.0.1 and localhost, serverAuth) and a client
certificate for the worker (clientAuth), made with `cryptography` (EC P-256, SHA-256, two years).
The folder is 0700 and every private key 0600; what is there is kept. A real deployment is given
its own files instead: LES_X1_CLIENT_CERT, LES_X1_CLIENT_KEY and LES_X1_CA (docs/x1.md)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

TLS_FOLDER = "x1-tls"
"""Under the state folder: the local run's X1 certificates."""
CA_CERT, CA_KEY = "ca.pem", "ca-key.pem"
SERVER_CERT, SERVER_KEY = "simulator.pem", "simulator-key.pem"
CLIENT_CERT, CLIENT_KEY = "worker.pem", "worker-key.pem"
VALID_FOR = dt.timedelta(days=730)


class X1TlsError(ValueError):
    """X1 cannot be spoken as configured (one line, for the user): a missing or unreadable file."""


@dataclass(frozen=True)
class X1Tls:
    """What the X1 client presents and trusts: its certificate and key, and the far end's CA bundle."""

    client_cert: Path
    client_key: Path
    ca: Path

    def client_context(self) -> ssl.SSLContext:
        """TLS 1.2 or later, the far end verified against `ca` (name checked), this client's certificate presented."""
        for what, path in (("LES_X1_CLIENT_CERT", self.client_cert), ("LES_X1_CLIENT_KEY", self.client_key),
                           ("LES_X1_CA", self.ca)):
            if not path.is_file():
                raise X1TlsError(f"{what} {path}: no such file (X1 runs over mutual TLS; docs/x1.md)")
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.ca))
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(str(self.client_cert), str(self.client_key))
        except (ssl.SSLError, OSError) as err:
            raise X1TlsError(f"LES_X1_CLIENT_CERT/LES_X1_CLIENT_KEY: cannot use them ({err})") from None
        return context

    @classmethod
    def local(cls, folder: Path) -> X1Tls:
        return cls(folder / CLIENT_CERT, folder / CLIENT_KEY, folder / CA_CERT)


def server_context(cert: Path, key: Path, client_ca: Path) -> ssl.SSLContext:
    """The simulator's side: TLS 1.2 or later, a client certificate signed by `client_ca` required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    context.load_verify_locations(cafile=str(client_ca))
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def _write(path: Path, data: bytes, *, private: bool) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def ensure_local_x1_tls(folder: Path, *, now: dt.datetime | None = None) -> list[str]:
    """Create what is missing of the local CA, the simulator's and the worker's certificates; the
    names of the files created (empty when all were there). A missing CA remakes everything."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    now = now or dt.datetime.now(dt.UTC)
    created: list[str] = []

    def pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "LES Orchestrator (local)"),
                          x509.NameAttribute(NameOID.COMMON_NAME, common)])

    if not (folder / CA_CERT).is_file() or not (folder / CA_KEY).is_file():
        for stale in (CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY, CLIENT_CERT, CLIENT_KEY):
            (folder / stale).unlink(missing_ok=True)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = (x509.CertificateBuilder().subject_name(name("LES local X1 CA")).issuer_name(name("LES local X1 CA"))
                   .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + VALID_FOR)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                content_commitment=False, key_encipherment=False,
                                                data_encipherment=False, key_agreement=False, encipher_only=False,
                                                decipher_only=False), critical=True)
                   .sign(ca_key, hashes.SHA256()))
        _write(folder / CA_KEY, pem_key(ca_key), private=True)
        _write(folder / CA_CERT, ca_cert.public_bytes(serialization.Encoding.PEM), private=False)
        created += [CA_CERT, CA_KEY]
    ca_key = serialization.load_pem_private_key((folder / CA_KEY).read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate((folder / CA_CERT).read_bytes())

    def leaf(cert_name: str, key_name: str, common: str, usage: x509.ObjectIdentifier,
             alt: list[x509.GeneralName]) -> None:
        if (folder / cert_name).is_file() and (folder / key_name).is_file():
            return
        (folder / cert_name).unlink(missing_ok=True)
        (folder / key_name).unlink(missing_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder().subject_name(name(common)).issuer_name(ca_cert.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + VALID_FOR)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
        if alt:
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        _write(folder / key_name, pem_key(key), private=True)
        _write(folder / cert_name, cert.public_bytes(serialization.Encoding.PEM), private=False)
        created.extend([cert_name, key_name])

    leaf(SERVER_CERT, SERVER_KEY, "les-mediation-simulator", ExtendedKeyUsageOID.SERVER_AUTH,
         [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    leaf(CLIENT_CERT, CLIENT_KEY, "les-worker", ExtendedKeyUsageOID.CLIENT_AUTH, [])
    return created
