"""Sources page, keyboard navigation, the SPA fallback and the phone layout."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from .conftest import get_json, post_json
from .urls import at


def test_sources_add_list_with_counts_and_remove(page, server, artifacts):
    page.goto("/sources")
    page.get_by_label("Kind").select_option("camera")
    page.get_by_label("Name", exact=True).fill("Back door")
    page.get_by_label("Stream URL").fill("ftp://nope")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("alert")).to_contain_text("rtsp://")  # the server's validation, in words
    page.get_by_label("Stream URL").fill("rtsp://camera.local/stream")
    page.get_by_role("button", name="Add").click()
    row = page.get_by_test_id("source-row").filter(has_text="Back door")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Network camera")
    expect(row).to_contain_text("URL set")
    expect(row.locator('[data-count="people"]')).to_have_text("0")
    assert "camera.local" not in page.get_by_test_id("sources-table").inner_text()  # the URL stays on the server
    page.screenshot(path=str(artifacts / "sources.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Remove Back door").click()
    expect(row).to_have_count(0)
    assert "Back door" not in {s["name"] for s in get_json(server.url + "/api/sources")}


def test_the_navigation_works_from_the_keyboard(page):
    page.goto("/upload")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Dashboard":
            break
    else:
        pytest.fail("Tab never reached the Dashboard link")
    page.keyboard.press("Enter")
    expect(page).to_have_url(at(r"/dashboard"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")


def test_a_phone_gets_a_collapsed_menu(browser, server, artifacts):
    page = browser.new_page(base_url=server.url, viewport={"width": 390, "height": 844})
    try:
        page.goto("/dashboard")
        toggler = page.get_by_role("button", name="Toggle navigation")
        expect(toggler).to_be_visible()
        expect(page.get_by_role("link", name="Sources")).to_be_hidden()
        toggler.click()
        expect(toggler).to_have_attribute("aria-expanded", "true")
        page.wait_for_timeout(300)
        page.screenshot(path=str(artifacts / "phone-menu.png"), full_page=True)
        page.get_by_role("link", name="Sources").click()
        expect(page).to_have_url(at(r"/sources"))
        expect(page.get_by_role("link", name="Sources")).to_be_hidden()  # the menu closes after a choice
    finally:
        page.close()


def test_the_sources_page_fits_a_phone_and_starts_and_stops_a_camera(browser, server, artifacts):
    post_json(server.url + "/api/sources", {"kind": "webcam", "name": "Entrance of the north wing, ground floor"})
    post_json(server.url + "/api/sources", {"kind": "camera", "name": "Car park", "url": "rtsp://camera.invalid/s"})
    page = browser.new_page(base_url=server.url, viewport={"width": 390, "height": 844})
    try:
        page.goto("/sources")
        card = page.get_by_test_id("source-row").filter(has_text="Car park")
        expect(card.get_by_test_id("camera-state")).to_have_text("Stopped")
        expect(card.locator('[data-count="unknown"]')).to_have_text("0")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the Sources page scrolls sideways by {overflow} px at 390 px"
        page.screenshot(path=str(artifacts / "sources-phone.png"), full_page=True)

        card.get_by_role("button", name="Start Car park").click()
        expect(card.get_by_test_id("camera-state")).not_to_have_text("Stopped")  # starting, then retrying
        expect(card.get_by_role("button", name="Stop Car park")).to_be_enabled()
        card.get_by_role("button", name="Stop Car park").click()
        expect(card.get_by_test_id("camera-state")).to_have_text("Stopped")
    finally:
        page.close()


def test_deep_links_get_the_app_and_unknown_api_paths_stay_json(server):
    with urllib.request.urlopen(server.url + "/live") as response:
        assert response.headers["Content-Type"].startswith("text/html")
        assert b'<div id="app">' in response.read()
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(server.url + "/api/nothing-here")
    assert error.value.code == 404 and error.value.headers["Content-Type"] == "application/json"
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(server.url + "/assets/missing.js")
    assert error.value.code == 404
