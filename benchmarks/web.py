"""Numbers of the web backend (issue 3), measured against a real `maskwatch serve` process:

- live round trip at 640x480 (p50, p95, ms) and processed frames per second per client, 1 and 2
  clients, each sending its next frame when the last was answered (as the browser does);
- a video job's speed as a multiple of real time (640x480, 30 fps clip, DETECT_EVERY_N_FRAMES);
- the server's resident memory with the model loaded.

Frames are the fixture faces (skimage astronaut, matplotlib grace_hopper) on a grey frame; run on
an otherwise idle machine (the load average is recorded with the results):

    .venv/bin/python benchmarks/web.py [--seconds 15] [--video-seconds 10]   # -> benchmarks/results/web.json
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

from maskwatch_testing.clips import live_frames, write_clip
from maskwatch_testing.loadgen import percentile
from maskwatch_testing.served import ServedApp

RESULTS = Path(__file__).parent / "results"


def live_client(url: str, frames: list[bytes], seconds: float, out: dict) -> None:
    import socketio

    client = socketio.Client()
    client.connect(url, namespaces=["/live"], transports=["websocket"], auth={"name": f"bench-{id(out)}"})
    rtts, server_ms, started = [], [], time.perf_counter()
    i = 0
    while time.perf_counter() - started < seconds:
        t = time.perf_counter()
        answer = client.call("frame", frames[i % len(frames)], namespace="/live", timeout=30)
        rtts.append((time.perf_counter() - t) * 1000)
        server_ms.append(answer["ms"])
        i += 1
    out.update(frames=i, fps=i / (time.perf_counter() - started), rtts=rtts, server_ms=server_ms)
    client.disconnect()


def bench_live(server: ServedApp, clients: int, seconds: float) -> dict:
    frames = live_frames(30)
    results = [{} for _ in range(clients)]
    threads = [threading.Thread(target=live_client, args=(server.url, frames, seconds, r)) for r in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rtts = [v for r in results for v in r["rtts"][2:]]  # first frames warm up
    detect = [v for r in results for v in r["server_ms"][2:]]
    return {
        "clients": clients,
        "fps_per_client": [round(r["fps"], 2) for r in results],
        "rtt_p50_ms": round(percentile(rtts, 50), 1),
        "rtt_p95_ms": round(percentile(rtts, 95), 1),
        "detect_p50_ms": round(percentile(detect, 50), 1),
        "overhead_p50_ms": round(percentile(np.subtract(rtts, detect), 50), 1),
    }


def bench_video(server: ServedApp, seconds: int, fps: int = 30) -> dict:
    path = write_clip(Path(tempfile.mkdtemp()) / "clip.mp4", seconds, fps)
    boundary = "benchmarkboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="clip.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        server.url + "/api/videos",
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        job = json.loads(response.read())
    while job["status"] not in ("done", "failed"):
        time.sleep(0.25)
        with urllib.request.urlopen(f"{server.url}/api/jobs/{job['id']}") as response:
            job = json.loads(response.read())
    elapsed = time.perf_counter() - started
    with urllib.request.urlopen(f"{server.url}/api/jobs/{job['id']}/results") as response:
        results = json.loads(response.read())
    return {
        "status": job["status"],
        "video_seconds": seconds,
        "fps": fps,
        "elapsed_s": round(elapsed, 2),
        "times_real_time": round(seconds / elapsed, 2),
        "people": len(results["people"]),
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=15, help="live: seconds per run")
    p.add_argument("--video-seconds", type=int, default=10)
    p.add_argument(
        "--min-face-size", type=int, default=None, help="MIN_FACE_SIZE for the server (default: its default)"
    )
    p.add_argument("--out", default=str(RESULTS / "web.json"))
    args = p.parse_args(argv)
    env = {"MIN_FACE_SIZE": str(args.min_face_size)} if args.min_face_size else {}
    with tempfile.TemporaryDirectory() as tmp, ServedApp(Path(tmp) / "instance", env=env) as server:
        report = {
            "load_average_before": os.getloadavg(),
            "rss_mb_model_loaded": round(server.rss_mb(), 1),
            "min_face_size": args.min_face_size or "server default",
        }
        report["live"] = [bench_live(server, n, args.seconds) for n in (1, 2)]
        report["video"] = bench_video(server, args.video_seconds)
        report["rss_mb_after"] = round(server.rss_mb(), 1)
        report["load_average_after"] = os.getloadavg()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
