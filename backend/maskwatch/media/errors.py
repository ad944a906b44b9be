class MediaError(ValueError):
    """A file or frame that cannot be used, with a message fit to show the user.

    code: short machine-readable reason (not_found, empty, too_large, unsupported_type, corrupt, too_many_pixels,
    too_long, busy).
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
