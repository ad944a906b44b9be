"""Upload page in a real browser: a picture gets boxes and counts; a video gets a progress bar that
finishes and an annotated video that plays; a bad file gets the server's words."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from maskwatch.config import Config
from maskwatch_testing.faces import ASTRONAUT_FACE
from maskwatch_testing.frames import head_patch, people, scene, walking

from ..conftest import encode
from ..crowd import background, paste_face
from .clips import write_mp4
from .conftest import get_json, post_json
from .urls import at


def test_upload_an_image_shows_boxes_list_and_counts(page, tmp_path, artifacts, astronaut, grace_hopper, face_detector):
    heads = people(astronaut, grace_hopper, face_detector)
    bare, covered = heads["astronaut"], heads["astronaut_masked"]
    picture = tmp_path / "two_people.jpg"
    picture.write_bytes(encode(scene([(bare, 60, 120), (covered, 380, 110)])))

    page.goto("/")
    expect(page).to_have_url(at(r"/upload"))
    page.get_by_test_id("file-input").set_input_files(picture)
    result = page.get_by_test_id("image-result")
    expect(result).to_be_visible(timeout=60_000)
    expect(result.locator("svg .face-box")).to_have_count(2)
    expect(result.get_by_test_id("face-row")).to_have_count(2)
    expect(result.locator('[data-count="people"]')).to_have_text("2")
    expect(result.locator('[data-count="mask"]')).to_have_text("1")
    expect(result.locator('[data-count="no_mask"]')).to_have_text("1")
    expect(result.locator('svg .face-box[data-verdict="no_mask"]')).to_have_count(1)
    # the picture profile enlarges a 640 px picture to PICTURE_UPSCALE_BELOW px and looks for faces from
    # PICTURE_MIN_FACE_SIZE there (the served app runs the default detector with its defaults)
    config = Config()
    smallest = round(config.PICTURE_MIN_FACE_SIZE * 640 / config.PICTURE_UPSCALE_BELOW)
    expect(result.get_by_test_id("min-face-note")).to_have_text(f"Faces smaller than {smallest} px are not counted.")
    expect(result.locator("img")).to_have_js_property("complete", True)
    page.screenshot(path=str(artifacts / "upload-image.png"), full_page=True)
    assert not [m for m in page.console_messages if m.startswith("error")], page.console_messages

    # the dashboard draws them in the bar of this hour (the browser's local time) and in no other
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_text("The numbers").click()
    table = page.get_by_test_id("chart-table")
    expect(table.locator("tbody tr")).to_have_count(24)
    this_hour = page.evaluate("String(new Date().getHours()).padStart(2, '0') + ':00'")
    expect(table.locator(f'tr[data-label="{this_hour}"] [data-count="total"]')).to_have_text("2")
    totals = table.locator('[data-count="total"]').all_inner_texts()
    assert sorted(totals, key=int)[-1] == "2" and sum(map(int, totals)) == 2, totals
    page.screenshot(path=str(artifacts / "dashboard-hour.png"), full_page=True)


def crowd_of_20(astronaut, grace_hopper) -> bytes:
    """640x480, 20 faces of 44 px in 4 tight rows: every face's natural label spot is near a neighbour's."""
    from maskwatch_testing.faces import GRACE_HOPPER_FACE

    canvas = background(480, 640, seed=3)
    for i in range(20):
        photo, box = ((astronaut, ASTRONAUT_FACE), (grace_hopper, GRACE_HOPPER_FACE))[i % 2]
        paste_face(canvas, photo, box, 44, (24 + 122 * (i % 5), 20 + 112 * (i // 5)))
    return encode(canvas)


def test_the_labels_of_a_crowd_never_overlap_nor_leave_the_picture(page, tmp_path, artifacts, astronaut, grace_hopper):
    picture = tmp_path / "crowd.jpg"
    picture.write_bytes(crowd_of_20(astronaut, grace_hopper))
    page.goto("/upload")
    page.get_by_test_id("file-input").set_input_files(picture)
    result = page.get_by_test_id("image-result")
    expect(result).to_be_visible(timeout=60_000)
    expect(result.get_by_test_id("face-row")).not_to_have_count(0)
    found = result.get_by_test_id("face-row").count()
    assert found >= 16, f"only {found} of the 20 faces found"
    picture_box = result.locator("img").bounding_box()
    assert picture_box["width"] > 640  # scaled up to its column, not shown at its own 640 px
    labels = result.locator(".face-label").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom] })"
    )
    assert len(labels) == found
    x0, y0 = picture_box["x"], picture_box["y"]
    x1, y1 = x0 + picture_box["width"], y0 + picture_box["height"]
    for left, top, right, bottom in labels:
        assert left >= x0 - 0.5 and top >= y0 - 0.5 and right <= x1 + 0.5 and bottom <= y1 + 0.5
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            assert a[2] <= b[0] + 0.5 or b[2] <= a[0] + 0.5 or a[3] <= b[1] + 0.5 or b[3] <= a[1] + 0.5, (a, b)
    expect(result.locator(".face-label text").first).to_have_text("1")
    expect(result.get_by_test_id("verdict-legend")).to_contain_text("No mask")
    result.get_by_test_id("face-row").nth(3).hover()  # the list and the picture show the same face
    expect(result.locator('.face-box[data-index="3"]')).to_have_class(re.compile("highlighted"))
    page.screenshot(path=str(artifacts / "upload-crowd.png"), full_page=True)


def test_the_same_photo_twice_gives_one_set_of_sightings(page, server, tmp_path, artifacts, grace_hopper):
    photo = tmp_path / "hopper.jpg"
    photo.write_bytes(encode(grace_hopper, "JPEG"))

    def people_counted() -> int:
        return sum(
            get_json(f"{server.url}/api/stats/summary?source_id={s['id']}")["total"]
            for s in get_json(server.url + "/api/sources")
            if s["kind"] == "image"
        )

    before = people_counted()
    page.goto("/upload")
    page.get_by_test_id("file-input").set_input_files(photo)
    rows = page.get_by_test_id("face-row")
    expect(rows).not_to_have_count(0, timeout=60_000)
    found = rows.count()
    expect(page.get_by_test_id("already-counted")).to_have_count(0)
    assert people_counted() == before + found
    page.get_by_test_id("file-input").set_input_files(photo)
    expect(page.get_by_test_id("already-counted")).to_contain_text("uploaded already, as hopper.jpg")
    expect(rows).to_have_count(found)  # the first upload's answer
    page.screenshot(path=str(artifacts / "upload-again.png"), full_page=True)
    assert people_counted() == before + found
    page.get_by_test_id("count-again").check()
    page.get_by_test_id("file-input").set_input_files(photo)
    expect(page.get_by_test_id("already-counted")).to_have_count(0, timeout=60_000)
    expect(rows).to_have_count(found)
    assert people_counted() == before + 2 * found


def test_an_upload_counts_under_the_source_picked_for_it(page, server, tmp_path, astronaut):
    lobby = post_json(server.url + "/api/sources", {"kind": "image", "name": "Lobby"})
    photo = tmp_path / "lobby.jpg"
    photo.write_bytes(encode(astronaut, "JPEG"))
    page.goto("/upload")
    page.get_by_test_id("upload-source").select_option(label="Lobby (pictures)")
    page.get_by_test_id("file-input").set_input_files(photo)
    expect(page.get_by_test_id("face-row")).not_to_have_count(0, timeout=60_000)
    found = page.get_by_test_id("face-row").count()
    assert get_json(f"{server.url}/api/sightings?source_id={lobby['id']}")["total"] == found


def test_upload_a_bad_file_shows_the_server_error(page, tmp_path, artifacts):
    bogus = tmp_path / "notes.jpg"
    bogus.write_bytes(b"this is not a picture at all")
    page.goto("/upload")
    page.get_by_test_id("file-input").set_input_files(bogus)
    error = page.get_by_test_id("upload-error")
    expect(error).to_be_visible(timeout=30_000)
    expect(error).not_to_be_empty()
    assert "Error" not in error.inner_text() and "[object" not in error.inner_text()
    assert "JPEG" in error.inner_text(), error.inner_text()  # the server's own words (415)
    page.screenshot(path=str(artifacts / "upload-error.png"))


def test_upload_a_video_shows_progress_then_plays(page, tmp_path, artifacts, astronaut):
    bare = head_patch(astronaut, ASTRONAUT_FACE, width=120)
    frames = [scene([(bare, x, y)]) for x, y in walking(bare, 30, start=(40, 150), step=(14, 1))]
    clip = write_mp4(tmp_path / "walk.mp4", frames, fps=10)

    page.goto("/upload")
    # every value the progress bar shows, as the job's events move it
    page.evaluate("""() => {
        window.progressSeen = [];
        new MutationObserver(() => {
            const bar = document.querySelector('[data-testid=job-progress]');
            if (bar && window.progressSeen.at(-1) !== bar.getAttribute('aria-valuenow'))
                window.progressSeen.push(bar.getAttribute('aria-valuenow'));
        }).observe(document.body, {subtree: true, childList: true, attributes: true});
    }""")
    page.get_by_test_id("file-input").set_input_files(clip)
    progress = page.get_by_test_id("job-progress")
    expect(progress).to_be_visible(timeout=30_000)
    page.screenshot(path=str(artifacts / "upload-video-progress.png"), full_page=True)
    expect(progress).to_have_attribute("aria-valuenow", "100", timeout=180_000)
    seen = page.evaluate("window.progressSeen")
    assert seen[-1] == "100" and [int(v) for v in seen] == sorted(int(v) for v in seen), seen
    video = page.get_by_test_id("annotated-video")
    expect(video).to_be_visible()
    # playing: the browser decoded the H.264 and its clock moves
    page.wait_for_function(
        "v => v.readyState >= 2 && v.currentTime > 0.2 && v.videoWidth > 0", arg=video.element_handle(), timeout=30_000
    )
    expect(page.get_by_test_id("person-row")).to_have_count(1, timeout=30_000)
    expect(page.get_by_test_id("video-result").locator('[data-count="no_mask"]')).to_have_text("1")
    page.screenshot(path=str(artifacts / "upload-video-done.png"), full_page=True)
    assert not [m for m in page.console_messages if m.startswith("error")], page.console_messages
