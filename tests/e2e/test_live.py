"""Live camera page in a real browser whose fake camera plays a Y4M clip of a face, bare then masked:
boxes over the video, counts, the frame rate, an alert; after Stop the sighting is on the dashboard."""

from __future__ import annotations

import re
import urllib.request

import pytest
from playwright.sync_api import expect

from .conftest import fake_camera_flags, get_json, launch
from .urls import at


@pytest.fixture(scope="module")
def camera_browser(playwright, camera_clip):
    browser = launch(playwright, fake_camera_flags(camera_clip))
    yield browser
    browser.close()


def test_live_camera_shows_boxes_and_alerts_and_the_sighting_reaches_the_dashboard(camera_browser, server, artifacts):
    context = camera_browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    try:
        page.goto("/live")
        expect(page.get_by_test_id("insecure-warning")).to_have_count(0)  # 127.0.0.1 is a secure origin
        page.get_by_label("Camera name").fill("Front door")
        page.get_by_test_id("live-toggle").click()
        expect(page.get_by_test_id("connection")).to_have_text("Connected", timeout=30_000)
        expect(page.locator('svg .face-box[data-verdict="no_mask"]')).to_have_count(1, timeout=60_000)
        banner = page.get_by_test_id("alert-banner")
        expect(banner).to_be_visible(timeout=30_000)
        expect(banner).to_contain_text("Please wear a mask")
        expect(page.locator('[data-count="no_mask"]')).not_to_have_text("0")
        expect(page.get_by_test_id("fps")).not_to_have_text(re.compile(r"^0\.0 "), timeout=10_000)
        page.screenshot(path=str(artifacts / "live-alert.png"), full_page=True)
        # the masked half of the clip comes round too
        expect(page.locator('svg .face-box[data-verdict="mask"]')).to_have_count(1, timeout=60_000)
        page.screenshot(path=str(artifacts / "live-masked.png"), full_page=True)

        page.get_by_test_id("live-toggle").click()  # Stop: the server writes this client's people
        expect(page.get_by_test_id("live-toggle")).to_have_text("Start camera")
        source = next(s for s in get_json(server.url + "/api/sources") if s["name"] == "Front door")
        assert source["kind"] == "webcam"

        page.get_by_role("link", name="Dashboard").click()
        expect(page).to_have_url(at(r"/dashboard"))
        totals = page.get_by_test_id("dashboard-totals")
        expect(totals.locator('[data-count="people"]')).not_to_have_text("0", timeout=30_000)
        expect(totals.locator('[data-count="no_mask"]')).not_to_have_text("0")
        expect(page.get_by_test_id("bar-chart").locator("canvas")).to_be_visible()
        expect(page.get_by_test_id("pie-chart").locator("canvas")).to_be_visible()
        page.get_by_test_id("filter-source").select_option(label="Front door (webcam)")
        csv_link = page.get_by_test_id("csv-link")
        expect(csv_link).to_have_attribute("href", re.compile(rf"source_id={source['id']}"))
        with urllib.request.urlopen(server.url + csv_link.get_attribute("href"), timeout=10) as response:
            assert response.headers["Content-Type"].startswith("text/csv")
            assert "no_mask" in response.read().decode()
        page.wait_for_timeout(500)  # let the charts draw before the picture
        page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
        page.get_by_text("Date range").click()  # people per day over the last week
        expect(page.get_by_label("From")).to_be_visible()
        expect(page.get_by_test_id("bar-chart").locator("canvas")).to_be_visible()
        expect(totals.locator('[data-count="no_mask"]')).not_to_have_text("0")
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "dashboard-range.png"), full_page=True)
        sightings = get_json(f"{server.url}/api/sightings?source_id={source['id']}")["items"]
        assert "no_mask" in {s["verdict"] for s in sightings}
        assert not [m for m in console if m.startswith("error")], console
    finally:
        context.close()
