"""URL patterns anchored at the page's host, so that "/sources" matches /sources and not /login?next=/sources."""

from __future__ import annotations

import re


def at(path_pattern: str) -> re.Pattern:
    """A pattern for expect(page).to_have_url that matches the whole path and query after the host."""
    return re.compile(rf"^https?://[^/]+{path_pattern}$")
