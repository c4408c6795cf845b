"""Start the app or the bare server under gunicorn (the Procfile's command), and read the
worker's CPU time and memory from /proc."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def procfile_web() -> list[str]:
    """The Procfile's web command, with gunicorn from this interpreter's environment."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            command = shlex.split(line.split(":", 1)[1])
            return [str(Path(sys.executable).parent / command[0]), *command[1:]]
    raise RuntimeError("Procfile has no web command")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_bytes(pid: int) -> int:
    """Resident memory of the process now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


@dataclass
class Server:
    """One gunicorn master with one gevent worker, serving `app` (a module:variable)."""

    name: str
    app: str
    cwd: Path
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    peak_rss: int = 0
    _sampling: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        """Start and wait until the worker accepts connections."""
        command = [*procfile_web()[:-1], self.app, "--bind", f"127.0.0.1:{self.port}"]
        env = {**os.environ, "PYTHONPATH": str(ROOT), **self.env}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(command, cwd=self.cwd, env=env, stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    time.sleep(1)  # let imports and the first request settle before "idle"
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start; see {self.log}")

    @property
    def worker(self) -> int:
        """The pid of gunicorn's single worker."""
        assert self.proc is not None
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        (pid,) = children.split()
        return int(pid)

    def sample_memory(self) -> None:
        """Keep the peak resident memory of the worker until `stop_sampling`."""
        self._sampling, self.peak_rss = True, rss_bytes(self.worker)

        def sample() -> None:
            while self._sampling:
                self.peak_rss = max(self.peak_rss, rss_bytes(self.worker))
                time.sleep(0.1)

        threading.Thread(target=sample, daemon=True).start()

    def stop_sampling(self) -> None:
        self._sampling = False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
