"""The layering DESIGN.md promises, checked on the source: the core never imports the web layer, and
only web/ knows Socket.IO, the API framework and sign-in."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "backend" / "maskwatch"

#: Packages and modules below the web layer (package-relative paths, "x/" for a package).
CORE = (
    "detection/",
    "tracking.py",
    "monitor.py",
    "alerts.py",
    "publishing.py",
    "media/",
    "store/",
    "training/",
    "jobs/",
    "config.py",
    "paths.py",
    "errors.py",
    "memory.py",
    "detector_service.py",
    "retention.py",
    "services.py",
)
#: The one core module that binds the Flask extensions the stack names (Flask-SQLAlchemy, Flask-Migrate); the
#: rest of the store uses its `db` inside Services.store_scope.
STORE_BINDING = "store/database.py"
#: Everything else of the core needs no Flask at all: jobs, cameras, retention and the spool are handed their
#: Services by the composition root instead of reaching for current_app.
FRAMEWORK_FREE = tuple(p for p in CORE if p != "store/")
#: What only web/ may import.
WEB_ONLY = ("flask_socketio", "socketio", "flask_smorest", "flask_limiter", "gunicorn", "maskwatch.web")
FLASK = ("flask", "flask_sqlalchemy", "flask_migrate", "werkzeug")


def module_name(path: Path) -> str:
    parts = ["maskwatch", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, name: str | None = None) -> set[str]:
    """Every module the file imports (at module level or inside functions), relative imports resolved
    against its module name (default: where it lies in the package)."""
    name = name or module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)  # `from . import live` imports a module
    return names


def files(prefixes) -> list[Path]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if any(relative == p or (p.endswith("/") and relative.startswith(p)) for p in prefixes):
            found.append(path)
    return found


def offending(path: Path, forbidden, name: str | None = None) -> list[str]:
    return sorted(
        name for name in imported(path, name) if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


@pytest.mark.parametrize("path", files(CORE), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_the_core_never_imports_the_web_layer(path):
    assert offending(path, WEB_ONLY) == []


def framework_free_files() -> list[Path]:
    return files(FRAMEWORK_FREE) + [p for p in files(("store/",)) if p != PACKAGE / STORE_BINDING]


@pytest.mark.parametrize("path", framework_free_files(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_nothing_outside_web_needs_flask(path):
    assert offending(path, FLASK + WEB_ONLY) == []


def test_the_store_binds_the_database_extensions_and_nothing_more_of_flask():
    assert offending(PACKAGE / STORE_BINDING, FLASK) == [
        "flask_migrate",
        "flask_migrate.Migrate",
        "flask_migrate.upgrade",
        "flask_sqlalchemy",
        "flask_sqlalchemy.SQLAlchemy",
    ]


def test_only_the_web_layer_and_the_composition_root_reach_the_flask_app():
    """current_app and app_context are the web layer's; runtime.py and cli.py (through runtime) assemble."""
    reaching = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if ("current_app" in path.read_text() or "app_context" in path.read_text())
        and not path.relative_to(PACKAGE).as_posix().startswith("web/")
    ]
    assert reaching == []


def test_the_checker_sees_a_web_import(tmp_path):
    """The walk resolves relative imports: a core module reaching up into web/ is found."""
    probe = tmp_path / "probe.py"
    probe.write_text("import numpy\nfrom ..web.events import camera_room\n\ndef f():\n    from ..web import live\n")
    found = offending(probe, WEB_ONLY, name="maskwatch.store.probe")
    assert "maskwatch.web.events" in found and "maskwatch.web.live" in found and "numpy" not in found


def test_socketio_names_live_in_one_module():
    """'/live' and '/jobs' are spelled once, in web/events.py."""
    spelled = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if '"/live"' in path.read_text() or '"/jobs"' in path.read_text()
    ]
    assert spelled == ["web/events.py"]


def test_the_readme_layout_names_every_module_and_package_of_the_tree():
    readme = (PACKAGE.parents[1] / "README.md").read_text()
    layout = readme[readme.index("## Layout") :]
    layout = layout[: layout.index("```", layout.index("```") + 3)]
    paths, mentioned = set(), set()
    for word in layout.replace(",", " ").replace(":", " ").split():
        if word.startswith("backend/maskwatch/"):
            paths.add(word.removeprefix("backend/maskwatch/").rstrip("/"))
        elif word.endswith(".py"):
            mentioned.add(word)
    tree = {p.name for p in PACKAGE.iterdir() if p.suffix == ".py" and p.name != "__init__.py"}
    tree |= {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert sorted(tree - paths - mentioned) == [], "modules missing from README's Layout"
    assert sorted(n for n in paths if not (PACKAGE / n).exists()) == [], "README's Layout names what is not there"
