"""Camera URLs hold credentials: mask them before a URL (or a message naming it) leaves the server.

What is masked: every part of the user info (a user name alone can be the secret: rtsp://TOKEN@host), every
query value (cameras take ?pass=, ?auth=, ?sig=, ... under any name) and the fragment. The scheme, host, port
and path stay, so a person can still tell cameras apart.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
#: A URL in free text (an OpenCV or FFmpeg message may quote it), up to the first space or quote, without
#: the punctuation that ends a sentence.
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]*[^\s'\"<>.,:;)]")
#: password=... outside a URL, e.g. in a driver's message.
_SECRET_IN_TEXT = re.compile(r"(?i)((?:password|passwd|pwd|pass|token|key|secret|auth)=)[^&\s]*")


def _mask_query(query: str) -> str:
    """Every value masked, names kept: "user=a&pass=b&flag" -> "user=***&pass=***&***"."""
    parts = []
    for part in re.split(r"([&;])", query):
        if part in ("&", ";", ""):
            parts.append(part)
        else:
            name, equals, _ = part.partition("=")
            parts.append(f"{name}={MASK}" if equals else MASK)
    return "".join(parts)


def mask_url(url: str | None) -> str | None:
    """The URL with its user info, query values and fragment as ***; file paths as they are.

    Example: mask_url("rtsp://admin:hunter2@10.0.0.5:554/live?pass=x") == "rtsp://***:***@10.0.0.5:554/live?pass=***"
    """
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        user_info, _, host = netloc.rpartition("@")
        netloc = (f"{MASK}:{MASK}" if ":" in user_info else MASK) + "@" + host
    return urlunsplit((parts.scheme, netloc, parts.path, _mask_query(parts.query), MASK if parts.fragment else ""))


def mask_text(text: str | None, url: str | None = None) -> str | None:
    """Mask `url` (when given), every URL-looking part of a message, and password=... pairs."""
    if not text:
        return text
    if url:
        text = text.replace(url, mask_url(url))
    text = _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)
    # outside the URLs just masked (their values are *** already and must keep what follows them)
    pieces = re.split(f"({_URL_IN_TEXT.pattern})", text)
    return "".join(p if i % 2 else _SECRET_IN_TEXT.sub(rf"\1{MASK}", p) for i, p in enumerate(pieces))
