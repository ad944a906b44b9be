"""Load, short (benchmarks/load.py runs it long): 3 live clients and an image uploader against a real
`maskwatch serve` for 30 s. No errors, every client answered with the faces it sent, memory bounded.
No timing assertions: the numbers go to benchmarks/results/load.json."""

from __future__ import annotations

import json
import urllib.request

from maskwatch_testing.loadgen import LoadPlan, run_load
from maskwatch_testing.served import ServedApp

#: RSS growth between the first sample after warm-up and the end still accepted. Generous: the server lets
#: glibc keep up to MALLOC_FREE_MB (64) free in its heaps, and its arenas fill for a while; keeping a decoded
#: frame (0.9 MB) per request, several hundred requests here, would break it several times over. Without
#: the release of free heap pages the heap grew past it (157 MB in 20 s in CI; 1.3 GB in 70 s once).
MAX_GROWTH_MB = 150
#: Server threads: one per open connection (4 here) and its own few, never one per request served.
MAX_THREADS = 40


def test_live_clients_and_an_uploader_at_once_without_errors_or_growing_memory(tmp_path):
    plan = LoadPlan(live_clients=3, uploaders=1, seconds=30, warmup_s=10)
    with ServedApp(tmp_path / "instance") as server:
        report = run_load(server, plan)
        with urllib.request.urlopen(server.url + "/api/health", timeout=10) as response:
            assert json.loads(response.read())["status"] == "ok"  # and it goes on serving
    live, image = report["kinds"]["live"], report["kinds"]["image"]
    assert report["errors"] == 0, report["error_examples"]
    for worker in live["per_worker"] + image["per_worker"]:
        # each frame shows two faces; every answer should have found them
        assert worker["answered"] > 0 and worker["with_faces"] == worker["answered"], worker
    assert report["memory"]["growth_after_warmup_mb"] < MAX_GROWTH_MB, report["memory"]
    assert report["memory"]["threads"]["max"] < MAX_THREADS, report["memory"]["threads"]
