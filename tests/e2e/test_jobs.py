"""The Jobs page in a real browser: a video job outlives the page it was started from, and reloads; a running
job is cancelled and counts nobody; a finished one is deleted."""

from __future__ import annotations

from playwright.sync_api import expect

from maskwatch_testing.faces import ASTRONAUT_FACE
from maskwatch_testing.frames import head_patch, scene, walking

from .clips import write_mp4
from .conftest import get_json


def clip(astronaut, path, frames: int):
    bare = head_patch(astronaut, ASTRONAUT_FACE, width=120)
    steps = walking(bare, 30, start=(40, 150), step=(14, 1))
    return write_mp4(path, [scene([(bare, *steps[i % len(steps)])]) for i in range(frames)], fps=10)


def test_a_job_outlives_its_page_and_a_running_one_can_be_cancelled(page, server, tmp_path, artifacts, astronaut):
    short = clip(astronaut, tmp_path / "short.mp4", 30)
    long = clip(astronaut, tmp_path / "long.mp4", 3000)

    page.goto("/upload")
    page.get_by_test_id("file-input").set_input_files(short)
    expect(page.get_by_test_id("job-progress")).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Dashboard").click()  # leave while it runs
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.get_by_role("link", name="Jobs", exact=True).click()
    row = page.get_by_test_id("job-row").filter(has_text="short.mp4")
    expect(row.get_by_test_id("job-status")).to_have_text("Done", timeout=180_000)
    row.get_by_role("button", name="Show the annotated video").click()
    video = row.get_by_test_id("job-video")
    page.wait_for_function("v => v.readyState >= 2 && v.videoWidth > 0", arg=video.element_handle(), timeout=30_000)
    page.get_by_role("link", name="Upload").click()  # the Upload page shows the job it started again
    expect(page.get_by_test_id("video-result")).to_contain_text("short.mp4")
    expect(page.get_by_test_id("annotated-video")).to_be_visible(timeout=30_000)

    page.get_by_test_id("file-input").set_input_files(long)
    expect(page.get_by_test_id("job-progress")).to_be_visible(timeout=30_000)
    page.get_by_test_id("jobs-link").click()
    row = page.get_by_test_id("job-row").filter(has_text="long.mp4")
    expect(row.get_by_test_id("job-status")).to_have_text("Running", timeout=60_000)
    expect(row.get_by_test_id("job-eta")).to_be_visible(timeout=60_000)
    page.screenshot(path=str(artifacts / "jobs-running.png"), full_page=True)
    row.get_by_role("button", name="Cancel long.mp4").click()
    expect(row.get_by_test_id("job-status")).to_have_text("Cancelled")
    page.reload()  # the list is the server's: it survives a reload
    expect(page.get_by_test_id("job-row")).to_have_count(2)
    expect(row.get_by_test_id("job-status")).to_have_text("Cancelled")
    page.screenshot(path=str(artifacts / "jobs.png"), full_page=True)

    jobs = {j["source_name"]: j for j in get_json(server.url + "/api/jobs")}
    assert jobs["long.mp4"]["status"] == "cancelled"
    assert get_json(f"{server.url}/api/sightings?source_id={jobs['long.mp4']['source_id']}")["total"] == 0
    assert get_json(f"{server.url}/api/sightings?source_id={jobs['short.mp4']['source_id']}")["total"] == 1

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("job-row").filter(has_text="short.mp4").get_by_role("button", name="Delete short.mp4").click()
    expect(page.get_by_test_id("job-row")).to_have_count(1)
    assert get_json(f"{server.url}/api/sightings?source_id={jobs['short.mp4']['source_id']}")["total"] == 0
    assert not [m for m in page.console_messages if m.startswith("error")], page.console_messages
