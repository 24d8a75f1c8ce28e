"""A task travels through Redis to a real `leadflow worker` process and back."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from leadflow.bootstrap import Container
from leadflow.contacts.services import create_contact
from tests.conftest import make_settings


@pytest.fixture
def worker_env(database_url: str, redis_server_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LEADFLOW_DATABASE_URL": database_url,
        "LEADFLOW_REDIS_URL": redis_server_url,
        "LEADFLOW_QUEUE_NAME": f"leadflow-test-{uuid.uuid4().hex[:8]}",
        "LEADFLOW_VAR_DIR": str(tmp_path / "worker-var"),
        "LEADFLOW_SECRET_KEY": "test-secret",
    }


def test_a_worker_process_runs_a_task_queued_on_redis(
    container: Container, worker_env: dict[str, str], tmp_path: Path
) -> None:
    with container.uow() as uow:
        for index in range(3):
            create_contact({"email": f"worker{index}@example.com"}, uow=uow)
        uow.commit()
    producer = Container(
        make_settings(
            worker_env["LEADFLOW_DATABASE_URL"],
            tmp_path / "producer-var",
            redis_url=worker_env["LEADFLOW_REDIS_URL"],
            huey_immediate=False,
            queue_name=worker_env["LEADFLOW_QUEUE_NAME"],
        )
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "leadflow", "worker", "--workers", "1"],
        env=worker_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert type(producer.queue.huey).__name__ == "RedisHuey"
        result = producer.queue.enqueue("system.health")
        outcome = result.get(blocking=True, timeout=60)
        assert outcome == {"database": container.engine.dialect.name, "contacts": 3}
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        producer.queue.huey.storage.flush_all()
        producer.close()
    assert "system.health" in output
