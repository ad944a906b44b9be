"""`maskwatch serve` as a real process (gunicorn) against clients that hold sockets open: authenticated uploads
that send their headers and never finish their bodies, on SQLite and on a real MariaDB. The API stays up for
everybody else, the idle sockets are cut off after WEB_READ_TIMEOUT_S, one address cannot take more than
WEB_MAX_REQUESTS_PER_CLIENT requests at once, and an early answer to `Connection: close` closes at once."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from maskwatch_testing.mariadb import started_mariadb
from maskwatch_testing.served import ServedApp

PASSWORD = "correct horse battery"
READ_TIMEOUT_S = 3
IDLE_UPLOADS = 32
BODY_LENGTH = 200_000


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory):
    with started_mariadb(tmp_path_factory.mktemp("slow-mariadb")) as server:
        yield server


@pytest.fixture(params=["sqlite", "mariadb"])
def database_env(request) -> dict:
    if request.param == "sqlite":
        return {}
    return {"DATABASE_URL": request.getfixturevalue("mariadb").fresh_database()}


def upload_token(url: str) -> str:
    """Sign in as the admin and make an upload token (what a script would hold)."""
    browser = requests.Session()
    signed = browser.post(f"{url}/api/auth/login", json={"username": "admin", "password": PASSWORD}, timeout=30)
    assert signed.status_code == 200, signed.text
    made = browser.post(
        f"{url}/api/auth/tokens",
        json={"name": "slow", "scope": "upload"},
        headers={"X-CSRF-Token": signed.json()["csrf_token"]},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    return made.json()["token"]


def idle_upload(
    port: int, token: str, source_address: str, extra_headers: str = "", target: str = "/api/images"
) -> socket.socket:
    """A socket from source_address that sent an authenticated upload's headers and the start of its body."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source_address, 0))
    head = (
        f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: {BODY_LENGTH}\r\n{extra_headers}\r\n"
    )
    part = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n\xff\xd8'
    sock.sendall(head.encode() + part)
    return sock


def closed_by_server_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """(the server closed it within `seconds`, what it sent before)."""
    sock.settimeout(seconds)
    received = b""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                return True, received
            received += chunk
    except TimeoutError:
        return False, received
    except ConnectionResetError:
        return True, received
    return False, received


def timed(call) -> tuple[float, requests.Response]:
    started = time.perf_counter()
    response = call()
    return time.perf_counter() - started, response


@pytest.fixture
def served(tmp_path, database_env):
    env = {"ADMIN_PASSWORD": PASSWORD, "WEB_READ_TIMEOUT_S": str(READ_TIMEOUT_S), **database_env}
    with ServedApp(tmp_path / "instance", env=env) as server:
        yield server


def test_idle_authenticated_uploads_neither_starve_the_api_nor_stay_open(served):
    token = upload_token(served.url)
    # from four addresses, so that the per-address bound (16) lets every one of them in
    sockets = [idle_upload(served.port, token, f"127.0.0.{2 + k % 4}") for k in range(IDLE_UPLOADS)]
    opened = time.monotonic()
    try:
        time.sleep(0.5)  # every one of them is in its route now, reading the body
        took, health = timed(lambda: requests.get(f"{served.url}/api/health", timeout=30))
        assert health.status_code == 200 and took < 1.0, (took, health.text)
        took, login = timed(
            lambda: requests.post(
                f"{served.url}/api/auth/login", json={"username": "admin", "password": PASSWORD}, timeout=30
            )
        )
        assert login.status_code == 200 and took < 1.0, (took, login.text)
        deadline = opened + READ_TIMEOUT_S + 5
        outcomes = [closed_by_server_within(s, max(0.05, deadline - time.monotonic())) for s in sockets]
    finally:
        for s in sockets:
            s.close()
    assert all(closed for closed, _ in outcomes), [answer[:80] for closed, answer in outcomes if not closed]
    assert {answer.split(b" ", 2)[1] for _, answer in outcomes} == {b"408"}
    assert requests.get(f"{served.url}/api/health", timeout=30).json()["status"] == "ok"


def test_one_address_gets_a_bounded_number_of_requests_at_once(tmp_path):
    env = {"ADMIN_PASSWORD": PASSWORD, "WEB_READ_TIMEOUT_S": "10", "WEB_MAX_REQUESTS_PER_CLIENT": "4"}
    with ServedApp(tmp_path / "instance", env=env) as server:
        token = upload_token(server.url)
        sockets = [idle_upload(server.port, token, "127.0.0.3") for _ in range(4)]
        try:
            time.sleep(0.5)
            refused = idle_upload(server.port, token, "127.0.0.3")
            closed, answer = closed_by_server_within(refused, 3)
            refused.close()
            assert closed and answer.startswith(b"HTTP/1.1 429 "), answer[:200]
            assert b'"too_many_requests"' in answer
            took, health = timed(lambda: requests.get(f"{server.url}/api/health", timeout=30))  # another address
            assert health.status_code == 200 and took < 1.0
        finally:
            for s in sockets:
                s.close()
        time.sleep(0.5)  # their requests end (the client went away), the address may send again
        again = idle_upload(
            server.port, token, "127.0.0.3", extra_headers="Connection: close\r\n", target="/api/images?source_id=abc"
        )
        closed, answer = closed_by_server_within(again, 3)
        again.close()
        assert closed and answer.startswith(b"HTTP/1.1 400 "), answer[:200]


def test_idle_tls_clients_are_cut_off_too(tmp_path):
    """Over HTTPS the kernel's timeouts alone do not end a blocking TLS read: the connection's own timeout does."""
    import ssl

    with ServedApp(tmp_path / "instance", https=True, env={"WEB_READ_TIMEOUT_S": str(READ_TIMEOUT_S)}) as server:
        raw = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        stalled_handshake = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        stalled_handshake.sendall(b"\x16\x03\x01\x02\x00")  # the start of a ClientHello, then nothing
        tls = ssl._create_unverified_context().wrap_socket(raw, server_hostname="localhost")
        head = (
            f"POST /api/images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=xyz\r\n"
            f"Content-Length: {BODY_LENGTH}\r\n\r\n--xyz\r\n"
        )
        tls.sendall(head.encode())
        started = time.monotonic()
        closed, answer = closed_by_server_within(tls, READ_TIMEOUT_S + 5)
        assert closed and answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert closed_by_server_within(stalled_handshake, max(0.1, started + READ_TIMEOUT_S + 5 - time.monotonic()))[0]
        tls.close()
        stalled_handshake.close()
