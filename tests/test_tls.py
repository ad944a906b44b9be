"""The self-signed certificate behind `maskwatch serve --https`, checked with a real TLS handshake."""

import socket
import ssl
import threading

import pytest

from maskwatch.web.tls import certificate_files


def test_self_signed_pair_is_made_once_and_reused(tmp_path):
    cert, key = certificate_files(tmp_path)
    assert cert.exists() and key.exists()
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    first = cert.read_bytes()
    assert certificate_files(tmp_path)[0].read_bytes() == first


def test_certificate_names_localhost_and_serves_tls(tmp_path):
    from cryptography import x509

    cert, key = certificate_files(tmp_path)
    parsed = x509.load_pem_x509_certificate(cert.read_bytes())
    alt = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in alt.get_values_for_type(x509.DNSName)

    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer():
        conn, _ = listener.accept()
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(tls.recv(5))

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    client_ctx = ssl.create_default_context(cafile=str(cert))  # trusting it, as a user who accepted it
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"hello")
            assert tls.recv(5) == b"hello"
    thread.join(5)
    listener.close()


def test_user_supplied_pair_is_used_as_is(tmp_path):
    cert, key = certificate_files(tmp_path / "made")
    assert certificate_files(tmp_path, str(cert), str(key)) == (cert, key)
    with pytest.raises(ValueError, match="both"):
        certificate_files(tmp_path, str(cert), None)
    with pytest.raises(FileNotFoundError):
        certificate_files(tmp_path, str(tmp_path / "x.pem"), str(key))
