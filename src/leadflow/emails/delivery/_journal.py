"""Each worker's journal: what it handed to the SMTP server (see the package doc)."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

JOURNAL_DIR = "email-journal"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Journal:
    """One worker's record of what it handed to the SMTP server (see the module doc)."""

    def __init__(self, directory: Path, worker: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{worker.replace(':', '_')}.log"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def write(self, message_id: int, mark: str) -> None:
        os.write(self._fd, f"{message_id} {mark}\n".encode())

    def clear(self) -> None:
        os.ftruncate(self._fd, 0)

    def close(self) -> None:
        os.close(self._fd)
        self.path.unlink(missing_ok=True)

    @staticmethod
    def read(path: Path) -> dict[int, str]:
        """message id -> its last mark ("H": handed over, else the reply code)."""
        marks: dict[int, str] = {}
        if not path.exists():
            return marks
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit():
                marks[int(parts[0])] = parts[1]
        return marks
