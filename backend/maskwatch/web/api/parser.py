"""Blueprint base: flask-smorest's, with invalid parameters answered 400 rather than 422."""

from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser
from werkzeug.routing import IntegerConverter

from .schemas import MAX_ROW_ID


class ApiParser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = ApiParser()


class RowIdConverter(IntegerConverter):
    """<int:...> in every route: 0 .. MAX_ROW_ID, so /api/sources/99999999999999999999 is a 404, not a
    number that overflows the database driver (documented as the path parameter's maximum)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)
