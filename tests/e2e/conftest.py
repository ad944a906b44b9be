"""Browser tests: a real `maskwatch serve` (with the built frontend) driven by Playwright through the
Debian Chromium at /usr/bin/chromium (`playwright install` downloads nothing here and is never run).

Screenshots go to artifacts/e2e/. Skipped with a reason when Chromium, Playwright or frontend/dist is
missing; `make test` installs and builds all three first.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest

from maskwatch.paths import REPO_ROOT
from maskwatch_testing.frames import people
from maskwatch_testing.served import ServedApp

from .clips import unmasked_then_masked, write_y4m

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DIST = REPO_ROOT / "frontend" / "dist"
ARTIFACTS = REPO_ROOT / "artifacts" / "e2e"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--autoplay-policy=no-user-gesture-required",
]


def fake_camera_flags(y4m: Path | None) -> list[str]:
    flags = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    return flags + ([f"--use-file-for-fake-video-capture={y4m}"] if y4m else [])


def pytest_collection_modifyitems(config, items):
    reasons = []
    if not Path(CHROMIUM).is_file():
        reasons.append(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        reasons.append("Playwright for Python is not installed (pip install -e '.[test]')")
    if not (DIST / "index.html").is_file():
        reasons.append("frontend/dist is not built (make frontend)")
    if reasons:
        skip = pytest.mark.skip(reason="; ".join(reasons))
        for item in items:
            if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with ServedApp(tmp_path_factory.mktemp("e2e") / "instance", env={"TORCH_THREADS": "1"}) as served:
        yield served


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def launch(playwright, extra_flags=()):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_FLAGS, *extra_flags])


@pytest.fixture(scope="module")
def browser(playwright):
    browser = launch(playwright, fake_camera_flags(None))
    yield browser
    browser.close()


@pytest.fixture
def page(browser, server, request, artifacts):
    """A fresh page on the served app; on failure its last state is saved as <test>-failed.png."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.console_messages = []
    page.on("console", lambda m: page.console_messages.append(f"{m.type}: {m.text}"))
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        page.screenshot(path=str(artifacts / f"{request.node.name}-failed.png"), full_page=True)
        (artifacts / f"{request.node.name}-console.txt").write_text("\n".join(page.console_messages))
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def camera_clip(tmp_path_factory, astronaut, grace_hopper, face_detector) -> Path:
    """The fake camera's Y4M: the astronaut bare for 3 s, nobody for 2 s, then masked for 3 s (looping)."""
    heads = people(astronaut, grace_hopper, face_detector)
    frames = unmasked_then_masked(heads["astronaut"], heads["astronaut_masked"], seconds=3.0, gap_s=2.0)
    return write_y4m(tmp_path_factory.mktemp("camera") / "door.y4m", frames, fps=10)


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def post_json(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())
