"""A video job: detect every N-th frame, track in between, write the annotated H.264 video, the
per-track results JSON and one sighting per person. Failures are recorded on the job, never raised,
except a database that stays unreachable (run_video_job says what happens then)."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from ..detection.draw import draw_detections
from ..media import MediaError, iter_video_frames, probe_video
from ..media.encode import H264Writer
from ..monitor import KeptPeople, StreamSession
from ..publishing import NullPublisher, Publisher
from ..services import Services
from ..store import queries, utcnow
from ..store.errors import StoreError, StoreUnavailable
from ..store.serialization import JobSchema
from ..store.spool import SourceRef
from ..tracking import FaceTracker

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 0.5
T = TypeVar("T")


class JobCancelled(Exception):
    """Somebody cancelled the job while it ran (store.queries.cancel_job)."""


def cancelled(job_id: str) -> bool:
    """Best effort: while the database is unreachable the job goes on."""
    try:
        return queries.job_cancelled(job_id)
    except StoreError:
        return False


def publish(job_id: str, publisher: Publisher) -> None:
    """Tell the job's listeners its state (event 'job')."""
    job = queries.get_job(job_id)
    if job is not None:  # a deleted job has nobody to tell
        publisher.publish("job", JobSchema().dump(job))


def report_progress(job_id: str, progress: float, publisher: Publisher) -> None:
    """Best effort: while the database is unreachable the job goes on without telling its progress."""
    try:
        queries.update_job(job_id, progress=progress)
        publish(job_id, publisher)
    except StoreError as exc:
        log.warning("video job %s: progress not recorded: %s", job_id, exc)


def when_the_database_answers(write: Callable[[], T], wait_s: float) -> T:
    """write(), tried again while the database is unreachable (1 s apart, doubling to 30 s) for up to wait_s
    seconds; then its StoreUnavailable is raised."""
    deadline, delay = time.monotonic() + wait_s, 1.0
    while True:
        try:
            return write()
        except StoreUnavailable as exc:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("video job: the database is unreachable, trying again in %.0f s: %s", delay, exc)
            time.sleep(delay)
            delay = min(30.0, delay * 2)


def run_video_job(services: Services, job_id: str, publisher: Publisher | None = None) -> None:
    """Run inside services.store_scope() (a runner does that); its progress and outcome go to publisher as 'job'
    events. Safe to run again: a finished job is left as it is, and a rerun of an interrupted one replaces the
    sightings the first run wrote. Each run counts in the job's attempts (web.server.prepare_database requeues an
    interrupted job while attempts < JOB_MAX_ATTEMPTS).

    If the database is away when the job ends, its result (sightings and status, one transaction) is
    written when it answers, waiting up to JOB_DATABASE_WAIT_S; after that the job stays as the database
    has it (running) and the next server start runs it again.
    """
    job = queries.get_job(job_id)
    if job is None or job.status in ("done", "cancelled"):
        return
    publisher = publisher or NullPublisher()
    started = utcnow()
    if not queries.start_job(job_id, started):  # cancelled just now
        return
    publish(job_id, publisher)
    wait_s = float(services.settings["JOB_DATABASE_WAIT_S"])
    try:
        process_video(services, job_id, Path(job.input_path), job.source_id, started, wait_s, publisher)
    except JobCancelled:
        log.info("video job %s cancelled", job_id)
        for name in (f"{job_id}.mp4", f"{job_id}.json"):
            (services.instance_path / "results" / name).unlink(missing_ok=True)
    except MediaError as exc:
        reason = exc.message
        when_the_database_answers(
            lambda: queries.update_job(job_id, status="failed", error=reason, finished_at=utcnow()), wait_s
        )
    except StoreUnavailable:
        raise  # the database stayed away: the job is not failed, the next start (or Celery's retry) runs it again
    except Exception as exc:  # a broken job must not take the worker down
        log.exception("video job %s failed", job_id)
        error = f"{type(exc).__name__}: {exc}"
        when_the_database_answers(
            lambda: queries.update_job(job_id, status="failed", error=error, finished_at=utcnow()), wait_s
        )
    try:
        publish(job_id, publisher)
    except StoreError as exc:  # the outcome is written; the event is only news
        log.warning("video job %s: no final event: %s", job_id, exc)


def process_video(
    services: Services,
    job_id: str,
    path: Path,
    source_id: int,
    started,
    wait_s: float = 0.0,
    publisher: Publisher | None = None,
) -> None:
    """Writes the annotated video and the results JSON, then (in one transaction, waiting up to wait_s
    for an unreachable database) the sightings and the job's done state with output_path, result_path."""
    publisher = publisher or NullPublisher()
    max_seconds = services.settings["MAX_VIDEO_SECONDS"]
    info = probe_video(path, max_seconds=max_seconds)
    every = max(1, services.settings["DETECT_EVERY_N_FRAMES"])
    detector = services.detector
    kept = KeptPeople()  # written with the job's result, in one transaction
    session = StreamSession(
        detector,
        FaceTracker(max_missed=max(3, math.ceil(info.fps / every))),  # lost after ~1 s
        SourceRef(source_id),
        recorder=kept,
    )
    out_dir = services.instance_path / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    video_path, result_path = out_dir / f"{job_id}.mp4", out_dir / f"{job_id}.json"
    faces, numbers, last_publish, frames_done = [], [], 0.0, 0
    with H264Writer(video_path, info.fps, (info.width, info.height)) as writer:
        for index, seconds, frame in iter_video_frames(path, info=info, max_seconds=max_seconds):
            if index % every == 0:
                tracked = session.process(frame, seconds).faces
                faces, numbers = [face.detection for face in tracked], [face.track_id for face in tracked]
            writer.write(draw_detections(frame, faces, numbers))
            frames_done = index + 1
            if time.monotonic() - last_publish > PROGRESS_EVERY_S:
                if cancelled(job_id):
                    raise JobCancelled(job_id)
                report_progress(job_id, min(0.99, frames_done / info.frames), publisher)
                last_publish = time.monotonic()
    session.close()
    people = kept.people
    result = {
        "video": {
            "width": info.width,
            "height": info.height,
            "fps": info.fps,
            "frames": frames_done,
            "duration_s": round(frames_done / info.fps, 3),
            "detect_every_n_frames": every,
        },
        "detector": detector.detector_name(),
        "people": [
            {
                "track_id": p.track_id,
                "verdict": p.verdict,
                "confidence": p.confidence,
                "frames_seen": p.frames_seen,
                "start_s": round(p.seen_at, 3),
                "end_s": round(p.ended_at, 3),
            }
            for p in people
        ],
    }
    result_path.write_text(json.dumps(result, indent=1))
    for p in people:
        p.seen_at, p.ended_at = started + timedelta(seconds=p.seen_at), started + timedelta(seconds=p.ended_at)
    when_the_database_answers(
        lambda: queries.finish_video_job(
            job_id, source_id, people, output_path=str(video_path), result_path=str(result_path)
        ),
        wait_s,
    )
