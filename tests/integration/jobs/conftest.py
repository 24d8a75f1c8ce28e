"""The `tag` fixture and the `test.steps` job kind for the jobs tests."""

from tests.support.job_kinds import tag

__all__ = ["tag"]
