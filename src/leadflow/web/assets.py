"""The UI's static files at addresses that change with their content.

Pages name each file with its fingerprint (`/static/app.css?v=3f2a...`), and a
request carrying the current fingerprint may be kept by the browser for a year:
a changed file gets a new address. Without cache headers every page view fetched
the stylesheet, the script and the icon again (three more requests per click).
A request without the fingerprint, or with an old one, is revalidated each time.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
PREFIX = "/static"
KEPT = "public, max-age=31536000, immutable"
REVALIDATED = "no-cache"


@lru_cache(maxsize=64)
def _digest(path: Path, modified_ns: int, size: int) -> str:
    # Keyed on the file's time and size: a file edited while the server runs gets a new one.
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def fingerprint(name: str, directory: Path = STATIC) -> str:
    path = directory / name
    stat = path.stat()
    return _digest(path, stat.st_mtime_ns, stat.st_size)


def static_url(name: str) -> str:
    """The address pages use for a static file: its path and its content's fingerprint."""
    return f"{PREFIX}/{name}?v={fingerprint(name)}"


class FingerprintedStaticFiles(StaticFiles):
    """Static files that say how long a browser may keep them (see the module's doc)."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [])
        current = _digest(Path(full_path), stat_result.st_mtime_ns, stat_result.st_size)
        response.headers["Cache-Control"] = KEPT if asked == [current] else REVALIDATED
        return response
