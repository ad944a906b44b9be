"""Settings from environment variables, read once into a config class."""

from __future__ import annotations

import os

from .paths import default_instance_dir


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if value in (None, "") else float(value)


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


class Config:
    """Production defaults; every setting below can be set by an environment variable of its name.

    DATABASE_URL: SQLAlchemy URL, default a SQLite file `maskwatch.db` in INSTANCE_PATH.
    INSTANCE_PATH: $MASKWATCH_INSTANCE, default instance/ at the repository root, or in the working directory
        for an installed package (database, uploads, results).
    MODEL_PATH: classifier weights, default models/mask_classifier.pt (None here: maskwatch.paths decides).
    MAX_UPLOAD_MB: largest accepted upload, default 25 (images) ; MAX_VIDEO_MB for videos, default 200.
    DETECTOR: the face detector, "pyramid" (our one-stage network, models/face_detector.onnx) or "mtcnn"
        (facenet-pytorch's MTCNN, fine-tuned); default DEFAULT_DETECTOR. The profile defaults below follow it
        (PROFILE_DEFAULTS).
    PICTURE_MIN_FACE_SIZE / PICTURE_UPSCALE_BELOW: the picture profile (uploaded photos): the smallest face looked
        for (pyramid 8 px, mtcnn 20), in a picture first enlarged so its longer side is at least 800 px
        (mtcnn 1024; 0: never enlarged); a 400x300 photo is searched for faces down to 4 px (mtcnn: 8).
    MIN_FACE_SIZE: the stream profile (live, cameras, videos): smallest face looked for (pyramid 8 px at no extra
        cost; mtcnn 40, where 20 finds smaller faces at twice the cost).
    MAX_IMAGE_PIXELS: pictures whose header claims more pixels get 413 before decoding, default 40000000.
    PICTURE_MAX_SIDE: an uploaded picture with a longer side is scaled down to it before detection, default
        4096 (12 MP at 4:3; faces under MIN_FACE_SIZE / scale pixels of the original are then missed); the
        answer's boxes are in the original's pixels. 0 keeps every picture whole.
    IMAGE_PIXELS_AT_ONCE: pixels of the uploaded pictures decoded and in work at once, over all requests,
        default MAX_IMAGE_PIXELS (one picture of the largest size, or many small ones, at a time).
    IMAGE_WAIT_S: how long an upload waits for those pixels before it is answered 503 busy, default 30.
    MAX_VIDEO_SECONDS: longer videos get 413 (read from the container, not its header), default 3600.
    LIVE_MAX_FRAME_MB: largest live frame, default 2 (Socket.IO refuses bigger messages; its buffer is sized
        for a base64 frame of this size). LIVE_MAX_PIXELS: largest live frame in pixels, default 1920x1080x2.
    LIVE_MAX_WAITING_FRAMES: live frames decoded or waiting for the detector at once, over all clients,
        default 8; a frame beyond it, or one sent before the client's previous answer, is answered "busy".
    DETECT_EVERY_N_FRAMES: videos run detection on every N-th frame and track in between, default 3.
    TORCH_THREADS: torch intra-op threads, default 1 (on 2 busy cores 1 thread is the fastest).
    STORE_FACE_IMAGES: keep face pictures, default off (nothing stores them yet).
    SECRET_KEY: signs the session cookie; unset, a random key is made once and kept in INSTANCE_PATH/secret_key.
    ADMIN_USER / ADMIN_PASSWORD: the admin account made on the first start that has ADMIN_PASSWORD (at least 8
        characters); from then on the dashboard, sources, settings and the API need a login. Default user admin.
    LIVE_PUBLIC: the live webcam page works without a login, default off (watching IP cameras always needs one).
    UPLOADS_PUBLIC: picture and video uploads (and their jobs) work without a login, default off.
    LOGIN_RATE_LIMIT: failed sign-ins allowed per client address, default "5 per minute;30 per hour".
    RATELIMIT_STORAGE_URI: where the limiter counts, default REDIS_URL when set, else memory.
    SESSION_HOURS: how long a sign-in lasts, default 12. SESSION_COOKIE_SECURE: cookie only over HTTPS, default off
        (on with `serve --https`).
    PROXY_COUNT: reverse proxies in front (X-Forwarded-For is trusted that many hops), default 0; 1 in docker-compose.
    MALLOC_ARENAS: glibc malloc arenas of the server and worker processes, default 2 (0: glibc's default);
        more arenas let memory climb under load (maskwatch.memory).
    RETENTION_DAYS: delete sightings, jobs and uploaded/result files older than this many days, default 0 (keep all).
    RETENTION_SWEEP_S: how often the server looks for such old data, default 3600.
    ALERT_COOLDOWN_S: seconds before a re-found person may raise another alert, default 30.
    JOB_WORKERS: video jobs run at once in the in-process thread pool, default 1.
    JOB_MAX_ATTEMPTS: a starting server runs again the video jobs the last process left unfinished if they
        were started fewer times than this, default 2; the others are failed with the reason.
    JOB_DATABASE_WAIT_S: a video job that ends while the database is unreachable tries to write its result
        for this long, default 300 (then the next start runs it again).
    SPOOL_MAX_ROWS: sightings kept in INSTANCE_PATH/spool.sqlite3 while the database is unreachable, default
        100000; beyond it the oldest are dropped (logged and counted in GET /api/health).
    SPOOL_FLUSH_S: seconds between tries to write the spooled sightings, default 5.
    REDIS_URL: unset means in-process jobs and cameras; set, they run on Celery workers (jobs/celery_app.py)
        and Socket.IO events from workers reach browsers through Redis.
    CELERY_VISIBILITY_TIMEOUT: seconds before Redis hands an unacknowledged task (a dead worker's) out
        again, default 3600 (longer than any video job takes).
    CAMERA_DETECT_FPS: detections per second of a camera without its own rate, default 5.
    CAMERA_MAX_RETRIES: failed connection attempts in a row before a camera is 'failed', default 8.
    CAMERA_BACKOFF_S / CAMERA_BACKOFF_MAX_S: first reconnection delay, doubled each time up to the
        maximum, default 1 / 60.
    CAMERA_STALE_S: a camera whose worker sent no heartbeat for this long may be taken over, default 15.
    CAMERA_WATCHDOG_S: how often each Celery worker looks for cameras nobody runs, default 10.
    CAMERA_SEND_FRAMES: send a JPEG of each processed camera frame to its watchers, default on.
    CAMERA_FILE_URLS: accept file:// camera URLs (tests, demos), default off: they read server files.
    WEB_THREADS: requests and websockets served at once by `maskwatch serve` (gunicorn, one gthread worker), default 64.
    WEB_READ_TIMEOUT_S: a client whose request line, headers or body bring no byte for this long is cut off (a
        body: 408), default 30; also the time a client may take to read an answer.
    WEB_KEEPALIVE_S: an idle kept-alive connection is closed after this long, default 5.
    WEB_MAX_REQUESTS_PER_CLIENT: requests (websockets included) in progress at once from one client address,
        default 16; more are answered 429 at once, their bodies never read.
    WEB_GRACEFUL_TIMEOUT_S: on SIGTERM, requests in progress get this long to end, default 10.
    DB_POOL_SIZE / DB_MAX_OVERFLOW: pooled database connections kept / opened beyond them, default 5 / 10.
    DB_POOL_TIMEOUT_S: a request waiting longer for a pooled connection gets 503, default 10.
    DB_CONNECT_TIMEOUT_S / DB_READ_TIMEOUT_S: MySQL/MariaDB connect and read timeouts, default 5 / 30.
    HEALTH_TIMEOUT_S: GET /api/health's database probe gives up (SQLite: waits for a lock) after this, default 1.
    AUTH_OUTAGE_GRACE_S: a session or API token the database confirmed less than this long ago keeps working
        while the database is unreachable, default 900; revoked ones never do (see maskwatch.auth.revocations).
    """

    def use_detector(self, name: str) -> None:
        """DETECTOR = name, with that detector's profile defaults where the environment sets none."""
        defaults = PROFILE_DEFAULTS.get(name, PROFILE_DEFAULTS[DEFAULT_DETECTOR])
        self.DETECTOR = name
        self.MIN_FACE_SIZE = _env_int("MIN_FACE_SIZE", defaults["MIN_FACE_SIZE"])
        self.PICTURE_MIN_FACE_SIZE = _env_int("PICTURE_MIN_FACE_SIZE", defaults["PICTURE_MIN_FACE_SIZE"])
        self.PICTURE_UPSCALE_BELOW = _env_int("PICTURE_UPSCALE_BELOW", defaults["PICTURE_UPSCALE_BELOW"])

    def __init__(self):
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or None  # None: a random key kept in INSTANCE_PATH/secret_key
        self.INSTANCE_PATH = str(default_instance_dir())
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None: SQLite in INSTANCE_PATH
        self.SQLALCHEMY_ENGINE_OPTIONS = {}  # over store.engine.engine_options (pool and timeouts from DB_*)
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        self.MODEL_PATH = os.environ.get("MODEL_PATH") or None
        self.MAX_UPLOAD_MB = _env_int("MAX_UPLOAD_MB", 25)
        self.MAX_VIDEO_MB = _env_int("MAX_VIDEO_MB", 200)
        self.use_detector(os.environ.get("DETECTOR") or DEFAULT_DETECTOR)
        self.MAX_IMAGE_PIXELS = _env_int("MAX_IMAGE_PIXELS", 40_000_000)
        self.PICTURE_MAX_SIDE = _env_int("PICTURE_MAX_SIDE", 4096) or None
        self.IMAGE_PIXELS_AT_ONCE = _env_int("IMAGE_PIXELS_AT_ONCE", self.MAX_IMAGE_PIXELS)
        self.IMAGE_WAIT_S = _env_float("IMAGE_WAIT_S", 30.0)
        self.MAX_VIDEO_SECONDS = _env_float("MAX_VIDEO_SECONDS", 3600.0)
        self.LIVE_MAX_FRAME_MB = _env_float("LIVE_MAX_FRAME_MB", 2.0)
        self.LIVE_MAX_PIXELS = _env_int("LIVE_MAX_PIXELS", 1920 * 1080 * 2)
        self.LIVE_MAX_WAITING_FRAMES = _env_int("LIVE_MAX_WAITING_FRAMES", 8)
        self.DETECT_EVERY_N_FRAMES = _env_int("DETECT_EVERY_N_FRAMES", 3)
        self.TORCH_THREADS = _env_int("TORCH_THREADS", 1)
        self.STORE_FACE_IMAGES = _env_bool("STORE_FACE_IMAGES", False)
        self.ALERT_COOLDOWN_S = _env_int("ALERT_COOLDOWN_S", 30)
        self.JOB_WORKERS = _env_int("JOB_WORKERS", 1)
        self.JOB_MAX_ATTEMPTS = _env_int("JOB_MAX_ATTEMPTS", 2)
        self.JOB_DATABASE_WAIT_S = _env_float("JOB_DATABASE_WAIT_S", 300.0)
        self.SPOOL_MAX_ROWS = _env_int("SPOOL_MAX_ROWS", 100_000)
        self.SPOOL_FLUSH_S = _env_float("SPOOL_FLUSH_S", 5.0)
        self.ADMIN_USER = os.environ.get("ADMIN_USER") or "admin"
        self.ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD") or None
        self.LIVE_PUBLIC = _env_bool("LIVE_PUBLIC", False)
        self.UPLOADS_PUBLIC = _env_bool("UPLOADS_PUBLIC", False)
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT") or "5 per minute;30 per hour"
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or self.REDIS_URL or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = True  # Retry-After on a refused sign-in
        self.PERMANENT_SESSION_LIFETIME = _env_int("SESSION_HOURS", 12) * 3600
        self.SESSION_REFRESH_EACH_REQUEST = False  # an answer still on its way cannot bring back a signed-out cookie
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)  # `serve --https` turns it on
        self.PROXY_COUNT = _env_int("PROXY_COUNT", 0)
        self.MALLOC_ARENAS = _env_int("MALLOC_ARENAS", 2)
        self.RETENTION_DAYS = _env_int("RETENTION_DAYS", 0)
        self.RETENTION_SWEEP_S = _env_float("RETENTION_SWEEP_S", 3600.0)
        self.CELERY_VISIBILITY_TIMEOUT = _env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
        self.CAMERA_DETECT_FPS = _env_float("CAMERA_DETECT_FPS", 5.0)
        self.CAMERA_MAX_RETRIES = _env_int("CAMERA_MAX_RETRIES", 8)
        self.CAMERA_BACKOFF_S = _env_float("CAMERA_BACKOFF_S", 1.0)
        self.CAMERA_BACKOFF_MAX_S = _env_float("CAMERA_BACKOFF_MAX_S", 60.0)
        self.CAMERA_STALE_S = _env_float("CAMERA_STALE_S", 15.0)
        self.CAMERA_WATCHDOG_S = _env_float("CAMERA_WATCHDOG_S", 10.0)
        self.CAMERA_SEND_FRAMES = _env_bool("CAMERA_SEND_FRAMES", True)
        self.CAMERA_FILE_URLS = _env_bool("CAMERA_FILE_URLS", False)
        self.WEB_THREADS = _env_int("WEB_THREADS", 64)
        self.WEB_READ_TIMEOUT_S = _env_float("WEB_READ_TIMEOUT_S", 30.0)
        self.WEB_KEEPALIVE_S = _env_float("WEB_KEEPALIVE_S", 5.0)
        self.WEB_MAX_REQUESTS_PER_CLIENT = _env_int("WEB_MAX_REQUESTS_PER_CLIENT", 16)
        self.WEB_GRACEFUL_TIMEOUT_S = _env_float("WEB_GRACEFUL_TIMEOUT_S", 10.0)
        self.DB_POOL_SIZE = _env_int("DB_POOL_SIZE", 5)
        self.DB_MAX_OVERFLOW = _env_int("DB_MAX_OVERFLOW", 10)
        self.DB_POOL_TIMEOUT_S = _env_float("DB_POOL_TIMEOUT_S", 10.0)
        self.DB_CONNECT_TIMEOUT_S = _env_float("DB_CONNECT_TIMEOUT_S", 5.0)
        self.DB_READ_TIMEOUT_S = _env_float("DB_READ_TIMEOUT_S", 30.0)
        self.HEALTH_TIMEOUT_S = _env_float("HEALTH_TIMEOUT_S", 1.0)
        self.AUTH_OUTAGE_GRACE_S = _env_float("AUTH_OUTAGE_GRACE_S", 900.0)
        self.LAZY_DETECTOR = False  # Celery workers: build the model in the pool process, on first use
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
