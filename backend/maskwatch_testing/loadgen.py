"""Load on a served MaskWatch (maskwatch_testing.served), bounded in count and time: live clients on /live,
image uploaders, video jobs, and the server process's memory sampled every second. Shared by the CI
test (tests/web/test_load.py, short) and benchmarks/load.py (long runs, sweeps).

Each live client sends its next 640x480 JPEG when the last one was answered, as the browser does;
each uploader POSTs /api/images in a loop; each video worker uploads a clip and waits for its job.

What counts, per request:
- answered: a live ack with faces and counts, an image upload's 2xx, a video job that ends "done";
- dropped: the server's documented refusal under load, error code "busy" (a live ack
  {"error": "busy", ...}, or an HTTP error body with that code); not an error;
- errors: everything else: HTTP >= 500 and unexpected 4xx, connection errors, timeouts, other ack
  errors, failed jobs, the server process dying.

Example:
    with ServedApp(tmp / "instance") as server:
        report = run_load(server, LoadPlan(live_clients=3, uploaders=1, seconds=25, warmup_s=5))
    report["errors"], report["kinds"]["live"]["p95_ms"], report["memory"]["slope_mb_per_min"]
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import requests
import socketio

from .clips import live_frames, write_clip
from .served import ServedApp

BUSY = "busy"  # the error code of a frame or upload the server drops because it is busy
ERROR_EXAMPLES = 10  # error messages kept in a report, to see what went wrong


@dataclass
class LoadPlan:
    """How much load, for how long.

    live_clients: Socket.IO clients on /live, default 3; uploaders: POST /api/images loops, default 1;
    video_uploads: clips uploaded one after the other by one worker, default 0; video_seconds: each
    clip's length (30 fps), default 5; seconds: the run's length, default 60; warmup_s: answers sent
    before this are left out of latency, throughput and the memory slope, default 20 (the server's RSS
    climbs for its first 10-20 s under load while allocator arenas fill up); timeout_s: one
    request's limit, default 30; max_slope_mb_per_min: memory growing faster than this after warm-up
    is "not flat", default 5, unless it grew less than noise_mb in all, default 10 (allocator steps of
    a few MB would otherwise read as a steep slope in a short run).

    Example: LoadPlan(live_clients=4, uploaders=1, seconds=120)
    """

    live_clients: int = 3
    uploaders: int = 1
    video_uploads: int = 0
    video_seconds: int = 5
    seconds: float = 60.0
    warmup_s: float = 20.0
    timeout_s: float = 30.0
    max_slope_mb_per_min: float = 5.0
    noise_mb: float = 10.0


@dataclass
class Tally:
    """What one worker saw. answers: (sent at, seconds since the run began; round trip ms; server ms)."""

    kind: str
    name: str
    answers: list = field(default_factory=list)
    with_faces: int = 0
    dropped: int = 0
    errors: Counter = field(default_factory=Counter)
    examples: list = field(default_factory=list)

    def answered(self, sent_at: float, ms: float, server_ms: float | None, faces: int) -> None:
        self.answers.append((sent_at, ms, server_ms))
        self.with_faces += faces > 0

    def error(self, what: str, detail: str = "") -> None:
        self.errors[what] += 1
        if len(self.examples) < ERROR_EXAMPLES:
            self.examples.append(f"{self.name}: {what} {detail}".strip()[:300])


class Clock:
    """Seconds since the run began, and the stop signal every worker watches."""

    def __init__(self):
        self.started = time.monotonic()
        self.stop = threading.Event()

    def now(self) -> float:
        return time.monotonic() - self.started


def _error_code(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


def live_worker(url: str, frames: list[bytes], tally: Tally, clock: Clock, timeout: float) -> None:
    """One browser on the live page: connect to /live, send a frame, wait for its ack, send the next."""
    client = socketio.Client()
    while not clock.stop.is_set() and not client.connected:
        try:
            client.connect(
                url, namespaces=["/live"], transports=["websocket"], auth={"name": tally.name}, wait_timeout=timeout
            )
        except socketio.exceptions.ConnectionError as exc:
            tally.error("connect", str(exc))
            clock.stop.wait(1.0)
    i = 0
    try:
        while not clock.stop.is_set():
            sent_at = clock.now()
            try:
                answer = client.call("frame", frames[i % len(frames)], namespace="/live", timeout=timeout)
            except socketio.exceptions.TimeoutError:
                tally.error("timeout", f"no ack in {timeout:.0f} s")
                continue
            except socketio.exceptions.SocketIOError as exc:  # not connected (the client reconnects itself)
                tally.error("disconnected", repr(exc))
                clock.stop.wait(0.5)
                continue
            i += 1
            ms = (clock.now() - sent_at) * 1000
            if isinstance(answer, dict) and answer.get("error") == BUSY:
                tally.dropped += 1
                clock.stop.wait(answer.get("retry_ms", 100) / 1000)  # as the browser waits before its next frame
            elif isinstance(answer, dict) and "error" in answer:
                tally.error(f"ack_{answer['error']}", str(answer.get("message", "")))
            elif isinstance(answer, dict) and "faces" in answer and "counts" in answer:
                tally.answered(sent_at, ms, answer.get("ms"), len(answer["faces"]))
            else:
                tally.error("ack_malformed", repr(answer)[:200])
    finally:
        if client.connected:
            client.disconnect()


def image_worker(url: str, images: list[bytes], tally: Tally, clock: Clock, timeout: float) -> None:
    """A script uploading pictures one after the other: POST /api/images, the next when answered."""
    with requests.Session() as session:
        i = 0
        while not clock.stop.is_set():
            sent_at = clock.now()
            try:
                response = session.post(
                    url + "/api/images",
                    files={"file": ("frame.jpg", images[i % len(images)], "image/jpeg")},
                    timeout=timeout,
                )
            except requests.Timeout:
                tally.error("timeout", f"no answer in {timeout:.0f} s")
                continue
            except requests.ConnectionError as exc:
                tally.error("connection", repr(exc))
                clock.stop.wait(0.5)
                continue
            i += 1
            ms = (clock.now() - sent_at) * 1000
            if response.ok:
                body = response.json()
                tally.answered(sent_at, ms, body.get("ms"), len(body.get("faces", [])))
            elif _error_code(response) == BUSY:
                tally.dropped += 1
                clock.stop.wait(0.1)
            else:
                tally.error(f"http_{response.status_code}", response.text[:200])


def video_worker(url: str, clip: Path, uploads: int, tally: Tally, clock: Clock, timeout: float) -> None:
    """Upload the clip `uploads` times, one after the other, each timed from upload to its job's end.
    A job still running when the run ends counts as neither answered nor an error (see "unfinished")."""
    with requests.Session() as session:
        for _ in range(uploads):
            if clock.stop.is_set():
                return
            sent_at = clock.now()
            try:
                with clip.open("rb") as f:
                    response = session.post(
                        url + "/api/videos", files={"file": ("clip.mp4", f, "video/mp4")}, timeout=timeout
                    )
                if not response.ok:
                    tally.error(f"http_{response.status_code}", response.text[:200])
                    continue
                job = response.json()
                while job["status"] not in ("done", "failed") and not clock.stop.wait(0.5):
                    job = session.get(f"{url}/api/jobs/{job['id']}", timeout=timeout).json()
            except requests.RequestException as exc:
                tally.error("connection", repr(exc))
                continue
            if job["status"] == "done":
                tally.answered(sent_at, (clock.now() - sent_at) * 1000, None, 1)
            elif job["status"] == "failed":
                tally.error("job_failed", str(job.get("error")))
            else:
                tally.examples.append(f"{tally.name}: job {job['id']} still {job['status']} at the end")


def _process_sample(server: ServedApp, t: float) -> tuple:
    pid = server.app_pid
    return (
        round(t, 1),
        round(server.rss_mb(pid=pid), 1),
        len(os.listdir(f"/proc/{pid}/task")),
        len(os.listdir(f"/proc/{pid}/fd")),
    )


def memory_sampler(server: ServedApp, samples: list, tally: Tally, clock: Clock, every_s: float = 1.0) -> None:
    """(seconds, RSS MB, threads, open files) of the server process every `every_s`; stops the run if it dies."""
    while True:
        try:
            samples.append(_process_sample(server, clock.now()))
        except OSError:  # /proc/<pid> is gone
            pass
        if server.process.poll() is not None:
            tally.error("server_exited", f"exit status {server.process.returncode}")
            clock.stop.set()
            return
        if clock.stop.wait(every_s):
            return


def percentile(values, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def _latency(ms: list) -> dict:
    if not ms:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None}
    return {"p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1), "max_ms": round(max(ms), 1)}


def summarize_kind(tallies: list[Tally], since: float, window_s: float) -> dict:
    """Latency and throughput of the answers sent after `since` (s), drops and errors of the whole run."""
    measured = [a for t in tallies for a in t.answers if a[0] >= since]
    round_trips = [ms for _, ms, _ in measured]
    server = [s for _, _, s in measured if s is not None]
    errors = sum((t.errors for t in tallies), Counter())
    return {
        "workers": len(tallies),
        "answered": sum(len(t.answers) for t in tallies),
        "with_faces": sum(t.with_faces for t in tallies),
        "dropped": sum(t.dropped for t in tallies),
        "errors": dict(errors),
        **_latency(round_trips),
        "server_p50_ms": round(percentile(server, 50), 1) if server else None,
        "per_s": round(len(measured) / window_s, 2) if window_s > 0 else None,
        "per_worker": [
            {
                "name": t.name,
                "answered": len(t.answers),
                "with_faces": t.with_faces,
                "dropped": t.dropped,
                "errors": sum(t.errors.values()),
                "per_s": round(sum(a[0] >= since for a in t.answers) / window_s, 2) if window_s > 0 else None,
            }
            for t in tallies
        ],
    }


def summarize_memory(samples: list, warmup_s: float, max_slope: float, noise_mb: float) -> dict:
    """First/last/max RSS, and after warm-up the least-squares slope (MB/min) and the growth (MB);
    flat: a slope under max_slope, or a growth under noise_mb."""
    if not samples:
        return {"flat": False, "samples": []}
    t, rss, threads, fds = (np.array(column, dtype=float) for column in zip(*samples))
    after = t >= warmup_s
    if after.sum() < 3:  # too short a run to see a trend: judge all of it
        after = np.ones_like(t, dtype=bool)
    slope = float(np.polyfit(t[after], rss[after], 1)[0] * 60) if after.sum() >= 2 else 0.0
    growth = float(rss[-1] - rss[after][0])
    return {
        "first_mb": rss[0],
        "after_warmup_mb": rss[after][0],
        "last_mb": rss[-1],
        "max_mb": rss.max(),
        "growth_after_warmup_mb": round(growth, 1),
        "slope_mb_per_min": round(slope, 2),
        "max_slope_mb_per_min": max_slope,
        "noise_mb": noise_mb,
        "flat": slope < max_slope or growth < noise_mb,
        "threads": {"first": int(threads[0]), "last": int(threads[-1]), "max": int(threads.max())},
        "open_files": {"first": int(fds[0]), "last": int(fds[-1]), "max": int(fds.max())},
        "samples": [list(s[:2]) for s in samples],
    }


def run_load(server: ServedApp, plan: LoadPlan) -> dict:
    """Run `plan` against a started `server`; returns the report (see the module docstring).

    report: plan, elapsed_s, kinds {live, image, video: workers, answered, with_faces, dropped, errors,
    p50_ms, p95_ms, max_ms, server_p50_ms, per_s, per_worker}, memory {first_mb, after_warmup_mb,
    last_mb, max_mb, growth_after_warmup_mb, slope_mb_per_min, flat, threads, open_files, samples},
    errors (total), dropped (total), error_examples, load_average {before, after}, ok.
    """
    frames = live_frames(30)
    tallies = [Tally("live", f"live-{k + 1}") for k in range(plan.live_clients)]
    tallies += [Tally("image", f"image-{k + 1}") for k in range(plan.uploaders)]
    video = Tally("video", "video-1") if plan.video_uploads else None
    sampler_tally, samples = Tally("server", "server"), []
    with tempfile.TemporaryDirectory() as tmp:
        clip = write_clip(Path(tmp) / "clip.mp4", plan.video_seconds) if video else None
        load_before = os.getloadavg()
        clock = Clock()
        threads = [threading.Thread(target=memory_sampler, args=(server, samples, sampler_tally, clock))]
        for tally in tallies:
            worker = live_worker if tally.kind == "live" else image_worker
            threads.append(threading.Thread(target=worker, args=(server.url, frames, tally, clock, plan.timeout_s)))
        if video:
            threads.append(
                threading.Thread(
                    target=video_worker, args=(server.url, clip, plan.video_uploads, video, clock, plan.timeout_s)
                )
            )
        for thread in threads:
            thread.start()
        clock.stop.wait(plan.seconds)
        clock.stop.set()
        elapsed = clock.now()
        for thread in threads:
            thread.join()
    window = elapsed - min(plan.warmup_s, elapsed)
    everyone = tallies + ([video] if video else []) + [sampler_tally]
    kinds = {
        kind: summarize_kind([t for t in tallies if t.kind == kind], plan.warmup_s, window)
        for kind in ("live", "image")
        if any(t.kind == kind for t in tallies)
    }
    if video:  # one job spans the warm-up: time them all
        kinds["video"] = {
            **summarize_kind([video], 0.0, elapsed),
            "video_seconds": plan.video_seconds,
            "unfinished": plan.video_uploads - len(video.answers) - sum(video.errors.values()),
        }
    errors = sum(sum(t.errors.values()) for t in everyone)
    memory = summarize_memory(samples, plan.warmup_s, plan.max_slope_mb_per_min, plan.noise_mb)
    return {
        "plan": asdict(plan),
        "elapsed_s": round(elapsed, 1),
        "kinds": kinds,
        "memory": memory,
        "errors": errors,
        "dropped": sum(t.dropped for t in everyone),
        "error_examples": [e for t in everyone for e in t.examples][:ERROR_EXAMPLES],
        "load_average": {"before": [round(v, 2) for v in load_before], "after": [round(v, 2) for v in os.getloadavg()]},
        "ok": errors == 0 and memory["flat"],
    }
