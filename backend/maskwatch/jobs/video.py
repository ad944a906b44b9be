"""A video job: detect every N-th frame, track in between, write the annotated H.264 video, the
per-track results JSON and one sighting per person. Failures are recorded on the job, never raised."""

from __future__ import annotations

import json
import logging
import math
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app

from ..detection.draw import draw_detections
from ..detector_service import get_detector
from ..extensions import socketio
from ..media import MediaError, iter_video_frames, probe_video
from ..media.encode import H264Writer
from ..store import queries, utcnow
from ..tracking import FaceTracker

log = logging.getLogger(__name__)
JOBS_NAMESPACE = "/jobs"
PROGRESS_EVERY_S = 0.5


def publish(job_id: str) -> None:
    """Push the job's state to Socket.IO clients of /jobs (event 'job')."""
    job = queries.get_job(job_id)
    socketio.emit("job", job.to_dict(), namespace=JOBS_NAMESPACE)


def run_video_job(job_id: str) -> None:
    """Run inside an app context (a runner does that). Safe to run again: a finished job is left as it is,
    and a rerun of an interrupted one replaces the sightings the first run wrote."""
    job = queries.get_job(job_id)
    if job is None or job.status == "done":
        return
    started = utcnow()
    queries.update_job(job_id, status="running", started_at=started)
    publish(job_id)
    try:
        results = process_video(job_id, Path(job.input_path), job.source_id, started)
        queries.update_job(job_id, status="done", progress=1.0, finished_at=utcnow(), **results)
    except MediaError as exc:
        queries.update_job(job_id, status="failed", error=exc.message, finished_at=utcnow())
    except Exception as exc:  # a broken job must not take the worker down
        log.exception("video job %s failed", job_id)
        queries.update_job(job_id, status="failed", error=f"{type(exc).__name__}: {exc}", finished_at=utcnow())
    publish(job_id)


def process_video(job_id: str, path: Path, source_id: int, started) -> dict:
    """Returns the job columns to set: output_path, result_path."""
    info = probe_video(path)
    every = max(1, current_app.config["DETECT_EVERY_N_FRAMES"])
    detector = get_detector()
    # A person is lost after about one second without a face.
    tracker = FaceTracker(max_missed=max(3, math.ceil(info.fps / every)))
    out_dir = Path(current_app.instance_path) / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    video_path, result_path = out_dir / f"{job_id}.mp4", out_dir / f"{job_id}.json"
    detections, last_publish, frames_done = [], 0.0, 0
    with H264Writer(video_path, info.fps, (info.width, info.height)) as writer:
        for index, seconds, frame in iter_video_frames(path):
            if index % every == 0:
                detections = detector.detect(frame)
                tracker.update(detections, seconds)
            writer.write(draw_detections(frame, detections))
            frames_done = index + 1
            if time.monotonic() - last_publish > PROGRESS_EVERY_S:
                queries.update_job(job_id, progress=min(0.99, frames_done / info.frames))
                publish(job_id)
                last_publish = time.monotonic()
    tracker.close_all()
    people = tracker.closed
    result = {"video": {"width": info.width, "height": info.height, "fps": info.fps, "frames": frames_done,
                        "duration_s": round(frames_done / info.fps, 3), "detect_every_n_frames": every},
              "people": [{"track_id": p.track_id, "verdict": p.verdict, "confidence": p.confidence,
                          "frames_seen": p.frames_seen, "start_s": round(p.seen_at, 3), "end_s": round(p.ended_at, 3)}
                         for p in people]}
    result_path.write_text(json.dumps(result, indent=1))
    for p in people:
        p.seen_at, p.ended_at = started + timedelta(seconds=p.seen_at), started + timedelta(seconds=p.ended_at)
    queries.replace_job_sightings(job_id, source_id, people)
    return {"output_path": str(video_path), "result_path": str(result_path)}


@socketio.on("connect", namespace=JOBS_NAMESPACE)
def accept_jobs_client(auth=None):
    """Anyone may listen to job progress (the 'job' event carries no secrets)."""
    return True
