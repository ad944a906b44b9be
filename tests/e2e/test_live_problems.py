"""What the live page says when the camera cannot be had or the server goes away."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from maskwatch_testing.served import ServedApp

from .conftest import fake_camera_flags, launch


def test_an_insecure_address_explains_https(playwright, server, artifacts):
    # A LAN name over plain http is not a secure context: the browser hides the camera.
    browser = launch(playwright, [*fake_camera_flags(None), "--host-resolver-rules=MAP door.example 127.0.0.1"])
    try:
        page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone at the door
        page.goto(f"http://door.example:{server.port}/live")
        assert page.evaluate("window.isSecureContext") is False
        warning = page.get_by_test_id("insecure-warning")
        expect(warning).to_contain_text("HTTPS")
        expect(warning).to_contain_text(f"http://door.example:{server.port}")
        expect(page.get_by_test_id("live-toggle")).to_be_disabled()
        page.screenshot(path=str(artifacts / "live-insecure-phone.png"), full_page=True)
    finally:
        browser.close()


@pytest.mark.parametrize(
    "flags, kind",
    [
        (["--use-fake-device-for-media-stream"], "denied"),  # no fake UI: the permission prompt is refused
        (
            [
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                "--use-file-for-fake-video-capture=/nonexistent/clip.y4m",
            ],
            "no_camera",
        ),  # a camera that gives nothing
    ],
    ids=["denied", "no-camera"],
)
def test_a_camera_that_cannot_start_is_explained(playwright, server, artifacts, flags, kind):
    browser = launch(playwright, flags)
    try:
        page = browser.new_page()
        page.goto(f"{server.url}/live")
        page.get_by_test_id("live-toggle").click()
        problem = page.get_by_test_id("camera-problem")
        expect(problem).to_be_visible(timeout=15_000)
        expect(problem).to_have_attribute("data-kind", kind)
        expect(problem).to_contain_text("camera")
        expect(page.get_by_test_id("live-toggle")).to_have_text("Start camera")
        page.screenshot(path=str(artifacts / f"live-camera-{kind}.png"), full_page=True)
    finally:
        browser.close()


def test_a_lost_connection_says_so_and_comes_back(playwright, camera_clip, tmp_path, artifacts):
    instance = tmp_path / "instance"
    first = ServedApp(instance).__enter__()
    browser = launch(playwright, fake_camera_flags(camera_clip))
    second = None
    try:
        page = browser.new_page(base_url=first.url)
        page.goto("/live")
        page.get_by_test_id("live-toggle").click()
        expect(page.get_by_test_id("connection")).to_have_text("Connected", timeout=30_000)
        expect(page.locator("svg .face-box")).not_to_have_count(0, timeout=60_000)

        first.process.terminate()  # the server closes its websockets at once, then ends its other connections
        expect(page.get_by_test_id("connection")).to_have_text("Reconnecting…", timeout=15_000)
        expect(page.get_by_test_id("connection-message")).to_contain_text("lost")
        page.screenshot(path=str(artifacts / "live-connection-lost.png"), full_page=True)
        first.__exit__(None, None, None)

        second = ServedApp(instance)
        second.port, second.url = first.port, first.url  # the same address comes back
        second.__enter__()
        expect(page.get_by_test_id("connection")).to_have_text("Connected", timeout=30_000)
        expect(page.get_by_test_id("connection-message")).to_have_count(0)
        expect(page.locator("svg .face-box")).not_to_have_count(0, timeout=60_000)
    finally:
        browser.close()
        if second is not None and second.process is not None:
            second.__exit__(None, None, None)
        if first.process is not None:
            first.__exit__(None, None, None)
