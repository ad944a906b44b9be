"""Camera URLs hold credentials: mask them before a URL (or a message naming it) leaves the server."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

#: scheme://user:password@ in free text (an OpenCV or FFmpeg message may quote the URL).
_CREDENTIALS_IN_TEXT = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*):[^/\s@]*@")


def mask_url(url: str | None) -> str | None:
    """rtsp://user:secret@host/x -> rtsp://user:***@host/x; a password-less user is kept; file paths as they are.

    Example: mask_url("rtsp://admin:hunter2@10.0.0.5:554/live") == "rtsp://admin:***@10.0.0.5:554/live"
    """
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    if parts.password is None and "@" not in parts.netloc:
        return mask_text(url)
    user_info, _, host = parts.netloc.rpartition("@")
    user = user_info.split(":", 1)[0]
    netloc = f"{user}:***@{host}" if ":" in user_info else f"{user}@{host}"
    query = re.sub(r"(?i)((?:password|passwd|pwd|token|key)=)[^&]*", r"\1***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_text(text: str | None, url: str | None = None) -> str | None:
    """Mask `url` (when given) and any scheme://user:password@ in a message."""
    if not text:
        return text
    if url:
        text = text.replace(url, mask_url(url) if "@" in url else url)
    text = _CREDENTIALS_IN_TEXT.sub(r"\1:***@", text)
    return re.sub(r"(?i)((?:password|passwd|pwd|token)=)[^&\s]*", r"\1***", text)
