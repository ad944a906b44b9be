"""Sign-ins and API tokens through a real MariaDB outage, on two real `maskwatch serve` processes that share the
database and a real Redis (REDIS_URL), as two web servers behind one address would: what was revoked, in
either process, stays refused while MariaDB is down; what was confirmed recently goes on working for
AUTH_OUTAGE_GRACE_S and no longer after that; sign-in and /api/auth/me answer 503, never 500."""

from __future__ import annotations

import time

import pytest
import requests

from maskwatch_testing.mariadb import started_mariadb
from maskwatch_testing.served import ServedApp

from ..conftest import encode

PASSWORD = "correct horse battery"
GRACE_S = 40


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory):
    with started_mariadb(tmp_path_factory.mktemp("auth-outage-mariadb")) as server:
        yield server


def sign_in(url: str) -> tuple[requests.Session, dict]:
    browser = requests.Session()
    response = browser.post(f"{url}/api/auth/login", json={"username": "admin", "password": PASSWORD}, timeout=30)
    assert response.status_code == 200, response.text
    return browser, {"X-CSRF-Token": response.json()["csrf_token"]}


def make_token(browser: requests.Session, url: str, csrf: dict, name: str) -> tuple[int, dict]:
    response = browser.post(f"{url}/api/auth/tokens", json={"name": name, "scope": "upload"}, headers=csrf, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"], {"Authorization": f"Bearer {response.json()['token']}"}


def upload(url: str, jpeg: bytes, session: requests.Session | None = None, headers: dict | None = None):
    return (session or requests).post(
        f"{url}/api/images", files={"file": ("face.jpg", jpeg, "image/jpeg")}, headers=headers or {}, timeout=60
    )


def thief_of(browser: requests.Session) -> requests.Session:
    """Another client holding a copy of the browser's session cookie."""
    thief = requests.Session()
    thief.cookies.update(browser.cookies)
    return thief


def test_revoked_credentials_stay_refused_and_confirmed_ones_keep_working_through_an_outage(
    mariadb, redis, tmp_path, astronaut
):
    env = {
        "DATABASE_URL": mariadb.fresh_database(),
        "REDIS_URL": redis.url,
        "SECRET_KEY": "shared by both servers",
        "ADMIN_PASSWORD": PASSWORD,
        "AUTH_OUTAGE_GRACE_S": str(GRACE_S),
    }
    jpeg = encode(astronaut[:300])  # her head: one face (our detector also takes the patch on her suit for one)
    with ServedApp(tmp_path / "a", env=env) as a, ServedApp(tmp_path / "b", env=env) as b:
        signed_out, signed_out_csrf = sign_in(a.url)  # its cookie is copied, then it signs out
        thief = thief_of(signed_out)
        staying, staying_csrf = sign_in(a.url)
        revoked_id, revoked_token = make_token(staying, a.url, staying_csrf, "leaked")
        _, valid_token = make_token(staying, a.url, staying_csrf, "camera script")
        for client, headers in ((thief, {}), (staying, {}), (requests, revoked_token), (requests, valid_token)):
            assert client.get(f"{a.url}/api/sources", headers=headers, timeout=30).status_code == 200  # A confirms
        confirmed_at = time.monotonic()

        # revoked through the other server: B's database writes, and the revocations in Redis
        assert (
            thief_of(signed_out).post(f"{b.url}/api/auth/logout", headers=signed_out_csrf, timeout=30).status_code
            == 204
        )
        staying_on_b = thief_of(staying)
        assert (
            staying_on_b.delete(f"{b.url}/api/auth/tokens/{revoked_id}", headers=staying_csrf, timeout=30).status_code
            == 204
        )

        mariadb.stop()
        try:
            refused = {
                "cookie": upload(a.url, jpeg, session=thief, headers=signed_out_csrf),  # the cookie carries it
                "token": upload(a.url, jpeg, headers=revoked_token),
            }
            for name, response in refused.items():
                assert response.status_code in (401, 503), (name, response.status_code, response.text)
            by_token = upload(a.url, jpeg, headers=valid_token)
            assert by_token.status_code == 200, by_token.text
            assert (len(by_token.json()["faces"]), by_token.json()["sightings_waiting"]) == (1, 1)
            by_session = upload(a.url, jpeg, session=staying, headers=staying_csrf)
            assert by_session.status_code == 200, by_session.text
            login = requests.post(
                f"{a.url}/api/auth/login", json={"username": "admin", "password": PASSWORD}, timeout=30
            )
            for response in (
                login,
                staying.get(f"{a.url}/api/auth/me", timeout=30),
                staying.get(f"{a.url}/api/sources", timeout=30),
            ):
                assert (response.status_code, response.json()["error"]) == (503, "database_unavailable")
            # never confirmed by B: B cannot tell it from a revoked one
            assert upload(b.url, jpeg, headers=valid_token).status_code == 503

            time.sleep(max(0.0, confirmed_at + GRACE_S + 1 - time.monotonic()))  # the bound
            late = upload(a.url, jpeg, headers=valid_token)
            assert (late.status_code, late.json()["error"]) == (503, "database_unavailable")
        finally:
            mariadb.start()
        assert upload(a.url, jpeg, headers=valid_token).status_code == 200  # confirmed again by the database
        assert upload(a.url, jpeg, session=thief, headers=signed_out_csrf).status_code == 401


def test_without_redis_a_password_change_and_a_sign_out_hold_through_an_outage(mariadb, tmp_path, astronaut):
    env = {"DATABASE_URL": mariadb.fresh_database(), "ADMIN_PASSWORD": PASSWORD}
    jpeg = encode(astronaut)
    with ServedApp(tmp_path / "instance", env=env) as server:
        changer, changer_csrf = sign_in(server.url)
        other, other_csrf = sign_in(server.url)  # another device, signed out by the password change
        leaving, leaving_csrf = sign_in(server.url)
        thief = thief_of(leaving)
        for client in (changer, other, thief):
            assert client.get(f"{server.url}/api/sources", timeout=30).status_code == 200
        assert leaving.post(f"{server.url}/api/auth/logout", headers=leaving_csrf, timeout=30).status_code == 204
        changed = changer.post(
            f"{server.url}/api/auth/password",
            headers=changer_csrf,
            timeout=30,
            json={"current_password": PASSWORD, "new_password": "a new password 2"},
        )
        assert changed.status_code == 204, changed.text
        mariadb.stop()
        try:
            for name, client, csrf in (("ended", other, other_csrf), ("signed out", thief, leaving_csrf)):
                response = upload(server.url, jpeg, session=client, headers=csrf)
                assert response.status_code in (401, 503), (name, response.status_code, response.text)
            assert upload(server.url, jpeg, session=changer, headers=changer_csrf).status_code == 200
        finally:
            mariadb.start()
