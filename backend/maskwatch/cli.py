"""Command line: maskwatch serve | detect | passwd | purge | settings | train | evaluate | synth | tune-mtcnn |
train-detector | export-detector. Every command first checks the settings in the environment (maskwatch.config):
a bad or unknown one is named on stderr and the exit status is 2."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .media import MediaError

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".webm", ".mkv", ".m4v"}


def build_detector(args, profile: str = "picture"):
    """The picture profile (images) or the stream profile (videos) from the settings, with the command
    line's --min-face-size / --upscale-below / --max-side over them."""
    from .config import Config
    from .detection.profiles import profiles_from_config
    from .runtime import cli_detector

    config = Config()
    config.use_detector(args.detector)  # that detector's profile defaults, not the default detector's
    options = profiles_from_config(vars(config))[profile].detector_options()
    options.update(
        {
            k: v
            for k, v in (
                ("min_face_size", args.min_face_size),
                ("upscale_below", args.upscale_below),
                ("max_side", args.max_side),
            )
            if v is not None
        }
    )
    return cli_detector(
        args.detector, classifier_path=args.model, threads=args.threads, stock_mtcnn=args.stock_mtcnn, **options
    )


def detect_image(detector, path: Path, args) -> dict:
    from .detection.draw import draw_detections
    from .media import read_image

    image = read_image(path, max_bytes=args.max_mb * 2**20)
    started = time.perf_counter()
    detections = detector.detect(image)
    ms = (time.perf_counter() - started) * 1000
    if args.out:
        write_annotated(draw_detections(image, detections), Path(args.out) / f"{path.stem}_annotated.jpg")
    return {
        "image": str(path),
        "width": int(image.shape[1]),
        "height": int(image.shape[0]),
        "faces": [d.to_dict() for d in detections],
        "ms": round(ms, 1),
    }


def detect_video(detector, path: Path, args):
    """One JSON object per processed frame; --out writes an annotated MP4 of the processed frames."""
    import cv2

    from .detection.draw import draw_detections
    from .media import iter_video_frames, probe_video

    info = probe_video(path)
    writer = None
    try:
        for index, seconds, frame in iter_video_frames(path, args.every, info=info):
            started = time.perf_counter()
            detections = detector.detect(frame)
            ms = (time.perf_counter() - started) * 1000
            if args.out:
                if writer is None:
                    Path(args.out).mkdir(parents=True, exist_ok=True)
                    writer = cv2.VideoWriter(
                        str(Path(args.out) / f"{path.stem}_annotated.mp4"),
                        cv2.VideoWriter_fourcc(*"mp4v"),
                        info.fps / args.every,
                        (frame.shape[1], frame.shape[0]),
                    )
                writer.write(cv2.cvtColor(draw_detections(frame, detections), cv2.COLOR_RGB2BGR))
            yield {
                "video": str(path),
                "frame": index,
                "time": round(seconds, 3),
                "width": int(frame.shape[1]),
                "height": int(frame.shape[0]),
                "faces": [d.to_dict() for d in detections],
                "ms": round(ms, 1),
            }
    finally:
        if writer is not None:
            writer.release()


def write_annotated(rgb, path: Path) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def summary_line(result: dict) -> str:
    counts: dict[str, int] = {}
    for face in result["faces"]:
        counts[face["label"]] = counts.get(face["label"], 0) + 1
    name = result.get("image") or f"{result['video']}@{result['time']}s"
    text = ", ".join(f"{n} {label}" for label, n in sorted(counts.items())) or "no faces"
    return f"{name}: {text} ({result['ms']:.0f} ms)"


def cmd_detect(args) -> int:
    detectors: dict = {}

    def detector(profile: str):
        if profile not in detectors:
            detectors[profile] = build_detector(args, profile)
        return detectors[profile]

    failures = 0
    for name in args.files:
        path = Path(name)
        try:
            if path.suffix.lower() in VIDEO_SUFFIXES:
                results = detect_video(detector("stream"), path, args)
            else:
                results = [detect_image(detector("picture"), path, args)]
            for result in results:
                print(json.dumps(result) if args.json else summary_line(result), flush=True)
        except MediaError as exc:
            failures += 1
            print(f"maskwatch: {path}: {exc.message}", file=sys.stderr, flush=True)
    return 1 if failures else 0


def cmd_serve(args) -> int:
    from .config import Config
    from .web.server import serve

    config = Config()
    serve(
        args.host,
        args.port,
        https=args.https or config.SERVE_HTTPS,
        tls_cert=args.tls_cert or config.TLS_CERT,
        tls_key=args.tls_key or config.TLS_KEY,
    )
    return 0


def cmd_settings(args) -> int:
    """Each setting's value in effect (secrets as ***), or with --markdown README's settings table."""
    from .config import SETTINGS, Config, settings_markdown

    if args.markdown:
        print(settings_markdown(), end="")
        return 0
    config = Config()
    for setting in SETTINGS:
        given = setting.name in config.from_environment
        value = config.from_environment[setting.name] if given else getattr(config, setting.attr)
        shown = "unset" if value is None else "***" if setting.secret else value
        print(f"{setting.name}={shown}" + ("  (environment)" if given else ""))
    return 0


def cmd_purge(args) -> int:
    from .config import Config
    from .retention import purge
    from .runtime import tool_services

    config = Config()
    services = tool_services(config)  # purging needs no model
    days = config.RETENTION_DAYS if args.days is None else args.days
    if days < 1:
        print("maskwatch: nothing to purge: give --days N or set RETENTION_DAYS", file=sys.stderr)
        return 2
    print(f"older than {days} days: {purge(services, days)}")
    return 0


def read_new_password() -> str:
    """From a terminal: asked twice without echo; otherwise the first line of standard input."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("maskwatch: the passwords differ")
    return first


def cmd_passwd(args) -> int:
    """Set a user's password, making the user (an admin) when missing: the way back in for a lost password."""
    from .config import Config
    from .runtime import tool_services
    from .store import accounts
    from .store.database import upgrade_database
    from .web.auth.access import verified_credentials
    from .web.auth.credentials import MIN_PASSWORD_LENGTH, hash_password
    from .web.auth.verified import session_key

    password = read_new_password()
    if len(password) < MIN_PASSWORD_LENGTH:
        print(f"maskwatch: a password needs at least {MIN_PASSWORD_LENGTH} characters", file=sys.stderr)
        return 2
    config = Config()
    username = args.username or config.ADMIN_USER
    services = tool_services(config)
    upgrade_database(services.store_scope)
    with services.store_scope():
        user = accounts.user_named(username)
        if user is None:
            accounts.create_user(username, hash_password(password), is_admin=True)
            print(f"created {username}; the login is on")
        else:
            accounts.set_password_hash(user, hash_password(password))
            for session_id in accounts.end_other_login_sessions(user.id, keep=None):
                verified_credentials().revoke(session_key(session_id))  # with REDIS_URL the servers know at once
            print(f"changed the password of {username}; its sessions have ended")
    return 0


def add_detector_options(p: argparse.ArgumentParser) -> None:
    from .config import DEFAULT_DETECTOR, DETECTORS

    p.add_argument(
        "--detector",
        choices=DETECTORS,
        default=os.environ.get("DETECTOR") or DEFAULT_DETECTOR,
        help=f"face detector (default: $DETECTOR, else {DEFAULT_DETECTOR})",
    )
    p.add_argument("--model", help="classifier weights (default: models/mask_classifier.pt or $MODEL_PATH)")
    p.add_argument(
        "--min-face-size",
        type=int,
        default=None,
        help="default: the picture profile's for images (PICTURE_MIN_FACE_SIZE, 20), the stream profile's for videos",
    )
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--max-side", type=int, default=None, help="shrink frames whose longer side is larger")
    p.add_argument(
        "--upscale-below",
        type=int,
        default=None,
        help="enlarge frames whose longer side is smaller (default: PICTURE_UPSCALE_BELOW, 1024, for images)",
    )
    p.add_argument("--stock-mtcnn", action="store_true", help="ignore the fine-tuned MTCNN weights in models/mtcnn")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="maskwatch", description="MaskWatch face-mask compliance monitor")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("detect", help="find faces and mask verdicts in images and videos")
    d.add_argument("files", nargs="+")
    d.add_argument("--json", action="store_true", help="one JSON object per image (per processed frame for videos)")
    d.add_argument("--out", help="folder for annotated copies")
    d.add_argument("--every", type=int, default=3, help="videos: process every N-th frame")
    d.add_argument("--max-mb", type=int, default=25, help="largest accepted file in MB")
    add_detector_options(d)
    d.set_defaults(func=cmd_detect)

    s = sub.add_parser(
        "serve", help="run the web app (upgrades the database first); settings from environment variables"
    )
    s.add_argument("--host", default="0.0.0.0")
    s.add_argument("--port", type=int, default=5000)
    s.add_argument(
        "--https",
        action="store_true",
        help="serve HTTPS (self-signed certificate made in instance/tls/ unless --tls-cert/--tls-key); "
        "browsers on other devices give the camera only to secure pages. Env MASKWATCH_HTTPS=1",
    )
    s.add_argument("--tls-cert", help="PEM certificate (env TLS_CERT)")
    s.add_argument("--tls-key", help="PEM private key (env TLS_KEY)")
    s.set_defaults(func=cmd_serve)

    w = sub.add_parser("passwd", help="set a user's password (new users are admins); reads standard input when piped")
    w.add_argument("username", nargs="?", help="default: $ADMIN_USER, else admin")
    w.set_defaults(func=cmd_passwd)

    r = sub.add_parser("purge", help="delete sightings, jobs and uploaded files older than N days")
    r.add_argument("--days", type=int, default=None, help="default: $RETENTION_DAYS")
    r.set_defaults(func=cmd_purge)

    t = sub.add_parser("settings", help="check the settings in the environment and print them")
    t.add_argument("--markdown", action="store_true", help="print README's table of every setting instead")
    t.set_defaults(func=cmd_settings)

    for name, help_text in TRAINING_COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)  # listed in --help; main() hands them their argv
    return p


TRAINING_COMMANDS = {
    "train": "train the mask classifier",
    "evaluate": "evaluate on held-out crops and scenes",
    "synth": "put synthetic masks on unmasked faces",
    "tune-mtcnn": "fine-tune MTCNN on masked faces",
    "train-detector": "train our one-stage face detector",
    "export-detector": "export the trained face detector to ONNX",
    "calibrate-detail": "choose on validation faces the least detail a face needs to be judged",
}


def run_training_command(name: str, argv: list[str]) -> int:
    if name == "train":
        from .training.train_classifier import main
    elif name == "evaluate":
        from .training.evaluate import main
    elif name == "synth":
        from .training.synth_command import main
    elif name == "train-detector":
        from .training.detector.train import main
    elif name == "export-detector":
        from .training.detector.export import main
    elif name == "calibrate-detail":
        from .training.detail_calibration import main
    else:
        from .training.mtcnn.command import main
    main(argv)
    return 0


def main(argv=None) -> int:
    from .config import SettingsError, read_environment

    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        read_environment(os.environ)  # training commands read no Config, but a typo must stop them too
        if argv and argv[0] in TRAINING_COMMANDS:
            return run_training_command(argv[0], argv[1:])
        args = parser().parse_args(argv)
        return args.func(args)
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"maskwatch: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
