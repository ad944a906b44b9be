"""A test app on a SQLite file that outlives one test (module-scoped fixtures of the hostile-input and
fuzz tests: many inputs against one server, which must go on after each)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from maskwatch.config import TestConfig
from maskwatch.store.database import db
from maskwatch.web import create_app
from maskwatch.web.server import upgrade_database
from maskwatch.web.services import runner_of


@contextmanager
def sqlite_app(folder: Path, detector, **settings):
    """create_app on folder/maskwatch.db (schema upgraded), with config attributes from settings.

    Example: with sqlite_app(tmp_path, mask_detector, MAX_VIDEO_SECONDS=60) as app: app.test_client()
    """
    config = TestConfig(folder / "instance", f"sqlite:///{folder / 'maskwatch.db'}")
    for name, value in settings.items():
        setattr(config, name, value)
    app = create_app(config, detector=detector)
    upgrade_database(app.app_context)
    try:
        yield app
    finally:
        runner_of(app).shutdown(wait=True)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
