"""What the sighting spool costs (issue 6), measured on this machine's disk:

- put(): one person spooled (what a live client's track end costs while the database is down), p50/p95 ms,
  with synchronous=FULL (an fsync per put);
- flush: spooled rows written into a SQLite main database (batches of 500, keys checked), rows per second;
- the file's size per 1000 rows (SPOOL_MAX_ROWS sizing).

    .venv/bin/python benchmarks/spool.py [--puts 300] [--rows 20000]   # -> benchmarks/results/spool.json
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from maskwatch_testing.loadgen import percentile

RESULTS = Path(__file__).parent / "results"


def person(i: int) -> SimpleNamespace:
    seen = datetime(2026, 5, 1, 9) + timedelta(seconds=i)
    return SimpleNamespace(
        seen_at=seen, ended_at=seen + timedelta(seconds=3), verdict="no_mask", confidence=0.9, frames_seen=12
    )


def main(args) -> dict:
    from maskwatch.config import TestConfig
    from maskwatch.store import queries
    from maskwatch.store.spool import SightingSpool, SourceRef, SpooledSighting
    from maskwatch.web import create_app
    from maskwatch.web.server import upgrade_database
    from maskwatch.web.services import services_of

    with tempfile.TemporaryDirectory() as tmp:
        spool = SightingSpool(Path(tmp) / "put.sqlite3")
        put_ms = []
        for i in range(args.puts):
            started = time.perf_counter()
            spool.put([SpooledSighting.of(SourceRef(1), person(i))])
            put_ms.append((time.perf_counter() - started) * 1000)

        app = create_app(TestConfig(Path(tmp) / "instance"), detector=object())
        upgrade_database(app.app_context)
        recorder = services_of(app).recorder
        with app.app_context():
            source = queries.create_source("webcam", "bench")
            recorder.spool.put(SpooledSighting.of(SourceRef(source.id), person(i)) for i in range(args.rows))
            size_kb = sum(p.stat().st_size for p in Path(app.instance_path).glob("spool.sqlite3*")) / 1024
            started = time.perf_counter()
            written = recorder.flush()
            flush_s = time.perf_counter() - started
        recorder.close()
    return {
        "puts": args.puts,
        "put_ms": {"p50": round(percentile(put_ms, 50), 2), "p95": round(percentile(put_ms, 95), 2)},
        "flush": {"rows": written, "seconds": round(flush_s, 2), "rows_per_s": round(written / flush_s)},
        "spool_kb_per_1000_rows": round(size_kb / args.rows * 1000, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--puts", type=int, default=300)
    parser.add_argument("--rows", type=int, default=20000)
    result = main(parser.parse_args())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "spool.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
