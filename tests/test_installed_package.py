"""MaskWatch installed from a wheel, away from the checkout: the wheel is built from the sdist (as `python -m build`
does, offline: --no-build-isolation with this venv's setuptools), installed into a fresh venv that borrows this
venv's dependencies but not its editable maskwatch, and `maskwatch detect` and `maskwatch serve` run from a folder
outside the repository on the migrations, weights and front end inside the wheel."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from maskwatch_testing.faces import ASTRONAUT_FACE
from maskwatch_testing.served import free_port

REPO = Path(__file__).resolve().parents[1]
#: Settings that would point the installed package back into a checkout.
CHECKOUT_SETTINGS = (
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
    "MASKWATCH_MODELS",
    "MASKWATCH_INSTANCE",
    "MASKWATCH_DATA",
    "MODEL_PATH",
    "FACE_DETECTOR_PATH",
    "FRONTEND_DIST",
)
STAND_IN_INDEX = "<!doctype html><title>MaskWatch</title><div id=app>stand-in front end</div>"


@dataclass
class Installed:
    venv: Path
    site_packages: Path
    work: Path  #: the working directory, outside the repository
    index_html: str  #: the index.html the wheel was built with
    env: dict

    def run(self, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(argv, cwd=self.work, env=self.env, capture_output=True, text=True, timeout=timeout)


def checkout_sources(dest: Path) -> None:
    """The checkout's files as a fresh clone has them (tracked and new, not ignored), and its frontend/dist:
    the build leaves the checkout untouched and sees no build/ left by another one."""
    try:
        listed = (
            subprocess.run(
                ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                cwd=REPO,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .split("\0")
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"needs the repository's git checkout to list its files: {exc}")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    if (REPO / "frontend" / "dist" / "index.html").is_file():
        shutil.copytree(REPO / "frontend" / "dist", dest / "frontend" / "dist")


def run_checked(argv: list, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, **kwargs)
    assert done.returncode == 0, f"{argv}: {done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    tmp = tmp_path_factory.mktemp("installed")
    src = tmp / "src"
    checkout_sources(src)
    dist = src / "frontend" / "dist"
    if not (dist / "index.html").is_file():  # not built here (make frontend): a stand-in shows it is shipped
        (dist / "assets").mkdir(parents=True)
        (dist / "index.html").write_text(STAND_IN_INDEX)
        (dist / "assets" / "app-0123abcd.js").write_text("console.log('stand-in')\n")
    index_html = (dist / "index.html").read_text()

    python = sys.executable
    run_checked(
        [python, "-c", f"from setuptools import build_meta; build_meta.build_sdist({str(tmp / 'sdist')!r})"], cwd=src
    )
    (sdist,) = (tmp / "sdist").glob("maskwatch-*.tar.gz")
    run_checked(
        [
            python,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "-w",
            str(tmp / "wheel"),
            str(sdist),
        ],
        cwd=tmp,
    )
    (wheel,) = (tmp / "wheel").glob("maskwatch-*.whl")

    venv = tmp / "venv"
    run_checked([python, "-m", "venv", "--without-pip", str(venv)])
    new_python = str(venv / "bin" / "python")
    site_packages = Path(
        run_checked([new_python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()
    )
    # This venv's dependencies (torch and all) after the new venv's own site-packages. A directory named in a
    # .pth file is only put on sys.path: the .pth files inside it (the editable maskwatch's) are not read.
    borrowed = dict.fromkeys(site.getsitepackages())
    (site_packages / "zz_borrowed_dependencies.pth").write_text("".join(f"{path}\n" for path in borrowed))
    env = {k: v for k, v in os.environ.items() if k not in CHECKOUT_SETTINGS}
    env.update(OMP_NUM_THREADS="1", PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    # --ignore-installed: pip must not look at (or try to remove) the editable maskwatch it sees through the .pth
    run_checked(
        [
            new_python,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--ignore-installed",
            "--no-cache-dir",
            "--disable-pip-version-check",
            str(wheel),
        ],
        env=env,
    )
    work = tmp / "work"
    work.mkdir()
    return Installed(venv, site_packages, work, index_html, env)


def test_the_installed_package_finds_its_files_inside_itself(installed):
    probe = """if True:
        import json, os, maskwatch, maskwatch.paths as p, maskwatch.web.spa as w
        print(json.dumps({"file": maskwatch.__file__, "checkout": p.CHECKOUT_ROOT and str(p.CHECKOUT_ROOT),
                          "migrations": str(p.migrations_dir()), "models": str(p.models_dir()),
                          "classifier": str(p.default_classifier_path()),
                          "face_detector": str(p.default_face_detector_path()), "mtcnn": str(p.default_mtcnn_dir()),
                          "frontend": str(p.frontend_dist()), "instance": str(p.default_instance_dir()),
                          "cwd": os.getcwd(), "missing_page": w.missing_build_page()}))"""
    found = json.loads(installed.run("python", "-c", probe).stdout)
    package = installed.site_packages / "maskwatch"
    assert Path(found["file"]) == package / "__init__.py"
    assert found["checkout"] is None
    data = package / "_data"
    assert Path(found["migrations"]) == data / "migrations"
    assert sorted(p.name for p in (data / "migrations" / "versions").glob("*.py")) == sorted(
        p.name for p in (REPO / "migrations" / "versions").glob("*.py")
    )
    assert Path(found["models"]) == data / "models"
    for key in ("classifier", "face_detector", "mtcnn"):
        assert Path(found[key]).exists() and Path(found[key]).is_relative_to(data), key
    assert (data / "models" / "face_detector.json").is_file()
    assert Path(found["frontend"]) == data / "frontend"
    assert Path(found["instance"]) == Path(found["cwd"]) / "instance"
    # a wheel built without frontend/dist says where to get it
    assert "FRONTEND_DIST" in found["missing_page"] and "make frontend" in found["missing_page"]


def test_detect_runs_from_the_installed_package(installed, astronaut):
    picture = installed.work / "astronaut.jpg"
    Image.fromarray(astronaut).save(picture)
    done = installed.run("maskwatch", "detect", str(picture), "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    (result,) = [json.loads(line) for line in done.stdout.splitlines()]
    x1, y1, x2, y2 = ASTRONAUT_FACE
    assert [
        f
        for f in result["faces"]
        if x1 - 30 < f["box"][0] < f["box"][2] < x2 + 30 and y1 - 30 < f["box"][1] < f["box"][3] < y2 + 30
    ], result
    assert not (installed.work / "instance").exists()  # detecting needs no instance folder


def test_serve_runs_from_the_installed_package(installed):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = installed.work / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            ["maskwatch", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=installed.work,
            env=installed.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/api/health", timeout=2) as response:
                    health = json.loads(response.read())
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()[-4000:]
            time.sleep(0.3)
        assert health["status"] == "ok" and health["database"], health
        with urllib.request.urlopen(url + "/", timeout=10) as response:
            assert response.read().decode() == installed.index_html
        with urllib.request.urlopen(url + "/live", timeout=10) as response:  # the browser's route, same page
            assert response.read().decode() == installed.index_html
        # the schema came from the wheel's migrations, into instance/ of the working directory
        assert (installed.work / "instance" / "maskwatch.db").is_file()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_a_checkout_keeps_its_files_at_its_root(monkeypatch):
    from maskwatch import paths

    for name in CHECKOUT_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    assert paths.CHECKOUT_ROOT == REPO == paths.REPO_ROOT
    assert (paths.migrations_dir(), paths.models_dir(), paths.frontend_dist(), paths.default_instance_dir()) == (
        REPO / "migrations",
        REPO / "models",
        REPO / "frontend" / "dist",
        REPO / "instance",
    )
    assert paths.default_classifier_path() == REPO / "models" / "mask_classifier.pt"
    assert paths.default_face_detector_path() == REPO / "models" / "face_detector.onnx"
