"""RETENTION_DAYS: sightings, finished jobs and the uploaded and result files older than that are deleted,
by `maskwatch purge` and by a sweeper thread of the web server (every RETENTION_SWEEP_S)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .store import retention, utcnow

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger(__name__)
#: Folders of the instance that hold people's pictures and videos.
FILE_FOLDERS = ("uploads", "results")


@dataclass
class PurgeReport:
    sightings: int = 0
    jobs: int = 0
    files: int = 0

    def __str__(self) -> str:
        return f"deleted {self.sightings} sightings, {self.jobs} jobs and {self.files} files"


def purge(services: Services, days: int) -> PurgeReport:
    """Delete what is older than `days` days (days < 1: nothing). Files are judged by their modification time,
    so files no job points at any more go too; files of queued or running jobs stay."""
    report = PurgeReport()
    if days < 1:
        return report
    cutoff = utcnow() - timedelta(days=days)
    with services.store_scope():
        report.sightings = retention.delete_sightings_before(cutoff)
        report.jobs, job_files = retention.delete_finished_jobs_before(cutoff)
        keep = {str(Path(p).resolve()) for p in retention.unfinished_job_paths()}
    for path in {Path(p) for p in job_files}:
        report.files += _unlink(path)
    oldest = time.time() - days * 86400
    for folder in FILE_FOLDERS:
        for path in (services.instance_path / folder).glob("*"):
            if path.is_file() and str(path.resolve()) not in keep and path.stat().st_mtime < oldest:
                report.files += _unlink(path)
    return report


def _unlink(path: Path) -> int:
    try:
        path.unlink()
        return 1
    except FileNotFoundError:
        return 0


class RetentionSweeper:
    """A daemon thread that purges every `interval_s` seconds; a failed sweep (say, the database is down) is
    logged and tried again at the next one.

    Example: RetentionSweeper(services, days=30, interval_s=3600).start()
    """

    def __init__(self, services: Services, days: int, interval_s: float):
        self.services, self.days, self.interval_s = services, days, interval_s
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="maskwatch-retention", daemon=True)

    def start(self) -> RetentionSweeper:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                report = purge(self.services, self.days)
                if report.sightings or report.jobs or report.files:
                    log.info("retention (%d days): %s", self.days, report)
            except Exception:  # the next sweep tries again
                log.exception("retention sweep failed")
            self.stopping.wait(self.interval_s)


def start_retention(services: Services) -> RetentionSweeper | None:
    """Start the sweeper when RETENTION_DAYS is set (the web server does this; workers do not)."""
    days = int(services.settings.get("RETENTION_DAYS") or 0)
    if days < 1:
        return None
    return RetentionSweeper(services, days, float(services.settings["RETENTION_SWEEP_S"])).start()
