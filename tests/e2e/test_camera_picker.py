"""Live page, IP camera picker: a server allowing file:// cameras (CAMERA_FILE_URLS=1) reads a short MP4 of a
bare face written by the test; the page picks the camera, presses Start and shows its JPEG frames with boxes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from maskwatch_testing.frames import people
from maskwatch_testing.served import ServedApp
from maskwatch_testing.streams import swaying_frames, write_clip

from .conftest import get_json, post_json


@pytest.fixture(scope="module")
def camera_server(tmp_path_factory):
    env = {
        "TORCH_THREADS": "1",
        "CAMERA_FILE_URLS": "1",
        "CAMERA_BACKOFF_S": "0.2",
        "CAMERA_BACKOFF_MAX_S": "0.5",
        "CAMERA_DETECT_FPS": "5",
    }
    with ServedApp(tmp_path_factory.mktemp("e2e-cameras") / "instance", env=env) as served:
        yield served


@pytest.fixture(scope="module")
def door_clip(tmp_path_factory, astronaut, grace_hopper, face_detector):
    heads = people(astronaut, grace_hopper, face_detector)
    # 4 s of one bare face; when the file ends the camera reconnects and plays it again
    return write_clip(tmp_path_factory.mktemp("clip") / "door.mp4", swaying_frames(heads["astronaut"], 40), fps=10)


def test_picking_an_ip_camera_shows_its_frames_and_boxes(browser, camera_server, door_clip, artifacts):
    camera = post_json(
        camera_server.url + "/api/sources", {"kind": "camera", "name": "Back door", "url": f"file://{door_clip}"}
    )
    context = browser.new_context(base_url=camera_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    try:
        page.goto("/live")
        picker = page.get_by_test_id("source-select")
        expect(picker).to_be_visible(timeout=10_000)
        expect(page.get_by_test_id("live-toggle")).to_be_visible()  # the webcam form until a camera is picked
        picker.select_option(label="Back door")
        expect(page.get_by_test_id("live-toggle")).to_have_count(0)
        expect(page.get_by_test_id("camera-state")).to_have_text("Stopped")
        expect(page.get_by_test_id("camera-url")).to_contain_text("file://")
        page.get_by_test_id("camera-start").click()
        expect(page.get_by_test_id("camera-state")).to_have_text("Connected", timeout=60_000)
        image = page.get_by_test_id("camera-image")
        expect(image).to_be_visible(timeout=30_000)
        expect(image).to_have_attribute("src", re.compile(r"^blob:"))
        expect(page.locator('svg .face-box[data-verdict="no_mask"]')).to_have_count(1, timeout=60_000)
        assert image.evaluate("img => img.naturalWidth") == 320
        banner = page.get_by_test_id("alert-banner")
        expect(banner).to_be_visible(timeout=30_000)
        expect(page.locator('[data-count="no_mask"]')).not_to_have_text("0", timeout=30_000)
        page.screenshot(path=str(artifacts / "camera-picker.png"), full_page=True)

        page.get_by_test_id("camera-stop").click()
        expect(page.get_by_test_id("camera-state")).to_have_text("Stopped", timeout=30_000)
        assert get_json(f"{camera_server.url}/api/cameras/{camera['id']}/status")["camera"]["state"] == "stopped"
        picker.select_option(label="This device's webcam")
        expect(page.get_by_test_id("live-toggle")).to_be_visible()
        # watching a camera made no webcam source on the server
        assert [s["name"] for s in get_json(camera_server.url + "/api/sources")] == ["Back door"]
        assert not [m for m in console if m.startswith("error")], console
    finally:
        context.close()
