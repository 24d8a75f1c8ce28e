"""Demo additions: marketing forms, landing pages and an event."""

from __future__ import annotations

from leadflow.bootstrap import Container
from leadflow.demo.dataset import DemoLoaded


def extend(container: Container, loaded: DemoLoaded) -> list[str]:
    return []
