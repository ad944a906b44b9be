"""Settings (maskwatch.config): typed and checked once, unknown MASKWATCH_* names refused, the detector's profile
defaults under the environment's values, today's defaults kept, and README's table made from the registry."""

from __future__ import annotations

import re

import pytest

from maskwatch.cli import main
from maskwatch.config import (
    FALSE_WORDS,
    KNOWN_NAMES,
    PROFILE_DEFAULTS,
    SETTING_NAMED,
    SETTINGS,
    TRUE_WORDS,
    Config,
    SettingsError,
    TestConfig,
    settings_markdown,
)
from maskwatch.paths import REPO_ROOT


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("MIN_FACE_SIZE", "abc", "MIN_FACE_SIZE must be an integer 8-400, got 'abc'"),
        ("MIN_FACE_SIZE", "4", "MIN_FACE_SIZE must be an integer 8-400, got '4'"),
        ("PICTURE_MIN_FACE_SIZE", "401", "PICTURE_MIN_FACE_SIZE must be an integer 8-400, got '401'"),
        ("MAX_UPLOAD_MB", "2.5", "MAX_UPLOAD_MB must be an integer >= 1, got '2.5'"),
        ("MAX_UPLOAD_MB", "0", "MAX_UPLOAD_MB must be an integer >= 1, got '0'"),
        ("IMAGE_WAIT_S", "soon", "IMAGE_WAIT_S must be a number >= 0, got 'soon'"),
        ("IMAGE_WAIT_S", "-1", "IMAGE_WAIT_S must be a number >= 0, got '-1'"),
        ("IMAGE_WAIT_S", "nan", "IMAGE_WAIT_S must be a number >= 0, got 'nan'"),
        ("DB_CONNECT_TIMEOUT_S", "0", "DB_CONNECT_TIMEOUT_S must be a number > 0, got '0'"),
        ("CAMERA_DETECT_FPS", "31", "CAMERA_DETECT_FPS must be a number 0.1-30, got '31'"),
        ("PROXY_COUNT", "-1", "PROXY_COUNT must be an integer 0-10, got '-1'"),
        ("LIVE_PUBLIC", "maybe", "LIVE_PUBLIC must be on or off (1, true, yes, on / 0, false, no, off), got 'maybe'"),
        (
            "CAMERA_SEND_FRAMES",
            "2",
            "CAMERA_SEND_FRAMES must be on or off (1, true, yes, on / 0, false, no, off), got '2'",
        ),
        ("DETECTOR", "yolo", "DETECTOR must be one of pyramid, mtcnn, got 'yolo'"),
        (
            "LOGIN_RATE_LIMIT",
            "lots",
            "LOGIN_RATE_LIMIT must be rate limits such as '5 per minute;30 per hour', got 'lots'",
        ),
    ],
)
def test_a_bad_value_is_one_error_naming_the_variable(name, text, message):
    with pytest.raises(SettingsError) as caught:
        Config({name: text})
    assert caught.value.problems == [message] and str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_every_bad_value_is_listed_at_once():
    with pytest.raises(SettingsError) as caught:
        Config({"MIN_FACE_SIZE": "abc", "LIVE_PUBLIC": "maybe", "MASKWATCH_INSTANSE": "/data"})
    assert [p.split()[0] for p in caught.value.problems] == ["MIN_FACE_SIZE", "LIVE_PUBLIC", "MASKWATCH_INSTANSE"]


@pytest.mark.parametrize("text", [*TRUE_WORDS, *FALSE_WORDS, "Yes", " ON ", "False"])
def test_booleans_take_the_usual_words(text):
    assert Config({"LIVE_PUBLIC": text}).LIVE_PUBLIC is (text.strip().lower() in TRUE_WORDS)


def test_numbers_of_the_right_type():
    config = Config({"MIN_FACE_SIZE": " 24 ", "IMAGE_WAIT_S": "2.5", "JOB_DATABASE_WAIT_S": "60"})
    assert config.MIN_FACE_SIZE == 24 and type(config.MIN_FACE_SIZE) is int
    assert config.IMAGE_WAIT_S == 2.5 and type(config.JOB_DATABASE_WAIT_S) is float


def test_an_empty_value_is_unset():
    config = Config({"MAX_UPLOAD_MB": "", "ADMIN_USER": "", "CAMERA_SEND_FRAMES": "", "DATABASE_URL": ""})
    assert (config.MAX_UPLOAD_MB, config.ADMIN_USER, config.CAMERA_SEND_FRAMES) == (25, "admin", True)
    assert config.SQLALCHEMY_DATABASE_URI is None


def test_an_unknown_maskwatch_variable_is_refused_with_the_name_it_resembles():
    with pytest.raises(SettingsError) as caught:
        Config({"MASKWATCH_INSTANSE": "/data"})
    (problem,) = caught.value.problems
    assert problem.startswith("MASKWATCH_INSTANSE is not a MaskWatch variable (did you mean MASKWATCH_INSTANCE?)")
    # other programs' variables are theirs: only our prefix is checked
    Config({"MIN_FACE_SIZ": "20", "PATH": "/usr/bin"})


def test_every_maskwatch_variable_the_repository_uses_is_known():
    places = [
        "backend",
        "tests",
        "benchmarks",
        "deploy",
        ".ci",
        "frontend/src",
        "frontend/vite.config.js",
        "Makefile",
        "docker-compose.yml",
        "Dockerfile",
        "README.md",
    ]
    used = {}
    for place in places:
        root = REPO_ROOT / place
        for path in [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]:
            data = path.read_bytes()
            if b"\0" in data[:4096] or path.name == "test_settings.py":  # pictures, videos, bytecode; this file's typos
                continue
            for name in re.findall(r"MASKWATCH_[A-Z0-9_]+", data.decode(errors="replace")):
                used.setdefault(name, path.relative_to(REPO_ROOT))
    assert {
        "MASKWATCH_INSTANCE",
        "MASKWATCH_HTTPS",
        "MASKWATCH_MODELS",
        "MASKWATCH_DATA",
        "MASKWATCH_REQUIRE_MARIADB",
        "MASKWATCH_REQUIRE_REDIS",
    } <= set(used)
    assert {n: str(p) for n, p in used.items() if n not in KNOWN_NAMES} == {}


def test_the_environment_beats_the_detectors_profile_defaults(monkeypatch, tmp_path):
    assert (Config({}).MIN_FACE_SIZE, Config({}).PICTURE_MIN_FACE_SIZE, Config({}).PICTURE_UPSCALE_BELOW) == (8, 8, 800)
    mtcnn = Config({"DETECTOR": "mtcnn"})
    assert (mtcnn.DETECTOR, mtcnn.MIN_FACE_SIZE, mtcnn.PICTURE_MIN_FACE_SIZE, mtcnn.PICTURE_UPSCALE_BELOW) == (
        "mtcnn",
        40,
        20,
        1024,
    )
    config = Config({"MIN_FACE_SIZE": "24", "PICTURE_UPSCALE_BELOW": "0"})
    config.use_detector("mtcnn")
    assert (config.DETECTOR, config.MIN_FACE_SIZE, config.PICTURE_MIN_FACE_SIZE, config.PICTURE_UPSCALE_BELOW) == (
        "mtcnn",
        24,
        20,
        0,
    )
    config.use_detector("pyramid")
    assert (config.MIN_FACE_SIZE, config.PICTURE_MIN_FACE_SIZE, config.PICTURE_UPSCALE_BELOW) == (24, 8, 0)
    monkeypatch.setenv("PICTURE_MIN_FACE_SIZE", "16")  # as the web fixtures build it
    test_config = TestConfig(tmp_path)
    test_config.use_detector("mtcnn")
    assert (test_config.MIN_FACE_SIZE, test_config.PICTURE_MIN_FACE_SIZE) == (40, 16)


#: Config's values with nothing set, as the code before the registry had them.
TODAYS_DEFAULTS = {
    "SECRET_KEY": None,
    "INSTANCE_PATH": str(REPO_ROOT / "instance"),
    "SQLALCHEMY_DATABASE_URI": None,
    "REDIS_URL": None,
    "MODEL_PATH": None,
    "MAX_UPLOAD_MB": 25,
    "MAX_VIDEO_MB": 200,
    "DETECTOR": "pyramid",
    "MIN_FACE_SIZE": 8,
    "PICTURE_MIN_FACE_SIZE": 8,
    "PICTURE_UPSCALE_BELOW": 800,
    "MAX_IMAGE_PIXELS": 40_000_000,
    "PICTURE_MAX_SIDE": 4096,
    "IMAGE_PIXELS_AT_ONCE": 40_000_000,
    "IMAGE_WAIT_S": 30.0,
    "MAX_VIDEO_SECONDS": 3600.0,
    "LIVE_MAX_FRAME_MB": 2.0,
    "LIVE_MAX_PIXELS": 1920 * 1080 * 2,
    "LIVE_MAX_WAITING_FRAMES": 8,
    "DETECT_EVERY_N_FRAMES": 3,
    "TORCH_THREADS": 1,
    "ALERT_COOLDOWN_S": 30,
    "JOB_WORKERS": 1,
    "JOB_MAX_ATTEMPTS": 2,
    "JOB_DATABASE_WAIT_S": 300.0,
    "SPOOL_MAX_ROWS": 100_000,
    "SPOOL_FLUSH_S": 5.0,
    "ADMIN_USER": "admin",
    "ADMIN_PASSWORD": None,
    "LIVE_PUBLIC": False,
    "UPLOADS_PUBLIC": False,
    "LOGIN_RATE_LIMIT": "5 per minute;30 per hour",
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    "SESSION_COOKIE_SECURE": False,
    "PROXY_COUNT": 0,
    "MALLOC_ARENAS": 2,
    "MALLOC_MMAP_THRESHOLD_KB": 0,
    "MALLOC_FREE_MB": 64,
    "RETENTION_DAYS": 0,
    "RETENTION_SWEEP_S": 3600.0,
    "CELERY_VISIBILITY_TIMEOUT": 3600,
    "CAMERA_DETECT_FPS": 5.0,
    "CAMERA_MAX_RETRIES": 8,
    "CAMERA_BACKOFF_S": 1.0,
    "CAMERA_BACKOFF_MAX_S": 60.0,
    "CAMERA_STALE_S": 15.0,
    "CAMERA_WATCHDOG_S": 10.0,
    "CAMERA_SEND_FRAMES": True,
    "CAMERA_FILE_URLS": False,
    "WEB_THREADS": 64,
    "WEB_READ_TIMEOUT_S": 30.0,
    "WEB_KEEPALIVE_S": 5.0,
    "WEB_MAX_REQUESTS_PER_CLIENT": 16,
    "WEB_GRACEFUL_TIMEOUT_S": 10.0,
    "DB_POOL_SIZE": 5,
    "DB_MAX_OVERFLOW": 10,
    "DB_POOL_TIMEOUT_S": 10.0,
    "DB_CONNECT_TIMEOUT_S": 5.0,
    "DB_READ_TIMEOUT_S": 30.0,
    "HEALTH_TIMEOUT_S": 1.0,
    "AUTH_OUTAGE_GRACE_S": 900.0,
    "MAX_CONTENT_LENGTH": 200 * 2**20,
}


def test_the_defaults_are_todays():
    config = vars(Config({}))
    assert {n: (config[n], type(config[n])) for n in TODAYS_DEFAULTS} == {
        n: (v, type(v)) for n, v in TODAYS_DEFAULTS.items()
    }


def test_derived_settings_follow_the_ones_they_come_from():
    config = Config(
        {
            "REDIS_URL": "redis://cache:6379/0",
            "SESSION_HOURS": "2",
            "PICTURE_MAX_SIDE": "0",
            "MAX_IMAGE_PIXELS": "1000",
            "MASKWATCH_INSTANCE": "/data",
            "DATABASE_URL": "sqlite:///x.db",
        }
    )
    assert config.RATELIMIT_STORAGE_URI == "redis://cache:6379/0" and config.PERMANENT_SESSION_LIFETIME == 7200
    assert config.PICTURE_MAX_SIDE is None and config.IMAGE_PIXELS_AT_ONCE == 1000
    assert (config.INSTANCE_PATH, config.SQLALCHEMY_DATABASE_URI) == ("/data", "sqlite:///x.db")


def test_every_default_is_allowed_by_its_own_setting():
    for setting in SETTINGS:
        if setting.default is not None:
            text = str(setting.default).lower() if setting.kind is bool else str(setting.default)
            assert setting.parse(text) == setting.default, setting.name
    for profile in PROFILE_DEFAULTS.values():
        for name, value in profile.items():
            assert SETTING_NAMED[name].parse(str(value)) == value, name


def test_the_command_line_names_a_bad_setting_and_exits_2(monkeypatch, capsys):
    monkeypatch.setenv("MIN_FACE_SIZE", "abc")
    monkeypatch.setenv("MASKWATCH_INSTANSE", "/data")
    for command in (["settings"], ["purge", "--days", "1"], ["detect", "photo.jpg"], ["train", "--help"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.splitlines()[0] == "maskwatch: MIN_FACE_SIZE must be an integer 8-400, got 'abc'", command
        assert "MASKWATCH_INSTANSE is not a MaskWatch variable" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "env, argv, expected",
    [
        ({"MASKWATCH_HTTPS": "on", "TLS_CERT": "c.pem", "TLS_KEY": "k.pem"}, [], (True, "c.pem", "k.pem")),
        ({"MASKWATCH_HTTPS": "no"}, ["--https", "--tls-cert", "mine.pem"], (True, "mine.pem", None)),
        ({}, [], (False, None, None)),
    ],
)
def test_serve_takes_https_from_the_settings_under_its_options(monkeypatch, env, argv, expected):
    served = {}
    monkeypatch.setattr("maskwatch.web.server.serve", lambda host, port, **tls: served.update(tls))
    for name in ("MASKWATCH_HTTPS", "TLS_CERT", "TLS_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", *argv]) == 0
    assert (served["https"], served["tls_cert"], served["tls_key"]) == expected


def test_passwd_names_the_admin_user_of_the_settings(tmp_path, monkeypatch, capsys):
    import io

    monkeypatch.setenv("MASKWATCH_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ADMIN_USER", "ops")
    monkeypatch.setattr("sys.stdin", io.StringIO("first password\n"))
    assert main(["passwd"]) == 0 and "created ops" in capsys.readouterr().out


def test_settings_command_prints_the_values_and_hides_secrets(monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_PASSWORD", "correct horse battery")
    monkeypatch.setenv("MIN_FACE_SIZE", "24")
    monkeypatch.delenv("DETECTOR", raising=False)
    assert main(["settings"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "ADMIN_PASSWORD=***  (environment)" in lines and "MIN_FACE_SIZE=24  (environment)" in lines
    assert "correct horse" not in "\n".join(lines) and len(lines) == len(SETTINGS)


def test_the_readme_table_is_the_registrys(capsys):
    readme = (REPO_ROOT / "README.md").read_text()
    found = re.search(r"<!-- settings: [^\n]*-->\n(.*?)<!-- /settings -->", readme, re.S)
    assert found, "README.md lost its <!-- settings --> markers"
    assert found.group(1) == settings_markdown(), "run `maskwatch settings --markdown` and paste it into README.md"
    assert main(["settings", "--markdown"]) == 0 and capsys.readouterr().out == settings_markdown()
    for setting in SETTINGS:
        assert f"| `{setting.name}` |" in found.group(1)
