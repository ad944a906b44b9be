"""Settings: SETTINGS defines each one once (environment variable, type, default, allowed values, meaning);
Config reads them all from the environment once, checked, into the attributes Flask and the app read.
README's settings table is made from SETTINGS (`maskwatch settings --markdown`; tests/test_settings.py keeps
them equal).

A small hand-written registry rather than pydantic-settings: the checks needed (numbers in a range, choices,
on/off words, refusing unknown MASKWATCH_* names) are a few comparisons, and it adds no dependency.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .paths import REPO_ROOT

#: Detector names accepted by DETECTOR and --detector (here, not in detection/, so naming one imports no torch).
DETECTORS = ("pyramid", "mtcnn")
#: Our detector: higher face AP than MTCNN on the held-out scenes at a fraction of its time
#: (benchmarks/results/detector_bakeoff.md, models/MODEL_CARD.md).
DEFAULT_DETECTOR = "pyramid"
#: Profile defaults per detector. MTCNN's time grows as its smallest face shrinks (it searches an image
#: pyramid), so its stream profile starts at 40 px; ours searches the frame once whatever the smallest
#: face, so both its profiles look from 8 px, and pictures under 800 px are enlarged to 800: the
#: settings with the best validation AP (benchmarks/results/detector_settings.md).
PROFILE_DEFAULTS = {
    "mtcnn": {"MIN_FACE_SIZE": 40, "PICTURE_MIN_FACE_SIZE": 20, "PICTURE_UPSCALE_BELOW": 1024},
    "pyramid": {"MIN_FACE_SIZE": 8, "PICTURE_MIN_FACE_SIZE": 8, "PICTURE_UPSCALE_BELOW": 800},
}

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


class SettingsError(ValueError):
    """The environment sets something wrongly: `problems` has one line for each, naming its variable.

    Example: SettingsError(["MIN_FACE_SIZE must be an integer 8-400, got 'abc'"])
    """

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _rate_limits(text: str) -> None:
    from limits import parse_many  # flask-limiter's own parser, so what passes here works there

    parse_many(text)


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, kind (str, int, float or bool), default and meaning.

    minimum / maximum: inclusive bounds of a number; above: an exclusive lower bound (seconds that must not be 0).
    choices: the values a text may take. check(text): raises ValueError when a text is not what `expected` says.
    attribute: the Config attribute (default the name). shown_default: the README's words for a default made
    elsewhere (None here). secret: `maskwatch settings` shows *** instead of the value.
    Example: Setting("JOB_WORKERS", int, 1, "video jobs at once", minimum=1, maximum=64)
    """

    name: str
    kind: type
    default: object
    help: str
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None
    choices: tuple[str, ...] = ()
    check: Callable[[str], object] | None = None
    expected: str = ""
    attribute: str = ""
    shown_default: str = ""
    secret: bool = False

    @property
    def attr(self) -> str:
        return self.attribute or self.name

    def bounds(self) -> str:
        """'8-400', '>= 1', '> 0' or ''."""
        if self.minimum is not None and self.maximum is not None:
            return f"{_number(self.minimum)}-{_number(self.maximum)}"
        parts = [
            f"{sign} {_number(bound)}"
            for sign, bound in ((">", self.above), (">=", self.minimum), ("<=", self.maximum))
            if bound is not None
        ]
        return " and ".join(parts)

    def allows(self, value: float) -> bool:
        """value is a finite number within the bounds."""
        return math.isfinite(value) and not (
            (self.minimum is not None and value < self.minimum)
            or (self.maximum is not None and value > self.maximum)
            or (self.above is not None and value <= self.above)
        )

    def describe(self) -> str:
        """What a value must be, as in the error: 'an integer 8-400', 'a number > 0', 'one of pyramid, mtcnn'."""
        if self.expected:
            return self.expected
        if self.kind is bool:
            return f"on or off ({', '.join(TRUE_WORDS)} / {', '.join(FALSE_WORDS)})"
        if self.choices:
            return "one of " + ", ".join(self.choices)
        kind = {int: "an integer", float: "a number"}.get(self.kind, "text")
        return f"{kind} {self.bounds()}".strip()

    def parse(self, text: str) -> object:
        """text as this setting's type, checked. Raises ValueError naming the variable and what it must be."""
        problem = ValueError(f"{self.name} must be {self.describe()}, got {text!r}")
        word = text.strip()
        if self.kind is bool:
            if word.lower() not in TRUE_WORDS + FALSE_WORDS:
                raise problem
            return word.lower() in TRUE_WORDS
        if self.kind in (int, float):
            try:
                value = self.kind(word)
            except ValueError:
                raise problem from None
            if not self.allows(value):
                raise problem
            return value
        if self.choices and text not in self.choices:
            raise problem
        if self.check is not None:
            try:
                self.check(text)
            except ValueError:
                raise problem from None
        return text

    def default_text(self) -> str:
        """The default as README's table gives it: '25', 'off', '`admin`', '8 (mtcnn: 40)'."""
        if self.shown_default:
            return self.shown_default
        if self.name in PROFILE_DEFAULTS[DEFAULT_DETECTOR]:
            others = ", ".join(f"{d}: {p[self.name]}" for d, p in PROFILE_DEFAULTS.items() if d != DEFAULT_DETECTOR)
            return f"{PROFILE_DEFAULTS[DEFAULT_DETECTOR][self.name]} ({others})"
        if self.default is None:
            return "unset"
        if self.kind is bool:
            return "on" if self.default else "off"
        if self.kind in (int, float):
            return _number(self.default)
        return f"`{self.default}`"

    def value_text(self) -> str:
        """What a value may be, for README's table: 'integer 8-400', 'on/off', '`pyramid` or `mtcnn`'."""
        if self.kind is bool:
            return "on/off"
        if self.choices:
            return " or ".join(f"`{c}`" for c in self.choices)
        if self.expected:
            return self.expected
        return {int: "integer", float: "number", str: "text"}[self.kind] + (
            f" {self.bounds()}" if self.bounds() else ""
        )


@dataclass(frozen=True)
class OtherVariable:
    """A MASKWATCH_* (or other) variable read outside Config, named here so that it is known, not refused."""

    name: str
    read_by: str
    help: str


_PROFILE = PROFILE_DEFAULTS[DEFAULT_DETECTOR]

#: Every setting Config reads, in README's order. Sizes in pixels, times in seconds unless the name says otherwise.
SETTINGS: tuple[Setting, ...] = (
    # where things are
    Setting(
        "DATABASE_URL",
        str,
        None,
        "the database, e.g. `mysql+pymysql://user:pass@host:3306/maskwatch?charset=utf8mb4`",
        attribute="SQLALCHEMY_DATABASE_URI",
        expected="SQLAlchemy URL",
        shown_default="SQLite `instance/maskwatch.db`",
        secret=True,
    ),
    Setting(
        "MASKWATCH_INSTANCE",
        str,
        str(REPO_ROOT / "instance"),
        "the instance folder: SQLite database, uploads, job results, the spool, the session key",
        attribute="INSTANCE_PATH",
        expected="folder",
        shown_default="`instance/`",
    ),
    Setting(
        "MODEL_PATH", str, None, "classifier weights", expected="file", shown_default="`models/mask_classifier.pt`"
    ),
    # detection
    Setting(
        "DETECTOR",
        str,
        DEFAULT_DETECTOR,
        "face detector: `pyramid` (our one-stage network, "
        "`models/face_detector.onnx`) or `mtcnn` (facenet-pytorch, fine-tuned); the profile defaults below follow it",
        choices=DETECTORS,
    ),
    Setting(
        "MIN_FACE_SIZE",
        int,
        _PROFILE["MIN_FACE_SIZE"],
        "stream profile (live, cameras, videos): smallest face "
        "in pixels (our detector pays nothing for small faces; MTCNN at 20 takes about twice as long as at 40)",
        minimum=8,
        maximum=400,
    ),
    Setting(
        "PICTURE_MIN_FACE_SIZE",
        int,
        _PROFILE["PICTURE_MIN_FACE_SIZE"],
        "picture profile (uploads): smallest face "
        "in pixels of the picture after `PICTURE_UPSCALE_BELOW` (chosen on validation scenes: "
        "`benchmarks/results/detector_settings.md`); each answer's `min_face_px` says what that is in the picture's pixels",
        minimum=8,
        maximum=400,
    ),
    Setting(
        "PICTURE_UPSCALE_BELOW",
        int,
        _PROFILE["PICTURE_UPSCALE_BELOW"],
        "picture profile: a picture whose longer "
        "side is under this is first enlarged to it (0: never), so a 400x300 photo is searched for faces from 4 px",
        minimum=0,
        maximum=4096,
    ),
    Setting(
        "TORCH_THREADS",
        int,
        1,
        "threads of each model (torch, onnxruntime); 0: torch's own choice. On 2 busy cores 1 is the fastest",
        minimum=0,
        maximum=256,
    ),
    Setting(
        "DETECT_EVERY_N_FRAMES", int, 3, "videos: detect on every N-th frame, track in between", minimum=1, maximum=1000
    ),
    # uploads
    Setting("MAX_UPLOAD_MB", int, 25, "larger picture uploads get 413", minimum=1),
    Setting("MAX_VIDEO_MB", int, 200, "larger video uploads get 413", minimum=1),
    Setting(
        "MAX_IMAGE_PIXELS",
        int,
        40_000_000,
        "a picture whose header claims more pixels gets 413 before it is decoded",
        minimum=1,
    ),
    Setting(
        "PICTURE_MAX_SIDE",
        int,
        4096,
        "a bigger uploaded picture is scaled down to it before detection (boxes "
        "still in its own pixels; the smallest face found grows by the same factor); 0 keeps it whole",
        minimum=0,
    ),
    Setting(
        "IMAGE_PIXELS_AT_ONCE",
        int,
        None,
        "pixels of uploaded pictures decoded and in work at once, over all "
        "requests (one picture of the largest size, or many small ones)",
        minimum=1,
        shown_default="`MAX_IMAGE_PIXELS`",
    ),
    Setting(
        "IMAGE_WAIT_S", float, 30.0, "an upload waiting longer than this for those pixels gets 503 `busy`", minimum=0
    ),
    Setting(
        "MAX_VIDEO_SECONDS",
        float,
        3600.0,
        "longer videos get 413 `too_long` (counted from the container, not its header)",
        above=0,
    ),
    # live
    Setting(
        "LIVE_MAX_FRAME_MB",
        float,
        2.0,
        "bigger live frames are answered `too_large`; a bigger Socket.IO message "
        "closes that connection (its buffer is sized for a base64 frame of this size)",
        above=0,
    ),
    Setting(
        "LIVE_MAX_PIXELS",
        int,
        1920 * 1080 * 2,
        "live frames with more pixels are answered `too_many_pixels`",
        minimum=1,
    ),
    Setting(
        "LIVE_MAX_WAITING_FRAMES",
        int,
        8,
        "live frames decoded or waiting for the detector at once, over all "
        "clients; more (or one sent before the client's previous answer) get a `busy` answer",
        minimum=1,
    ),
    Setting(
        "ALERT_COOLDOWN_S", int, 30, "a person found again near an alert this recent does not alert again", minimum=0
    ),
    # video jobs and the outage spool
    Setting(
        "JOB_WORKERS",
        int,
        1,
        "video jobs run at once in the server process (without `REDIS_URL`)",
        minimum=1,
        maximum=64,
    ),
    Setting(
        "JOB_MAX_ATTEMPTS",
        int,
        2,
        "runs of a video job before a restart fails it instead of running it again",
        minimum=1,
    ),
    Setting(
        "JOB_DATABASE_WAIT_S",
        float,
        300.0,
        "how long a finished job waits for an unreachable database (the next start reruns it)",
        minimum=0,
    ),
    Setting(
        "SPOOL_MAX_ROWS",
        int,
        100_000,
        "sightings `instance/spool.sqlite3` keeps while the database is "
        "unreachable (about 15 MB); beyond it the oldest are dropped, logged and counted",
        minimum=1,
    ),
    Setting("SPOOL_FLUSH_S", float, 5.0, "seconds between tries to write spooled sightings", above=0),
    Setting(
        "CHECKPOINT_S",
        float,
        5.0,
        "live clients and cameras save the people in view to the spool this often: a killed server loses at "
        "most this much of each and the next start still counts them once (0: never)",
        minimum=0,
    ),
    # access control
    Setting(
        "SECRET_KEY",
        str,
        None,
        "signs the session cookie",
        shown_default="random, kept in `instance/secret_key`",
        secret=True,
    ),
    Setting("ADMIN_USER", str, "admin", "the admin's user name (also `maskwatch passwd`'s default)"),
    Setting(
        "ADMIN_PASSWORD",
        str,
        None,
        "the admin made on the first start that has a password (8+ characters); the login is on from then",
        secret=True,
    ),
    Setting("LIVE_PUBLIC", bool, False, "the live webcam page works without a login (IP cameras always need one)"),
    Setting("UPLOADS_PUBLIC", bool, False, "picture and video uploads (and their jobs) work without a login"),
    Setting(
        "LOGIN_RATE_LIMIT",
        str,
        "5 per minute;30 per hour",
        "failed sign-ins and wrong current passwords (one count for both) per client address, then 429",
        check=_rate_limits,
        expected="rate limits such as '5 per minute;30 per hour'",
    ),
    Setting(
        "RATELIMIT_STORAGE_URI",
        str,
        None,
        "where the sign-in limiter counts",
        expected="URI",
        shown_default="`REDIS_URL`, else `memory://`",
        secret=True,
    ),
    Setting("SESSION_HOURS", int, 12, "how long a sign-in lasts", minimum=1, maximum=8760),
    Setting("SESSION_COOKIE_SECURE", bool, False, "send the session cookie only over HTTPS (on with `serve --https`)"),
    Setting(
        "PROXY_COUNT",
        int,
        0,
        "reverse proxies in front whose `X-Forwarded-For` is trusted (also for "
        "`WEB_MAX_REQUESTS_PER_CLIENT`: behind a proxy with 0, every client is the proxy); 1 when only "
        "docker-compose's proxy is published",
        minimum=0,
        maximum=10,
    ),
    # `maskwatch serve`
    Setting(
        "MASKWATCH_HTTPS", bool, False, "`maskwatch serve` serves HTTPS, as with `--https`", attribute="SERVE_HTTPS"
    ),
    Setting(
        "TLS_CERT",
        str,
        None,
        "PEM certificate of `serve --https` (as `--tls-cert`)",
        expected="file",
        shown_default="self-signed, made in `instance/tls/`",
    ),
    Setting(
        "TLS_KEY",
        str,
        None,
        "PEM private key of `serve --https` (as `--tls-key`)",
        expected="file",
        shown_default="self-signed, made in `instance/tls/`",
    ),
    Setting(
        "WEB_THREADS",
        int,
        64,
        "requests and websockets served at once (one gunicorn gthread worker)",
        minimum=1,
        maximum=1024,
    ),
    Setting(
        "WEB_READ_TIMEOUT_S",
        float,
        30.0,
        "a client whose request brings no byte for this long (or that reads "
        "no byte of its answer) is cut off; a body: 408",
        above=0,
    ),
    Setting("WEB_KEEPALIVE_S", float, 5.0, "an idle kept-alive connection is closed after this long", minimum=0),
    Setting(
        "WEB_MAX_REQUESTS_PER_CLIENT",
        int,
        16,
        "requests (websockets included) in progress at once from one "
        "client address; more get 429 at once, their bodies unread",
        minimum=1,
    ),
    Setting(
        "WEB_GRACEFUL_TIMEOUT_S",
        float,
        10.0,
        "on SIGTERM, requests in progress get this long (websockets are closed at once)",
        minimum=0,
    ),
    Setting(
        "MALLOC_ARENAS",
        int,
        2,
        "glibc malloc arenas of the server and worker processes (0: glibc's default); more let memory climb under load",
        minimum=0,
        maximum=256,
    ),
    Setting(
        "MALLOC_MMAP_THRESHOLD_KB",
        int,
        0,
        "blocks from this size up are mmapped and given back when freed, in the server and worker processes: "
        "the flattest memory, but 256 made live frames 40 % slower (0: glibc's own threshold)",
        minimum=0,
        maximum=32768,
    ),
    Setting(
        "MALLOC_FREE_MB",
        int,
        64,
        "free memory glibc may keep in its heaps in the server and worker processes; "
        "beyond it (checked every second) the free pages go back to the system (0: glibc keeps them)",
        minimum=0,
    ),
    # the database
    Setting("DB_POOL_SIZE", int, 5, "pooled database connections kept (0: no limit)", minimum=0),
    Setting("DB_MAX_OVERFLOW", int, 10, "connections opened beyond the pool when busy (-1: no limit)", minimum=-1),
    Setting("DB_POOL_TIMEOUT_S", float, 10.0, "a request waiting longer for a pooled connection gets 503", minimum=0),
    Setting("DB_CONNECT_TIMEOUT_S", float, 5.0, "MySQL/MariaDB connect timeout", above=0),
    Setting("DB_READ_TIMEOUT_S", float, 30.0, "MySQL/MariaDB read and write timeout", above=0),
    Setting(
        "HEALTH_TIMEOUT_S",
        float,
        1.0,
        "how long `/api/health`'s database probe waits (for SQLite's write lock, say)",
        above=0,
    ),
    Setting(
        "AUTH_OUTAGE_GRACE_S",
        float,
        900.0,
        "while the database is unreachable, a session or API token it "
        "confirmed less than this long ago keeps working (revoked ones never do)",
        minimum=0,
    ),
    # scale-out and IP cameras
    Setting(
        "REDIS_URL",
        str,
        None,
        "set: video jobs and cameras run on Celery workers, and their Socket.IO events "
        "reach browsers through Redis; unset: they run in the server process",
        expected="Redis URL",
        secret=True,
    ),
    Setting(
        "CELERY_VISIBILITY_TIMEOUT",
        int,
        3600,
        "seconds before Redis hands a dead worker's unacknowledged task out again (longer than any video job takes)",
        minimum=1,
    ),
    Setting(
        "CAMERA_DETECT_FPS",
        float,
        5.0,
        "detections per second of a camera without its own rate (the API's range for `detect_fps`)",
        minimum=0.1,
        maximum=30,
    ),
    Setting("CAMERA_MAX_RETRIES", int, 8, "failed connection attempts in a row before a camera is `failed`", minimum=0),
    Setting("CAMERA_BACKOFF_S", float, 1.0, "first reconnection delay, doubled each time", above=0),
    Setting("CAMERA_BACKOFF_MAX_S", float, 60.0, "the longest reconnection delay", above=0),
    Setting(
        "CAMERA_STALE_S",
        float,
        15.0,
        "a camera whose worker sent no heartbeat for this long may be taken over",
        above=0,
    ),
    Setting("CAMERA_WATCHDOG_S", float, 10.0, "how often each Celery worker looks for cameras nobody runs", above=0),
    Setting("CAMERA_SEND_FRAMES", bool, True, "send a JPEG of each processed camera frame to its watchers"),
    Setting("CAMERA_FILE_URLS", bool, False, "accept `file://` camera URLs (demos, tests): they read server files"),
    # retention
    Setting(
        "RETENTION_DAYS",
        int,
        0,
        "sightings, jobs and uploaded/result files older than this are deleted (0: kept)",
        minimum=0,
    ),
    Setting("RETENTION_SWEEP_S", float, 3600.0, "how often the server looks for such old data", above=0),
)

#: Variables read elsewhere (paths, tests, tools); known, so that they are not refused as typos.
OTHER_VARIABLES: tuple[OtherVariable, ...] = (
    OtherVariable("MASKWATCH_MODELS", "maskwatch.paths", "folder of the trained weights, default `models/`"),
    OtherVariable("FACE_DETECTOR_PATH", "maskwatch.paths", "our face detector, default `models/face_detector.onnx`"),
    OtherVariable("MASKWATCH_DATA", "maskwatch.paths", "training data sets, default `../shared/datasets`"),
    OtherVariable("FRONTEND_DIST", "maskwatch.web.spa", "the built browser app, default `frontend/dist`"),
    OtherVariable(
        "MASKWATCH_REQUIRE_MARIADB",
        "tests",
        "1: a missing MariaDB fails the tests instead of skipping them (`make test`)",
    ),
    OtherVariable("MASKWATCH_REQUIRE_REDIS", "tests", "1: a missing redis-server fails the tests (`make test`)"),
    OtherVariable(
        "MASKWATCH_BACKEND",
        "frontend/vite.config.js",
        "the server `npm run dev` proxies to, default `http://127.0.0.1:5000`",
    ),
    OtherVariable("MASKWATCH_PORT", "docker-compose.yml", "host port of the web service, default 5000"),
    OtherVariable("MASKWATCH_HTTPS_PORT", "docker-compose.yml", "host port of the TLS proxy, default 443"),
    OtherVariable(
        "MASKWATCH_SITE", "docker-compose.yml, deploy/Caddyfile", "the name or address users open, default `localhost`"
    ),
)

SETTING_NAMED = {s.name: s for s in SETTINGS}
KNOWN_NAMES = frozenset(SETTING_NAMED) | {v.name for v in OTHER_VARIABLES}
PREFIX = "MASKWATCH_"


def read_environment(environ: Mapping[str, str]) -> dict[str, object]:
    """The settings environ sets (empty counts as unset), parsed and checked; SettingsError lists every bad
    value and every unknown MASKWATCH_* name.

    Example: read_environment({"MIN_FACE_SIZE": "20"}) -> {"MIN_FACE_SIZE": 20}
    """
    given: dict[str, object] = {}
    problems = []
    for setting in SETTINGS:
        text = environ.get(setting.name)
        if text is None or not text.strip():
            continue
        try:
            given[setting.name] = setting.parse(text)
        except ValueError as exc:
            problems.append(str(exc))
    for name in sorted(n for n in environ if n.startswith(PREFIX) and n not in KNOWN_NAMES):
        close = difflib.get_close_matches(name, sorted(n for n in KNOWN_NAMES if n.startswith(PREFIX)), n=1)
        problems.append(
            f"{name} is not a MaskWatch variable"
            + (f" (did you mean {close[0]}?)" if close else "")
            + "; README's settings table lists them"
        )
    if problems:
        raise SettingsError(problems)
    return given


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def settings_markdown() -> str:
    """README's settings tables, made from SETTINGS and OTHER_VARIABLES (`maskwatch settings --markdown`)."""
    lines = ["| variable | value | default | |", "|---|---|---|---|"]
    lines += [
        f"| `{s.name}` | {_cell(s.value_text())} | {_cell(s.default_text())} | {_cell(s.help)} |" for s in SETTINGS
    ]
    lines += [
        "",
        "Other variables, read outside the settings (an unknown `MASKWATCH_*` name stops every `maskwatch` "
        "command, the server and the workers):",
        "",
        "| variable | read by | |",
        "|---|---|---|",
    ]
    lines += [f"| `{v.name}` | {_cell(v.read_by)} | {_cell(v.help)} |" for v in OTHER_VARIABLES]
    return "\n".join(lines) + "\n"


class Config:
    """Production settings: each Setting of SETTINGS (its meaning, default and range are there, and in README's
    table) read once from the environment into its attribute, then the settings for Flask and its extensions that
    no variable sets (RATELIMIT_HEADERS_ENABLED, API_TITLE, ...). Tests subclass it (TestConfig) and set attributes.

    Args: environ (default os.environ). Raises SettingsError for a bad value or an unknown MASKWATCH_* name.
    from_environment: the settings environ set, by variable name, parsed.
    Example: Config({"DETECTOR": "mtcnn"}).MIN_FACE_SIZE -> 40
    """

    def use_detector(self, name: str) -> None:
        """DETECTOR = name, with that detector's profile defaults where the environment sets none."""
        defaults = PROFILE_DEFAULTS.get(name, PROFILE_DEFAULTS[DEFAULT_DETECTOR])
        self.DETECTOR = name
        for setting_name, default in defaults.items():
            setattr(self, setting_name, self.from_environment.get(setting_name, default))

    def __init__(self, environ: Mapping[str, str] | None = None):
        self.from_environment = read_environment(os.environ if environ is None else environ)
        for setting in SETTINGS:
            setattr(self, setting.attr, self.from_environment.get(setting.name, setting.default))
        self.use_detector(self.DETECTOR)
        self.SQLALCHEMY_ENGINE_OPTIONS = {}  # over store.engine.engine_options (pool and timeouts from DB_*)
        self.PICTURE_MAX_SIDE = self.PICTURE_MAX_SIDE or None  # 0: pictures stay whole
        if self.IMAGE_PIXELS_AT_ONCE is None:
            self.IMAGE_PIXELS_AT_ONCE = self.MAX_IMAGE_PIXELS
        self.RATELIMIT_STORAGE_URI = self.RATELIMIT_STORAGE_URI or self.REDIS_URL or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = True  # Retry-After on a refused sign-in
        self.PERMANENT_SESSION_LIFETIME = self.SESSION_HOURS * 3600
        self.SESSION_REFRESH_EACH_REQUEST = False  # an answer still on its way cannot bring back a signed-out cookie
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        # Flask rejects larger bodies with 413 before a route runs; videos are the largest uploads.
        self.MAX_CONTENT_LENGTH = max(self.MAX_UPLOAD_MB, self.MAX_VIDEO_MB) * 2**20
        # flask-smorest: the OpenAPI document at /api/openapi.json
        self.API_TITLE = "MaskWatch"
        self.API_VERSION = "1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"


class TestConfig(Config):
    """Tests: a throw-away instance folder and database given by the test, no background surprises.

    Args: instance_path (required), database_url (default SQLite in instance_path).
    """

    __test__ = False  # a config, not a pytest test class

    def __init__(self, instance_path, database_url: str | None = None):
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = "test"
        self.INSTANCE_PATH = str(instance_path)
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.ALERT_COOLDOWN_S = 30
        self.CHECKPOINT_S = 0.0  # only tests that say so: a checkpoint gives its person a spool_key, which some count
