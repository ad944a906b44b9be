"""Long fuzz runs of the decoders, the upload routes, /live and the OpenAPI document:

1. the hypothesis fuzz tests (tests/test_fuzz_media.py, tests/web/test_fuzz_api.py) under the "long"
   profile: HYPOTHESIS_LONG_FACTOR (--factor) times the CI examples, random, failures kept in
   build/hypothesis;
2. atheris (coverage-guided, libFuzzer) on decode_image, frame_bytes and probe_video for a fixed time
   each, seeded with tests/corpus and the fuzz seeds, when it is installed (`pip install atheris`; without
   it this part is skipped and says so). Crashing inputs go to build/fuzz/crashes/.

    .venv/bin/python benchmarks/fuzz.py [--factor 50] [--atheris-seconds 120] [--skip-hypothesis]
        -> benchmarks/results/fuzz.json

A crash found here belongs in tests/corpus (make_corpus.py) once it is fixed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
WORK = ROOT / "build" / "fuzz"
TARGETS = ("image", "frame", "video")
FUZZ_TESTS = ["tests/test_fuzz_media.py", "tests/web/test_fuzz_api.py"]


# --- atheris targets (run in a child process each: libFuzzer owns the process) ---------------------


def image_target(data: bytes) -> None:
    from maskwatch.media import MediaError, decode_image

    try:
        decode_image(data, 2**20, 1_000_000)
    except MediaError:
        pass


def frame_target(data: bytes) -> None:
    import atheris

    from maskwatch.media import MediaError
    from maskwatch.web.live import frame_bytes

    provider = atheris.FuzzedDataProvider(data)
    kind = provider.ConsumeIntInRange(0, 3)
    rest = provider.ConsumeBytes(provider.remaining_bytes())
    message = [rest, rest.decode("latin-1"), {"image": rest.decode("utf-8", "replace")}, {"image": rest}][kind]
    try:
        frame_bytes(message, max_bytes=4096)
    except MediaError:
        pass


def video_target(data: bytes) -> None:
    from maskwatch.media import MediaError, iter_video_frames, probe_video

    path = Path(os.environ["FUZZ_VIDEO_PATH"])
    path.write_bytes(data)
    try:
        info = probe_video(path, max_seconds=60)
        for index, _, _ in iter_video_frames(path, info=info, max_seconds=60):
            if index >= 3:
                break
    except MediaError:
        pass


def run_atheris_target(name: str, libfuzzer_args: list[str]) -> None:
    import atheris
    import cv2  # noqa: F401  (the big libraries first, uninstrumented)
    import numpy  # noqa: F401

    # Pillow's parsers are Python: their coverage guides the mutations.
    with atheris.instrument_imports(include=["PIL", "maskwatch.media"]):
        import PIL.Image  # noqa: F401
        import PIL.JpegImagePlugin  # noqa: F401
        import PIL.MpoImagePlugin  # noqa: F401
        import PIL.PngImagePlugin  # noqa: F401
        import PIL.WebPImagePlugin  # noqa: F401

        import maskwatch.media  # noqa: F401
    with atheris.instrument_imports(include=["maskwatch.web.live"]):
        import maskwatch.web.live  # noqa: F401
    target = {"image": image_target, "frame": frame_target, "video": video_target}[name]
    atheris.Setup([sys.argv[0], *libfuzzer_args], target)
    atheris.Fuzz()


# --- seeds ---------------------------------------------------------------------------------------


def write_seeds(name: str) -> Path:
    """A libFuzzer corpus folder for a target: the regression corpus and the hypothesis seeds."""
    from maskwatch_testing.fuzzing import image_seeds

    folder = WORK / "corpus" / name
    folder.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((ROOT / "tests" / "corpus" / "manifest.json").read_text())
    kind = "video" if name == "video" else "image"
    for entry in manifest:
        if entry["kind"] == kind:
            (folder / entry["file"]).write_bytes((ROOT / "tests" / "corpus" / "files" / entry["file"]).read_bytes())
    if kind == "image":
        for seed, data in image_seeds().items():
            (folder / f"seed_{seed}").write_bytes(data)
    return folder


def atheris_version() -> str | None:
    try:
        from importlib.metadata import version

        import atheris  # noqa: F401

        return version("atheris")
    except ImportError:
        return None


def run_atheris(seconds: int) -> dict:
    version = atheris_version()
    if version is None:
        print("atheris is not installed (pip install atheris): coverage-guided fuzzing skipped")
        return {"installed": False, "note": "pip install atheris to run it"}
    crashes_dir = WORK / "crashes"
    crashes_dir.mkdir(parents=True, exist_ok=True)
    results = {"installed": True, "version": version, "seconds_per_target": seconds, "targets": {}}
    for name in TARGETS:
        corpus = write_seeds(name)
        before = set(crashes_dir.iterdir())
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "FUZZ_VIDEO_PATH": str(Path(tmp) / "input.video")}
            command = [
                sys.executable,
                __file__,
                "--atheris-target",
                name,
                "--",
                f"-max_total_time={seconds}",
                f"-artifact_prefix={crashes_dir}/{name}-",
                "-max_len=65536",
                "-timeout=30",
                str(corpus),
            ]
            started = time.monotonic()
            done = subprocess.run(
                command, env=env, capture_output=True, text=True, errors="replace", timeout=seconds + 120
            )
        log = done.stdout + done.stderr
        runs = re.findall(r"Done (\d+) runs", log)
        coverage = re.findall(r"cov: (\d+)", log)
        crashes = sorted(str(p.relative_to(ROOT)) for p in set(crashes_dir.iterdir()) - before)
        results["targets"][name] = {
            "runs": int(runs[-1]) if runs else None,
            "coverage": int(coverage[-1]) if coverage else None,
            "seconds": round(time.monotonic() - started, 1),
            "exit_code": done.returncode,
            "crashes": crashes,
            "log_tail": log[-1500:] if done.returncode else "",
        }
        print(f"atheris {name}: {results['targets'][name]['runs']} runs, {len(crashes)} crashes")
    return results


# --- hypothesis ----------------------------------------------------------------------------------


def run_hypothesis(factor: int) -> dict:
    WORK.mkdir(parents=True, exist_ok=True)
    junit = WORK / "hypothesis-junit.xml"
    env = {**os.environ, "HYPOTHESIS_PROFILE": "long", "HYPOTHESIS_LONG_FACTOR": str(factor)}
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore",
            f"--junitxml={junit}",
            *FUZZ_TESTS,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    tests = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        tests[f"{case.get('classname')}.{case.get('name')}"] = {
            "seconds": round(float(case.get("time", 0)), 1),
            "passed": not failed,
            **(
                {
                    "failure": (case.find("failure") if case.find("failure") is not None else case.find("error")).get(
                        "message", ""
                    )[:2000]
                }
                if failed
                else {}
            ),
        }
    print(done.stdout[-3000:])
    return {
        "profile": "long",
        "factor": factor,
        "seconds": round(time.monotonic() - started, 1),
        "passed": done.returncode == 0,
        "tests": tests,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--factor", type=int, default=50, help="long profile: CI examples times this (default 50)")
    parser.add_argument("--atheris-seconds", type=int, default=120, help="per atheris target (default 120)")
    parser.add_argument("--skip-hypothesis", action="store_true")
    parser.add_argument("--skip-atheris", action="store_true")
    parser.add_argument("--atheris-target", choices=TARGETS, help=argparse.SUPPRESS)  # the child process
    args, rest = parser.parse_known_args(argv)
    if args.atheris_target:
        run_atheris_target(args.atheris_target, [a for a in rest if a != "--"])
        return
    report = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "load_average": os.getloadavg()}
    if not args.skip_hypothesis:
        report["hypothesis"] = run_hypothesis(args.factor)
    if not args.skip_atheris:
        report["atheris"] = run_atheris(args.atheris_seconds)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fuzz.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"-> {RESULTS / 'fuzz.json'}")


if __name__ == "__main__":
    main()
