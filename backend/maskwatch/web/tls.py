"""HTTPS for `maskwatch serve --https`: browsers give the camera only to secure pages, so a tablet at
the door opening http://192.168.x.x:5000 gets none. A certificate the user supplies is used as it is;
otherwise a self-signed one is made on first start and kept in the instance folder.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
from pathlib import Path

CERT_NAME, KEY_NAME = "maskwatch-cert.pem", "maskwatch-key.pem"
VALID_DAYS = 825  # the longest lifetime browsers accept for a server certificate


def local_names() -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) this machine answers to, for the certificate's subject alt names."""
    hostname = socket.gethostname()
    names = sorted({"localhost", hostname, socket.getfqdn()})
    addresses = {"127.0.0.1", "::1"}
    try:
        for info in socket.getaddrinfo(hostname, None):
            addresses.add(info[4][0].split("%")[0])
    except OSError:
        pass
    return names, sorted(addresses)


def make_self_signed(cert_path: Path, key_path: Path, names: list[str], addresses: list[str]) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "MaskWatch (self-signed)")])
    now = datetime.datetime.now(datetime.UTC)
    alt_names = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def certificate_files(instance_path: str | Path, cert: str | None = None, key: str | None = None) -> tuple[Path, Path]:
    """(certificate, key) PEM paths: the user's pair when given, else a self-signed pair in
    instance_path/tls/, made on the first call and reused after.

    Example: certificate_files("instance") -> (instance/tls/maskwatch-cert.pem, instance/tls/maskwatch-key.pem)
    """
    if cert or key:
        if not (cert and key):
            raise ValueError("give both TLS_CERT and TLS_KEY, or neither for a self-signed certificate")
        for path in (cert, key):
            if not Path(path).is_file():
                raise FileNotFoundError(f"TLS file not found: {path}")
        return Path(cert), Path(key)
    folder = Path(instance_path) / "tls"
    cert_path, key_path = folder / CERT_NAME, folder / KEY_NAME
    if not (cert_path.exists() and key_path.exists()):
        make_self_signed(cert_path, key_path, *local_names())
    return cert_path, key_path
