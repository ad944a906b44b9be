"""The database extension (Flask-SQLAlchemy) and its migrations (Flask-Migrate), created unbound;
maskwatch.web.create_app binds them. The one module outside web/ that names the Flask extensions: the rest of
the store uses `db` and runs inside Services.store_scope."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from ..paths import migrations_dir

db = SQLAlchemy()
# Batch mode: SQLite can only ALTER a table by copying it.
migrate = Migrate(directory=str(migrations_dir()), render_as_batch=True, compare_type=True)


def upgrade_database(store_scope) -> None:
    """Apply every migration (creates the SQLite file on first start); store_scope: Services.store_scope."""
    from flask_migrate import upgrade

    with store_scope():
        upgrade()
