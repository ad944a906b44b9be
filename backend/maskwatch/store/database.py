"""The database extension (Flask-SQLAlchemy) and its migrations (Flask-Migrate), created unbound;
maskwatch.web.create_app binds them."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from ..paths import migrations_dir

db = SQLAlchemy()
# Batch mode: SQLite can only ALTER a table by copying it.
migrate = Migrate(directory=str(migrations_dir()), render_as_batch=True, compare_type=True)


def upgrade_database(app) -> None:
    """Apply every migration (creates the SQLite file on first start)."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
