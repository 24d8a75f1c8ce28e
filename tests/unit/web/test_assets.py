"""A static file's fingerprint follows its content, also when it changes while the
server runs."""

from __future__ import annotations

import os
from pathlib import Path

from leadflow.web.assets import fingerprint


def test_the_fingerprint_changes_with_the_content_and_only_with_it(tmp_path: Path) -> None:
    style = tmp_path / "app.css"
    style.write_text("body { color: black }")
    first = fingerprint("app.css", tmp_path)
    assert fingerprint("app.css", tmp_path) == first

    style.write_text("body { color: navy }")
    stat = style.stat()
    os.utime(style, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    changed = fingerprint("app.css", tmp_path)

    assert len(first) == len(changed) == 12
    assert changed != first
