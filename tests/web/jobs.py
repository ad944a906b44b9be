"""Waiting for a video job through the API (Flask test client)."""

from __future__ import annotations

import time


def wait_for_job(client, job_id: str, timeout: float = 120.0) -> dict:
    """The job once it is done or failed; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").get_json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")
