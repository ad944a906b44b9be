"""Access control in a real browser against `maskwatch serve` with ADMIN_PASSWORD set: the login page and its
errors, the way back after signing in, API tokens made in Settings and used from Python, CSRF on the
browser's own calls, signing out, the live page refused for want of a sign-in, the rate limit on failed
sign-ins, and no Content-Security-Policy violation on the app's pages."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from maskwatch_testing.served import ServedApp

from .urls import at

PASSWORD = "e2e-correct-horse"
FAILED_SIGN_INS_PER_MINUTE = 5
#: Every violation the page sees, kept where the test can read it (Playwright's init scripts are not bound by CSP).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """This module's server: access control on (an admin made from ADMIN_PASSWORD on first start)."""
    env = {
        "ADMIN_PASSWORD": PASSWORD,
        "TORCH_THREADS": "1",
        "LOGIN_RATE_LIMIT": f"{FAILED_SIGN_INS_PER_MINUTE} per minute",
    }
    with ServedApp(tmp_path_factory.mktemp("e2e-login") / "instance", env=env) as served:
        yield served


def call(server, path, token=None, method="GET", body=None):
    """(status, JSON body) of an API call from a script, with `Authorization: Bearer <token>` when given."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(server.url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def sign_in(page, password=PASSWORD, username="admin"):
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def signed_in_page(page, path):
    page.goto(f"/login?next={path}")
    sign_in(page)
    expect(page).to_have_url(at(re.escape(path)))
    expect(page.get_by_test_id("signed-in-user")).to_have_text("admin")


def test_the_dashboard_asks_for_a_login_and_comes_back_after_it(page, artifacts):
    page.goto("/dashboard")
    expect(page).to_have_url(at(r"/login\?next=(/|%2F)dashboard"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_test_id("open-access-notice")).to_have_count(0)  # auth is on: no "open to anyone" bar

    sign_in(page, password="not the password")
    expect(page.get_by_test_id("login-error")).to_have_text("Wrong user name or password.")
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page).to_have_url(at(r"/login\?.*"))
    page.screenshot(path=str(artifacts / "login-wrong-password.png"), full_page=True)

    sign_in(page)
    expect(page).to_have_url(at(r"/dashboard"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_test_id("signed-in-user")).to_have_text("admin")
    session = next(c for c in page.context.cookies() if c["name"] == "session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    page.screenshot(path=str(artifacts / "login-dashboard.png"), full_page=True)


def test_an_api_token_from_settings_works_for_scripts_until_revoked(page, server, artifacts):
    status, refused = call(server, "/api/sources")
    assert status == 401 and refused["error"] == "login_required"
    signed_in_page(page, "/settings")
    expect(page.get_by_test_id("public-access")).to_contain_text("Nothing is open without a sign-in.")
    page.get_by_label("Token name").fill("e2e script")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_test_id("new-token-value").input_value()
    assert token.startswith("mw_")
    row = page.get_by_test_id("token-row").filter(has_text="e2e script")
    expect(row).to_have_count(1)
    assert token not in row.inner_text()  # the list has its first characters only
    page.screenshot(path=str(artifacts / "settings-new-token.png"), full_page=True)

    status, sources = call(server, "/api/sources", token)
    assert status == 200 and isinstance(sources, list)
    # a script's unsafe call needs no CSRF token: the bearer token is not sent by browsers on their own
    status, created = call(server, "/api/sources", token, "POST", {"kind": "webcam", "name": "from a script"})
    assert status == 201 and created["name"] == "from a script"
    page.get_by_role("link", name="Sources").click()
    expect(page.get_by_test_id("source-row").filter(has_text="from a script")).to_have_count(1)

    page.get_by_role("link", name="Settings").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke e2e script").click()
    expect(page.get_by_test_id("token-row").filter(has_text="e2e script")).to_have_count(0)
    assert call(server, "/api/sources", token)[0] == 401


def test_the_browser_session_needs_its_csrf_token_for_unsafe_calls(page):
    signed_in_page(page, "/sources")
    # the page's own calls carry X-CSRF-Token: adding a source through the form works
    page.get_by_label("Name", exact=True).fill("Side door")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("source-row").filter(has_text="Side door")).to_have_count(1)
    # the same cookie without the header (what another site's form could send) is refused
    response = page.request.post("/api/sources", data={"kind": "webcam", "name": "forged"})
    assert response.status == 403 and response.json()["error"] == "csrf_failed"


def test_sign_out_returns_to_the_login_page(page):
    signed_in_page(page, "/sources")
    # nothing in flight: an answer that left before the sign-out would set the session cookie again (see below)
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(at(r"/login"))
    expect(page.get_by_test_id("signed-in-user")).to_have_count(0)
    page.goto("/sources")
    expect(page).to_have_url(at(r"/login\?next=(/|%2F)sources"))
    assert page.request.get("/api/sources").status == 401  # the session is gone on the server too


def test_a_session_cookie_from_before_sign_out_no_longer_works(page, server):
    signed_in_page(page, "/sources")
    page.wait_for_load_state("networkidle")
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(at(r"/login"))
    replay = urllib.request.Request(server.url + "/api/sources", headers={"Cookie": f"session={cookie['value']}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(replay, timeout=10)
    assert refused.value.code == 401


def test_the_live_page_says_a_sign_in_is_needed_when_its_connection_is_refused(page, artifacts):
    signed_in_page(page, "/live")
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()  # the session ends (expired, signed out elsewhere) while the page is open
    page.get_by_test_id("live-toggle").click()
    notice = page.get_by_test_id("login-needed")
    expect(notice).to_be_visible(timeout=30_000)
    expect(notice).to_contain_text("Sign-in needed")
    expect(notice.get_by_role("link", name="Sign in")).to_have_attribute(
        "href", re.compile(r"^/login\?next=(/|%2F)live$")
    )
    expect(page.get_by_test_id("live-toggle")).to_have_text("Start camera")  # stopped, not retrying
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)  # the navbar knows too
    page.screenshot(path=str(artifacts / "live-login-needed.png"), full_page=True)


def test_the_pages_break_no_content_security_policy_rule(page, server):
    with urllib.request.urlopen(server.url + "/login") as response:  # the app's page has the header too
        policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    page.context.add_init_script(CSP_LISTENER)
    signed_in_page(page, "/upload")
    seen = {}
    for path, title in [
        ("/upload", "Upload"),
        ("/dashboard", "Dashboard"),
        ("/sources", "Sources"),
        ("/settings", "Settings"),
        ("/live", "Live camera"),
    ]:
        page.goto(path)
        expect(page).to_have_title(f"{title} · MaskWatch")
        expect(page.get_by_test_id("signed-in-user")).to_have_text("admin")
        page.wait_for_load_state("networkidle")
        seen[path] = page.evaluate("window.__cspViolations")
    # the live page's webcam: a blob: preview and the Socket.IO websocket (connect-src 'self')
    page.get_by_test_id("live-toggle").click()
    expect(page.get_by_test_id("connection")).to_have_text("Connected", timeout=30_000)
    page.wait_for_timeout(1500)
    page.get_by_test_id("live-toggle").click()
    seen["/live (camera on)"] = page.evaluate("window.__cspViolations")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    seen["/login"] = page.evaluate("window.__cspViolations")

    assert {path: v for path, v in seen.items() if v} == {}
    refused = [m for m in page.console_messages if "Content Security Policy" in m or "Refused to" in m]
    assert refused == []


@pytest.fixture(scope="module")
def open_server(tmp_path_factory):
    """A server with no account: access control off, as `make run` without ADMIN_PASSWORD."""
    with ServedApp(tmp_path_factory.mktemp("e2e-open") / "instance", env={"TORCH_THREADS": "1"}) as served:
        yield served


def test_with_auth_off_no_login_is_shown_and_a_dismissible_notice_says_how_to_turn_it_on(
    browser, open_server, artifacts
):
    context = browser.new_context(base_url=open_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto("/login?next=/sources")
        expect(page).to_have_url(at(r"/sources"))  # nothing to sign in to
        notice = page.get_by_test_id("open-access-notice")
        expect(notice).to_contain_text("anyone who can reach this address")
        expect(notice).to_contain_text("ADMIN_PASSWORD")
        expect(page.get_by_role("link", name="Sign in")).to_have_count(0)
        expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
        page.screenshot(path=str(artifacts / "auth-off-notice.png"))
        page.get_by_role("button", name="Hide the no-login notice").click()
        expect(notice).to_have_count(0)
        page.reload()
        expect(page.get_by_test_id("sources-table")).to_be_visible()
        expect(notice).to_have_count(0)  # hidden for the rest of this session
        page.goto("/settings")
        expect(page.get_by_test_id("auth-off")).to_contain_text("ADMIN_PASSWORD")
    finally:
        context.close()


def test_too_many_failed_sign_ins_are_refused_with_the_servers_words(page, artifacts):
    """Last in this module: afterwards this address may not sign in for a minute."""
    page.goto("/login")
    error = page.get_by_test_id("login-error")
    statuses = []
    for _ in range(FAILED_SIGN_INS_PER_MINUTE + 1):
        with page.expect_response(lambda r: r.url.endswith("/api/auth/login")) as answer:
            sign_in(page, password="guessing")
        statuses.append(answer.value.status)
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {401}, statuses
    expect(error).to_contain_text("Too many sign-in attempts: too many failed attempts")
    expect(error).to_contain_text(re.compile(r"try again in \d+ s"))
    page.screenshot(path=str(artifacts / "login-rate-limited.png"), full_page=True)
    with page.expect_response(lambda r: r.url.endswith("/api/auth/login")) as answer:
        sign_in(page)  # even the right password waits now
    assert answer.value.status == 429
    expect(error).to_contain_text("Too many sign-in attempts")
