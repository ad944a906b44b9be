"""Flask extensions, created unbound; create_app binds them."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy

from .paths import migrations_dir

db = SQLAlchemy()
# Batch mode: SQLite can only ALTER a table by copying it.
migrate = Migrate(directory=str(migrations_dir()), render_as_batch=True, compare_type=True)
socketio = SocketIO()
api = Api()
# Only the routes that ask for it are limited (signing in); storage from RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=get_remote_address)
