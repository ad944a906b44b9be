"""Access control on SQLite and MariaDB: the admin from the environment, sessions with CSRF, API tokens,
rate-limited sign-in, public live/upload switches, Socket.IO connects, and default-deny for every API route."""

from __future__ import annotations

import io
import os
import stat

import numpy as np
import pytest

from maskwatch.store import accounts
from maskwatch.store.database import db
from maskwatch.web.auth import ensure_admin
from maskwatch.web.auth.access import OPEN_ENDPOINTS, UPLOAD_ENDPOINTS
from maskwatch.web.live import LIVE_NAMESPACE

from ..conftest import encode

PASSWORD = "correct horse battery"


@pytest.fixture
def make_secured(make_app):
    """An app whose first start made the admin from ADMIN_PASSWORD; settings override the config."""

    def make(**settings):
        app = make_app(ADMIN_PASSWORD=PASSWORD, **settings)
        ensure_admin(app)
        return app

    return make


@pytest.fixture
def secured(make_secured):
    return make_secured()


def login(client, password=PASSWORD, username="admin"):
    return client.post("/api/auth/login", json={"username": username, "password": password})


def signed_in(app):
    client = app.test_client()
    response = login(client)
    assert response.status_code == 200, response.get_json()
    return client, {"X-CSRF-Token": response.get_json()["csrf_token"]}


def test_without_an_account_everything_is_open(client):
    me = client.get("/api/auth/me").get_json()
    assert me == {
        "auth_enabled": False,
        "authenticated": False,
        "user": None,
        "csrf_token": None,
        "public": {"live": False, "uploads": False},
    }
    assert client.post("/api/sources", json={"kind": "webcam", "name": "door"}).status_code == 201
    assert login(client).get_json()["error"] == "auth_disabled"


def test_the_admin_is_made_once_from_the_environment(make_app):
    secured = make_app(ADMIN_PASSWORD=PASSWORD)
    assert ensure_admin(secured)
    with secured.app_context():
        user = accounts.user_named("admin")
        assert user.is_admin and user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    secured.config["ADMIN_PASSWORD"] = "another password"
    assert not ensure_admin(secured)  # later starts leave the account alone
    assert login(secured.test_client()).status_code == 200
    secured.config["ADMIN_PASSWORD"] = "short"
    with pytest.raises(ValueError, match="at least 8"):
        secured.config["ADMIN_USER"] = "second"
        ensure_admin(secured)


def test_a_session_signs_in_reads_and_needs_the_csrf_token_to_write(secured):
    client = secured.test_client()
    assert client.get("/api/sources").get_json()["error"] == "login_required"
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/openapi.json").status_code == 200
    assert login(client, "wrong password").status_code == 401
    assert login(client, username="nobody").get_json()["error"] == "invalid_credentials"
    answer = login(client).get_json()
    assert answer["user"]["username"] == "admin" and answer["user"]["last_login_at"]
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"
    assert client.get("/api/sources").status_code == 200
    refused = client.post("/api/sources", json={"kind": "webcam", "name": "door"})
    assert (refused.status_code, refused.get_json()["error"]) == (403, "csrf_failed")
    wrong = client.post("/api/sources", json={"kind": "webcam", "name": "door"}, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    headers = {"X-CSRF-Token": answer["csrf_token"]}
    assert client.post("/api/sources", json={"kind": "webcam", "name": "door"}, headers=headers).status_code == 201
    me = client.get("/api/auth/me").get_json()
    assert me["authenticated"] and me["csrf_token"] == answer["csrf_token"]
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/sources").status_code == 401
    assert client.get("/api/auth/me").get_json()["authenticated"] is False


def test_a_copy_of_the_cookie_is_worthless_after_signing_out(secured):
    client, headers = signed_in(secured)
    copied = client.get_cookie("session").value
    thief = secured.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/api/sources").status_code == 200
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert thief.get("/api/sources").status_code == 401
    assert thief.get("/api/auth/me").get_json()["authenticated"] is False


def test_signing_in_again_starts_a_new_session(secured):
    client, headers = signed_in(secured)
    second = login(client).get_json()["csrf_token"]
    assert second != headers["X-CSRF-Token"]
    assert client.post("/api/sources", json={"kind": "webcam", "name": "a"}, headers=headers).status_code == 403


def test_failed_sign_ins_are_rate_limited_per_address(make_secured):
    app = make_secured(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    for _ in range(5):  # right passwords do not count
        assert login(client).status_code == 200
    assert [login(client, "nope").status_code for _ in range(3)] == [401, 401, 401]
    blocked = login(client)  # even the right password now waits
    assert (blocked.status_code, blocked.get_json()["error"]) == (429, "too_many_requests")
    assert "Retry-After" in blocked.headers and "try again in" in blocked.get_json()["message"]
    other = app.test_client()  # another address is not blocked
    assert (
        other.post(
            "/api/auth/login",
            json={"username": "admin", "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "10.0.0.9"},
        ).status_code
        == 200
    )


def test_api_tokens_work_without_a_session_until_revoked(secured):
    client, headers = signed_in(secured)
    created = client.post("/api/auth/tokens", json={"name": "backup script"}, headers=headers)
    assert created.status_code == 201
    token = created.get_json()["token"]
    assert token.startswith("mw_") and len(token) > 40
    listed = client.get("/api/auth/tokens").get_json()
    assert [t["name"] for t in listed] == ["backup script"] and "token" not in listed[0]
    assert listed[0]["prefix"] == token[:9]
    with secured.app_context():
        assert token not in {t.token_hash for t in accounts.list_tokens(1)}
    script = secured.test_client()  # no cookies
    bearer = {"Authorization": f"Bearer {token}"}
    assert script.get("/api/sources", headers=bearer).status_code == 200
    assert script.post("/api/sources", json={"kind": "webcam", "name": "gate"}, headers=bearer).status_code == 201
    assert client.get("/api/auth/tokens").get_json()[0]["last_used_at"]
    assert (
        script.get("/api/sources", headers={"Authorization": "Bearer mw_forged"}).get_json()["error"] == "invalid_token"
    )
    assert client.delete(f"/api/auth/tokens/{listed[0]['id']}", headers=headers).status_code == 204
    assert script.get("/api/sources", headers=bearer).status_code == 401
    assert client.delete(f"/api/auth/tokens/{listed[0]['id']}", headers=headers).status_code == 404


def test_wrong_current_passwords_are_rate_limited_like_sign_in(make_secured):
    app = make_secured(LOGIN_RATE_LIMIT="3 per minute")
    client, headers = signed_in(app)

    def change(current):
        return client.post(
            "/api/auth/password", json={"current_password": current, "new_password": "new password 1"}, headers=headers
        )

    assert [change("nope").status_code for _ in range(3)] == [401, 401, 401]
    blocked = change(PASSWORD)  # even the right password now waits
    assert (blocked.status_code, blocked.get_json()["error"]) == (429, "too_many_requests")
    assert "Retry-After" in blocked.headers
    assert login(app.test_client()).status_code == 429  # one count of guesses per address, both routes
    assert login(app.test_client(), "new password 1").status_code == 429
    other = app.test_client()
    assert (
        other.post(
            "/api/auth/login",
            json={"username": "admin", "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "10.0.0.9"},
        ).status_code
        == 200
    )  # the password is unchanged


def make_token(client, headers, scope=None) -> dict:
    body = {"name": f"{scope} script"} | ({"scope": scope} if scope else {})
    created = client.post("/api/auth/tokens", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def test_api_tokens_do_what_their_scope_allows_and_never_touch_the_account(secured):
    client, headers = signed_in(secured)
    tokens = {scope: make_token(client, headers, scope) for scope in ("read", "upload", "manage")}
    assert make_token(client, headers)["scope"] == "manage"  # the default: what tokens could always do
    assert client.post("/api/auth/tokens", json={"name": "x", "scope": "root"}, headers=headers).status_code == 400
    assert {t["name"]: t["scope"] for t in client.get("/api/auth/tokens").get_json()}["read script"] == "read"
    script = secured.test_client()
    picture = encode(np.zeros((120, 160, 3), np.uint8))

    def call(scope, method, path, **kwargs):
        return script.open(path, method=method, headers={"Authorization": f"Bearer {tokens[scope]['token']}"}, **kwargs)

    def upload(scope):
        return call(
            scope,
            "POST",
            "/api/images",
            data={"file": (io.BytesIO(picture), "a.jpg")},
            content_type="multipart/form-data",
        )

    for scope in tokens:
        assert call(scope, "GET", "/api/sources").status_code == 200
    assert (
        call("read", "POST", "/api/sources", json={"kind": "webcam", "name": "a"}).get_json()["error"]
        == "insufficient_scope"
    )
    assert upload("read").status_code == 403
    assert upload("upload").status_code == 200
    assert call("upload", "POST", "/api/sources", json={"kind": "webcam", "name": "a"}).status_code == 403
    assert call("manage", "POST", "/api/sources", json={"kind": "webcam", "name": "a"}).status_code == 201
    for scope in tokens:  # a leaked token cannot take the account over, whatever its scope
        changed = call(
            scope, "POST", "/api/auth/password", json={"current_password": PASSWORD, "new_password": "x" * 12}
        )
        assert (changed.status_code, changed.get_json()["error"]) == (403, "token_not_allowed")
        assert call(scope, "POST", "/api/auth/tokens", json={"name": "more"}).status_code == 403
        assert call(scope, "GET", "/api/auth/tokens").status_code == 403
        assert call(scope, "DELETE", f"/api/auth/tokens/{tokens['read']['id']}").status_code == 403
    assert len(client.get("/api/auth/tokens").get_json()) == 4
    assert login(secured.test_client()).status_code == 200  # the password is the same


def test_a_read_only_token_watches_but_sends_no_live_frames(secured):
    client, headers = signed_in(secured)
    frame = encode(np.zeros((120, 160, 3), np.uint8))
    answers = {}
    for scope in ("read", "upload"):
        live = _connect(
            secured, secured.test_client(), {"name": "door", "token": make_token(client, headers, scope)["token"]}
        )
        assert live.is_connected(LIVE_NAMESPACE)
        assert live.emit("watch", {"camera_id": 99}, namespace=LIVE_NAMESPACE, callback=True)["error"] == "not_found"
        answers[scope] = live.emit("frame", frame, namespace=LIVE_NAMESPACE, callback=True)
        live.disconnect(LIVE_NAMESPACE)
    assert answers["read"]["error"] == "insufficient_scope" and "faces" in answers["upload"]


def test_changing_the_password_ends_the_other_sessions(secured):
    laptop, headers = signed_in(secured)
    tablet, _ = signed_in(secured)
    wrong = laptop.post(
        "/api/auth/password", json={"current_password": "nope", "new_password": "new password 1"}, headers=headers
    )
    assert wrong.status_code == 401
    short = laptop.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": "short"}, headers=headers
    )
    assert short.status_code == 400
    changed = laptop.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": "new password 1"}, headers=headers
    )
    assert changed.status_code == 204
    assert laptop.get("/api/sources").status_code == 200
    assert tablet.get("/api/sources").status_code == 401
    assert login(secured.test_client()).status_code == 401
    assert login(secured.test_client(), "new password 1").status_code == 200


def test_every_api_route_needs_a_login_unless_listed_open(secured):
    client = secured.test_client()
    checked = 0
    for rule in secured.url_map.iter_rules():
        if not rule.rule.startswith("/api") or rule.endpoint in OPEN_ENDPOINTS:
            continue
        url = (
            rule.rule.replace("<int:", "<")
            .replace("<source_id>", "1")
            .replace("<token_id>", "1")
            .replace("<job_id>", "x")
        )
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            assert response.status_code == 401, (method, url, response.status_code)
            checked += 1
    assert checked >= 20


def test_uploads_can_be_left_open(make_secured):
    jpeg = encode(np.full((120, 160, 3), 128, np.uint8))
    closed = make_secured().test_client()
    assert closed.post("/api/images", data={"file": (_file(jpeg), "a.jpg")}).status_code == 401
    app = make_secured(UPLOADS_PUBLIC=True)
    client = app.test_client()
    assert client.get("/api/auth/me").get_json()["public"] == {"live": False, "uploads": True}
    assert client.post("/api/images", data={"file": (_file(jpeg), "a.jpg")}).status_code == 200
    assert client.get("/api/jobs/unknown").status_code == 404  # jobs are reachable, this one does not exist
    assert client.get("/api/sources").status_code == 401
    assert set(UPLOAD_ENDPOINTS) <= {r.endpoint for r in app.url_map.iter_rules()}


def _file(data: bytes):
    import io

    return io.BytesIO(data)


def _connect(app, flask_client=None, auth=None):
    from maskwatch.web.extensions import socketio

    return socketio.test_client(app, namespace=LIVE_NAMESPACE, flask_test_client=flask_client, auth=auth)


def test_the_live_page_needs_a_login_or_a_token(secured):
    anonymous = _connect(secured, secured.test_client())
    assert not anonymous.is_connected(LIVE_NAMESPACE)
    browser, _ = signed_in(secured)
    live = _connect(secured, browser, {"name": "door"})
    assert live.is_connected(LIVE_NAMESPACE)
    assert live.emit("watch", {"camera_id": 99}, namespace=LIVE_NAMESPACE, callback=True)["error"] == "not_found"
    live.disconnect(LIVE_NAMESPACE)
    client, headers = signed_in(secured)
    token = client.post("/api/auth/tokens", json={"name": "kiosk"}, headers=headers).get_json()["token"]
    script = _connect(secured, secured.test_client(), {"name": "door", "token": token})
    assert script.is_connected(LIVE_NAMESPACE)
    script.disconnect(LIVE_NAMESPACE)
    forged = _connect(secured, secured.test_client(), {"name": "door", "token": "mw_forged"})
    assert not forged.is_connected(LIVE_NAMESPACE)


def test_a_public_live_page_sends_frames_but_cannot_watch_cameras(make_secured):
    app = make_secured(LIVE_PUBLIC=True)
    live = _connect(app, app.test_client(), {"name": "door"})
    assert live.is_connected(LIVE_NAMESPACE)
    answer = live.emit("frame", encode(np.full((120, 160, 3), 128, np.uint8)), namespace=LIVE_NAMESPACE, callback=True)
    assert answer["faces"] == []
    refused = live.emit("watch", {"camera_id": 1}, namespace=LIVE_NAMESPACE, callback=True)
    assert refused["error"] == "login_required"
    live.disconnect(LIVE_NAMESPACE)


def test_job_progress_needs_a_login_unless_uploads_are_public(make_secured):
    from maskwatch.web.extensions import socketio

    app = make_secured()
    assert not socketio.test_client(app, namespace="/jobs", flask_test_client=app.test_client()).is_connected("/jobs")
    public = make_secured(UPLOADS_PUBLIC=True)
    listener = socketio.test_client(public, namespace="/jobs", flask_test_client=public.test_client())
    assert listener.is_connected("/jobs")
    listener.disconnect("/jobs")


def test_the_session_key_is_made_once_and_kept_private(make_app):
    first = make_app(SECRET_KEY=None)
    key_file = os.path.join(first.instance_path, "secret_key")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) == 64
    assert make_app(SECRET_KEY=None).config["SECRET_KEY"] == first.config["SECRET_KEY"]


@pytest.mark.parametrize("path", ["/api/health", "/api/sources", "/", "/dashboard"])
def test_every_response_has_the_security_headers(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/api/health", "/api/sources", "/api/auth/me", "/api/sightings.csv", "/api/nothing"])
def test_api_answers_are_never_stored_by_a_cache(client, path):
    response = client.get(path)
    assert response.headers.getlist("Cache-Control") == ["no-store"], (path, response.status_code)


def test_file_answers_leave_the_date_header_to_the_server(make_app, tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>x</title>")
    (dist / "assets" / "app-1234.js").write_text("console.log(1)")
    client = make_app(FRONTEND_DIST=str(dist)).test_client()
    for path in ("/", "/assets/app-1234.js", "/live"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers.getlist("Date") == [], path  # the server adds one
    assert "immutable" in client.get("/assets/app-1234.js").headers["Cache-Control"]  # not the API's no-store


def test_a_removed_user_ends_their_sessions(secured):
    client, _ = signed_in(secured)
    with secured.app_context():
        db.session.delete(accounts.user_named("admin"))
        db.session.commit()
    assert client.get("/api/sources").status_code == 401


def test_maskwatch_passwd_sets_a_password_from_standard_input(tmp_path, monkeypatch, capsys):
    import io

    from maskwatch import cli
    from maskwatch.config import Config
    from maskwatch.runtime import tool_app

    monkeypatch.setenv("MASKWATCH_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["passwd", "ops"]) == 2
    for password, said in (("first password\n", "created ops"), ("second password\n", "changed the password")):
        monkeypatch.setattr("sys.stdin", io.StringIO(password))
        assert cli.main(["passwd", "ops"]) == 0
        assert said in capsys.readouterr().out
    client = tool_app(Config()).test_client()
    assert login(client, "first password", "ops").status_code == 401
    assert login(client, "second password", "ops").status_code == 200
