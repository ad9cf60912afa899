"""Real ``crawlqa run`` processes for the operator-fault tests (Ctrl-C, kill -9, run lock).

Each run is started in its own session (so that a test can signal it, or its whole group, like a
terminal's Ctrl-C does) with its output in files; ``descendants`` lists what it started (psutil).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]
CRAWLQA = str(Path(sys.executable).with_name("crawlqa"))


class Run:
    """``crawlqa run ...`` (or another ``command``) in the background; ``out``/``err`` are its captured streams."""

    def __init__(self, args: list[str], logs: Path, name: str = "run", env: dict | None = None,
                 command: str = "run") -> None:
        self.args = [CRAWLQA, command, *args]
        self._out = logs / f"{name}.out"
        self._err = logs / f"{name}.err"
        base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_URL")}
        base.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_HOME=str(logs / "prefect-home"),
                    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120", COLUMNS="400")
        with open(self._out, "wb") as out, open(self._err, "wb") as err:
            self.proc = subprocess.Popen(self.args, cwd=logs, env=base | (env or {}), stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def out(self) -> str:
        return self._out.read_text(errors="replace")

    @property
    def err(self) -> str:
        return self._err.read_text(errors="replace")

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"crawlqa run still running after {timeout}s\n--- stdout ---\n{self.out[-3000:]}"
                                 f"\n--- stderr ---\n{self.err[-3000:]}") from None

    def signal(self, sig: int, group: bool = False) -> None:
        if group:
            os.killpg(self.pid, sig)
        else:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        """Kill the whole session (cleanup)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)

    def descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []


def wait_until(cond, timeout: float, what: str, run: Run | None = None) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        if run is not None and run.proc.poll() is not None:
            raise AssertionError(f"crawlqa run exited ({run.proc.returncode}) before {what}\n{run.out[-3000:]}\n"
                                 f"{run.err[-3000:]}")
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def is_crawler(p: psutil.Process) -> bool:
    """``python -m crawlers.worker JOB``: the crawl subprocess (not a fork server naming it)."""
    try:
        return p.cmdline()[1:3] == ["-m", "crawlers.worker"]
    except psutil.Error:
        return False


def crawling(run: Run, run_path: Path) -> bool:
    """The crawl subprocess of ``run`` is up and has started its crawl log."""
    return (run_path / "_work" / "crawl" / "crawl.log").exists() and any(
        is_crawler(p) for p in _alive(run.descendants()))


def _alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            continue
    return out


def left_over(procs: list[psutil.Process], timeout: float = 15.0) -> list[str]:
    """The processes of ``procs`` still alive ``timeout`` s from now (their command lines); none
    should be (they are killed at the end of the test either way)."""
    deadline = time.monotonic() + timeout
    alive = _alive(procs)
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = _alive(alive)
    names = []
    for p in alive:
        with contextlib.suppress(psutil.Error):
            names.append(f"{p.pid}: {' '.join(p.cmdline())[:120]}")
            p.kill()
    return names
