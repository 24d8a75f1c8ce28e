"""Pages name the stylesheet, scripts and icon by their content's fingerprint, and
browsers may keep a file fetched at its current fingerprint (leadflow/web/assets.py)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from leadflow.web.assets import KEPT, REVALIDATED, STATIC

ASSET = re.compile(r'(?:href|src)="(/static/[^"?]+)\?v=([0-9a-f]{12})"')
TEMPLATES = Path(STATIC).parent / "templates"


def test_each_asset_a_page_names_is_kept_at_its_fingerprint_and_revalidated_without_it(
    client: TestClient,
) -> None:
    named = dict(ASSET.findall(client.get("/login").text))
    assert set(named) == {"/static/app.css", "/static/app.js", "/static/favicon.svg"}

    for path, version in named.items():
        current = client.get(path, params={"v": version})
        bare = client.get(path)
        stale = client.get(path, params={"v": "0" * 12})
        assert current.status_code == 200, path
        assert current.headers["cache-control"] == KEPT, path
        assert bare.headers["cache-control"] == stale.headers["cache-control"] == REVALIDATED
        assert bare.content == current.content == (STATIC / path.split("/")[-1]).read_bytes()
        # What "revalidated" buys: the browser's copy is confirmed without the file.
        again = client.get(path, headers={"If-None-Match": bare.headers["etag"]})
        assert (again.status_code, again.content) == (304, b"")


def test_no_template_names_a_static_file_without_its_fingerprint() -> None:
    templates = list(TEMPLATES.rglob("*.html"))
    assert len(templates) > 50
    fingerprinted = sum(page.read_text().count("static_url(") for page in templates)
    bare = [page.name for page in templates if '"/static/' in page.read_text()]
    assert bare == []
    assert fingerprinted >= 7
