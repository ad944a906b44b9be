"""The error every layer above the store raises to answer a request with {"error": code, "message": text}."""


class ApiError(Exception):
    """Answered by api.errors.json_error(status, code, message); raised by routes, services and auth checks."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
