"""Flask extensions, created unbound; create_app binds them."""

from flask_migrate import Migrate
from flask_smorest import Api
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy

from .paths import REPO_ROOT

db = SQLAlchemy()
# Batch mode: SQLite can only ALTER a table by copying it.
migrate = Migrate(directory=str(REPO_ROOT / "migrations"), render_as_batch=True, compare_type=True)
socketio = SocketIO()
api = Api()
