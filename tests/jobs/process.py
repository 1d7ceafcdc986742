"""`hoctap worker` as a subprocess of a test, and waiting on what it does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

#: Loopback is refused by default once the harvest allow list lands (HOCTAP_HARVEST_ALLOW_HOSTS).
LOOPBACK = "127.0.0.1,localhost,::1"


def wait_for(predicate, what: str, limit: float = 90.0):
    """Poll `predicate` until it returns something true; fail (not hang) past `limit`."""
    deadline = time.monotonic() + limit
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


@dataclass
class Worker:
    process: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


def spawn_worker(settings: dict, log_path: Path, workers: int = 2) -> Worker:
    """Start `hoctap worker` with `settings` as its environment (over a clean one: no
    HOCTAP_* of the caller's shell), its output to `log_path`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOCTAP_")}
    env.update(
        SECRET_KEY="worker-test",
        HOCTAP_HARVEST_ALLOW_HOSTS=LOOPBACK,
        HOCTAP_JOB_HEARTBEAT_SECONDS="1",
        PYTHONUNBUFFERED="1",
    )
    env.update({key: str(value) for key, value in settings.items()})
    hoctap = Path(sys.executable).with_name("hoctap")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(hoctap), "worker", "--workers", str(workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return Worker(process, log_path)
