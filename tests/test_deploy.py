"""docker-compose.yml and the Dockerfile, checked without Docker (it cannot run here): the services, their
images, ports, environment, health checks and volumes, and that the commands they name exist here.
The same services run as plain processes in tests/web/test_scaleout.py."""

from __future__ import annotations

import importlib
import re
import shlex

import pytest
import yaml
from celery import Celery

from maskwatch.cli import parser
from maskwatch.config import SETTING_NAMED, Config
from maskwatch.paths import REPO_ROOT


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def env_of(service: dict) -> dict:
    env = service.get("environment", {})
    return dict(e.split("=", 1) for e in env) if isinstance(env, list) else env


def test_services_with_images_or_builds(compose):
    services = compose["services"]
    assert set(services) == {"mysql", "redis", "web", "worker", "proxy"}
    assert services["mysql"]["image"].startswith("mysql:") and services["redis"]["image"].startswith("redis:")
    for name in ("web", "worker"):
        assert services[name]["build"] == "." and services[name]["image"] == "maskwatch:latest"
    assert (REPO_ROOT / "Dockerfile").is_file()


def test_every_service_has_a_health_check_and_web_waits_for_healthy_backends(compose):
    services = compose["services"]
    for name, service in services.items():
        check = service["healthcheck"]["test"]
        assert check[0] in ("CMD", "CMD-SHELL") and len(check) > 1, name
    assert services["web"]["depends_on"] == {
        "mysql": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert services["worker"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "/api/health" in " ".join(services["web"]["healthcheck"]["test"])


def test_ports_and_scaling(compose):
    services = compose["services"]
    assert [p.split(":")[-1] for p in services["web"]["ports"]] == ["5000"]
    # --scale worker=N: a fixed name or a host port would clash between replicas
    assert "ports" not in services["worker"] and "container_name" not in services["worker"]
    assert "ports" not in services["mysql"] and "ports" not in services["redis"]


def test_configuration_through_environment_variables(compose):
    services = compose["services"]
    for name in ("web", "worker"):
        env = env_of(services[name])
        assert (
            env["DATABASE_URL"].startswith("mysql+pymysql://maskwatch:")
            and "@mysql:3306/maskwatch" in env["DATABASE_URL"]
        )
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["MASKWATCH_INSTANCE"] == "/data"
        # every variable is a setting (a typo would be silently ignored otherwise), and the values compose gives
        # when nothing is set (${NAME:-default}) pass the settings' checks
        assert set(env) <= set(SETTING_NAMED), set(env) - set(SETTING_NAMED)
        Config({n: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(v)) for n, v in env.items()})
    mysql = env_of(services["mysql"])
    assert mysql["MYSQL_DATABASE"] == "maskwatch" and mysql["MYSQL_USER"] == "maskwatch"
    assert (
        "${MYSQL_PASSWORD" in mysql["MYSQL_PASSWORD"] and "${MYSQL_PASSWORD" in env_of(services["web"])["DATABASE_URL"]
    )


def test_volumes_for_the_database_redis_and_uploads(compose):
    services = compose["services"]
    assert set(compose["volumes"]) == {"mysql-data", "redis-data", "maskwatch-data", "caddy-data"}
    assert "mysql-data:/var/lib/mysql" in services["mysql"]["volumes"]
    assert "redis-data:/data" in services["redis"]["volumes"]
    assert services["web"]["volumes"] == services["worker"]["volumes"] == ["maskwatch-data:/data"]


def test_the_commands_named_exist(compose):
    web = compose["services"]["web"]["command"]
    assert web[0] == "maskwatch"
    args = parser().parse_args(web[1:])  # the console script's own parser accepts them
    assert args.func.__name__ == "cmd_serve" and (args.host, args.port) == ("0.0.0.0", 5000)
    worker = compose["services"]["worker"]["command"]
    assert worker[:2] == ["celery", "-A"] and worker[3] == "worker"
    module, attribute = worker[2].split(":")
    celery_app = getattr(importlib.import_module(module), attribute)
    assert isinstance(celery_app, Celery)
    assert {"maskwatch.video", "maskwatch.camera"} <= set(celery_app.tasks)
    health = compose["services"]["worker"]["healthcheck"]["test"][1]
    assert worker[2] in shlex.split(health)


def test_the_dockerfile_copies_what_exists_and_runs_the_server():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.M):
        for path in source.split():
            assert (REPO_ROOT / path).exists(), path
    assert 'CMD ["maskwatch", "serve"' in dockerfile and "download.pytorch.org/whl/cpu" in dockerfile
    assert "MASKWATCH_INSTANCE=/data" in dockerfile


def test_tls_proxy_fronts_the_web_server(compose):
    proxy = compose["services"]["proxy"]
    assert proxy["image"].startswith("caddy:")
    assert [p.split(":")[-1] for p in proxy["ports"]] == ["443"]
    assert proxy["depends_on"] == {"web": {"condition": "service_healthy"}}
    mount = next(v for v in proxy["volumes"] if v.endswith("/etc/caddy/Caddyfile:ro"))
    caddyfile = (REPO_ROOT / mount.split(":")[0]).read_text()
    assert "reverse_proxy web:5000" in caddyfile and "tls internal" in caddyfile
