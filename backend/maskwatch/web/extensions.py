"""The web layer's Flask extensions, created unbound; create_app binds them."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api
from flask_socketio import SocketIO

socketio = SocketIO()
api = Api()
# Only the routes that ask for it are limited (signing in); storage from RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=get_remote_address)
