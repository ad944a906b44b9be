"""Load on a real `maskwatch serve` on 127.0.0.1 (issue 6): live clients, image uploaders and video
jobs at once, bounded in count and time (maskwatch_testing.loadgen does the work, the CI test
tests/web/test_load.py runs it for 30 s).

Live clients are python-socketio clients on /live sending 640x480 JPEG frames with two real faces,
each its next frame when the last was answered (as the browser does); uploaders POST /api/images in a
loop; the video worker uploads a clip and waits for its job, `--video-uploads` times. Reported per
kind: p50/p95/max latency, throughput, drops (the server's documented "busy" refusal) and errors
(HTTP >= 500 or other unexpected status, connection errors, timeouts, other ack errors, failed jobs);
and the server's RSS every second: first/last/max and the slope (MB/min) after the warm-up.

Variants (`--variant NAME:K=V,K=V`, repeatable) compare server settings in one run: each round runs every
variant once on a fresh server, in turn, so drift on the machine falls on all of them alike.

A sweep (`--sweep 1,2,3,4`) runs each number of live clients on a fresh server, with the same
uploaders and videos, and names the largest load the machine carries: no errors, flat memory, and
every live client answered at least `--min-live-fps` frames per second.

    .venv/bin/python benchmarks/load.py [--live-clients 3] [--uploaders 1] [--video-uploads 1] [--seconds 60]
    .venv/bin/python benchmarks/load.py --sweep 1,2,3,4 --uploaders 1 --seconds 300 --warmup 60
    .venv/bin/python benchmarks/load.py --server-env MALLOC_ARENA_MAX=2 --mariadb
    .venv/bin/python benchmarks/load.py --variant before:MALLOC_MMAP_THRESHOLD_KB=0 --variant after: --rounds 2
    -> benchmarks/results/load.json and load.md; exit status 1 if a run had errors or growing memory

Run it on an otherwise idle machine: the clients share its cores with the server (the load averages
before and after each run are recorded). With glibc's default malloc the server's RSS climbs by a few
hundred MB under load, in steps, for minutes (request threads each get their own malloc arena, up to
8 per core); MALLOC_ARENA_MAX=2 in the server's environment keeps it flat: compare both.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path

from maskwatch_testing.loadgen import LoadPlan, run_load
from maskwatch_testing.mariadb import MariaDBServer
from maskwatch_testing.served import ServedApp

ROOT = Path(__file__).resolve().parents[1]

RESULTS = ROOT / "benchmarks" / "results"


def carried(report: dict, min_live_fps: float) -> bool:
    """No errors, flat memory, and every live client served at least min_live_fps."""
    live = report["kinds"].get("live")
    fps_ok = live is None or min(w["per_s"] for w in live["per_worker"]) >= min_live_fps
    return report["ok"] and fps_ok


def ms(kind: dict) -> str:
    """p50/p95/max of a kind, '-' where it had no answers."""
    return "/".join("-" if kind[k] is None else f"{kind[k]:.0f}" for k in ("p50_ms", "p95_ms", "max_ms")) + " ms"


def summary_line(report: dict) -> str:
    plan, kinds, memory = report["plan"], report["kinds"], report["memory"]
    parts = [
        f"{plan['live_clients']} live + {plan['uploaders']} uploaders + {plan['video_uploads']} videos, "
        f"{report['elapsed_s']:.0f} s"
    ]
    if "live" in kinds:
        live = kinds["live"]
        fps = [w["per_s"] for w in live["per_worker"]]
        parts.append(f"live p50/p95/max {ms(live)}, {min(fps):.1f}-{max(fps):.1f} fps per client")
    if "image" in kinds:
        image = kinds["image"]
        parts.append(f"images p50/p95/max {ms(image)}, {image['per_s']:.1f}/s")
    if "video" in kinds:
        video = kinds["video"]
        took = "-" if video["p50_ms"] is None else f"{video['p50_ms'] / 1000:.1f} s"
        parts.append(
            f"video {video['answered']} done in p50 {took} ({video['video_seconds']} s clips), "
            f"{video['unfinished']} unfinished"
        )
    parts.append(f"dropped {report['dropped']}, errors {report['errors']}")
    parts.append(
        f"RSS {memory['first_mb']:.0f} -> {memory['last_mb']:.0f} MB (max {memory['max_mb']:.0f}), "
        f"{memory['growth_after_warmup_mb']:+.0f} MB and {memory['slope_mb_per_min']:+.1f} MB/min after "
        f"{plan['warmup_s']:.0f} s: {'flat' if memory['flat'] else 'NOT FLAT'} "
        f"(flat means under {memory['max_slope_mb_per_min']:g} MB/min or {memory['noise_mb']:g} MB)"
    )
    return "; ".join(parts)


def verdict_line(report: dict) -> str:
    errors = "no errors" if report["errors"] == 0 else f"{report['errors']} ERRORS {report['error_examples'][:3]}"
    memory = "memory flat" if report["memory"]["flat"] else "MEMORY GROWING"
    return f"{'OK' if report['ok'] else 'FAIL'}: {errors}, {memory}"


def markdown(results: dict) -> str:
    lines = [
        f"# Load on `maskwatch serve` ({results['cpus']} cores, {results['database']}, server environment "
        f"{' '.join(f'{k}={v}' for k, v in results['server_env'].items()) or 'default'})",
        "",
        *([results["note"], ""] if results["note"] else []),
        "| variant | live clients | uploaders | videos | live p50 / p95 / max | fps per client (min) "
        "| images p50 / p95 / max | images/s | dropped | errors | RSS first / max / last MB "
        "| after warm-up: MB, MB/min | carried |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in results["runs"]:
        plan, kinds, memory = run["plan"], run["kinds"], run["memory"]
        live, image = kinds.get("live"), kinds.get("image")
        live_ms = ms(live).replace("/", " / ") if live else "-"
        fps = f"{min(w['per_s'] for w in live['per_worker']):.1f}" if live else "-"
        image_ms = ms(image).replace("/", " / ") if image else "-"
        image_rate = f"{image['per_s']:.1f}" if image else "-"
        variant = run.get("variant") or "-"
        lines.append(
            f"| {variant} | {plan['live_clients']} | {plan['uploaders']} | {plan['video_uploads']} | {live_ms} | {fps} "
            f"| {image_ms} | {image_rate} | {run['dropped']} | {run['errors']} "
            f"| {memory['first_mb']:.0f} / {memory['max_mb']:.0f} / {memory['last_mb']:.0f} "
            f"| {memory['growth_after_warmup_mb']:+.0f}, {memory['slope_mb_per_min']:+.1f} "
            f"| {'yes' if run['carried'] else 'no'} |"
        )
    lines += [
        "",
        f"Largest load carried: {results['carried_live_clients']} live clients "
        f"(no errors, flat memory, every client >= {results['min_live_fps']} fps).",
    ]
    return "\n".join(lines) + "\n"


def parse_variant(text: str) -> tuple[str, dict]:
    """ "after:A=1,B=2" -> ("after", {"A": "1", "B": "2"}); "base:" -> ("base", {})."""
    name, _, assignments = text.partition(":")
    return name, dict(item.split("=", 1) for item in assignments.split(",") if item)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--live-clients", type=int, default=3)
    p.add_argument("--uploaders", type=int, default=1, help="POST /api/images loops")
    p.add_argument("--video-uploads", type=int, default=1, help="clips uploaded one after the other")
    p.add_argument("--video-seconds", type=int, default=5, help="each clip's length (640x480, 30 fps)")
    p.add_argument("--seconds", type=float, default=60, help="length of each run")
    p.add_argument(
        "--warmup",
        type=float,
        default=LoadPlan.warmup_s,
        help="seconds left out of latency, throughput and the memory slope",
    )
    p.add_argument(
        "--max-slope",
        type=float,
        default=LoadPlan.max_slope_mb_per_min,
        help="MB/min of RSS growth after the warm-up still called flat",
    )
    p.add_argument(
        "--noise-mb",
        type=float,
        default=LoadPlan.noise_mb,
        help="RSS growth after the warm-up under this is flat whatever its slope",
    )
    p.add_argument("--sweep", default=None, help="numbers of live clients, one fresh server each, e.g. 1,2,3,4")
    p.add_argument("--min-live-fps", type=float, default=5.0, help="a carried load serves every live client this fast")
    p.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="environment of the server, e.g. MIN_FACE_SIZE=40 or MALLOC_ARENA_MAX=2 (repeatable)",
    )
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:K=V,K=V",
        help="server settings to compare (on top of --server-env), e.g. before:CHECKPOINT_S=0 (repeatable)",
    )
    p.add_argument("--rounds", type=int, default=1, help="with --variant: times each variant runs, interleaved")
    p.add_argument("--mariadb", action="store_true", help="a throw-away MariaDB instead of SQLite (mariadb-server)")
    p.add_argument("--note", default="", help="recorded with the results, e.g. the machine")
    p.add_argument("--out", default=str(RESULTS / "load.json"))
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    env = dict(item.split("=", 1) for item in args.server_env)
    live_steps = [int(n) for n in args.sweep.split(",")] if args.sweep else [args.live_clients]
    variants = [parse_variant(v) for v in args.variant] or [(None, {})]
    rounds = args.rounds if args.variant else 1
    steps = [(name, extra, n) for _ in range(rounds) for n in live_steps for name, extra in variants]
    runs = []
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        mariadb = None
        if args.mariadb:
            mariadb = MariaDBServer(Path(tmp) / "mariadb")
            mariadb.start()
            stack.callback(mariadb.stop)
        for k, (variant, extra_env, live_clients) in enumerate(steps):
            plan = LoadPlan(
                live_clients=live_clients,
                uploaders=args.uploaders,
                video_uploads=args.video_uploads,
                video_seconds=args.video_seconds,
                seconds=args.seconds,
                warmup_s=args.warmup,
                max_slope_mb_per_min=args.max_slope,
                noise_mb=args.noise_mb,
            )
            server_env = {**env, **extra_env, **({"DATABASE_URL": mariadb.fresh_database()} if mariadb else {})}
            with ServedApp(Path(tmp) / f"instance-{k}", env=server_env) as server:
                report = run_load(server, plan)
            report["carried"] = carried(report, args.min_live_fps)
            report["variant"], report["variant_env"] = variant, extra_env
            runs.append(report)
            print(f"[{variant}] " * bool(variant) + summary_line(report), flush=True)
            print(verdict_line(report), flush=True)
    carried_steps = [r["plan"]["live_clients"] for r in runs if r["carried"]]
    results = {
        "cpus": os.cpu_count(),
        "note": args.note,
        "server_env": env,
        "database": "mariadb" if args.mariadb else "sqlite",
        "min_live_fps": args.min_live_fps,
        "carried_live_clients": max(carried_steps) if carried_steps else None,
        "ok": all(r["ok"] for r in runs),
        "runs": runs,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    out.with_suffix(".md").write_text(markdown(results))
    print(
        f"largest load carried: {results['carried_live_clients']} live clients + {args.uploaders} uploaders; "
        f"{'OK: no errors, memory flat' if results['ok'] else 'FAIL: errors or growing memory'}; results in {out}"
    )
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
