"""Issue 20, item 3: two runs with the same run id. The second fails at once, naming the holder (pid,
host, start time), and touches nothing; the first finishes with its pages. A crashed holder's lock
(kill -9) is taken over by the next run. Real processes on the fixture site.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipelines.run import RunDir, RunLocked, lock_holder, run_lock
from tests.faults.runs import Run, crawling, wait_until

HOLD = textwrap.dedent("""
    import sys, time
    from pipelines.run import RunDir, run_lock
    with run_lock(RunDir(sys.argv[1], sys.argv[2]).create()):
        print("locked", flush=True)
        time.sleep(600)
""")


def _holder(out: Path, run_id: str) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(out), run_id], stdout=subprocess.PIPE, text=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert p.stdout is not None and p.stdout.readline().strip() == "locked"
    return p


def test_lock_is_exclusive_across_processes_and_names_its_holder(tmp_path):
    holder = _holder(tmp_path, "r1")
    try:
        run = RunDir(tmp_path, "r1").create()
        with pytest.raises(RunLocked) as exc, run_lock(run):
            pass
        msg = str(exc.value)
        assert f"pid {holder.pid} on host {socket.gethostname()}" in msg and "'r1' is already running" in msg
        assert lock_holder(run)["pid"] == holder.pid and lock_holder(run)["started"]
        with run_lock(RunDir(tmp_path, "r2").create()):  # another run id is not locked
            pass
    finally:
        holder.kill()
        holder.wait()


def test_lock_of_a_killed_holder_is_taken_over(tmp_path):
    holder = _holder(tmp_path, "r1")
    holder.send_signal(signal.SIGKILL)  # a crash: no cleanup ran, the lock file is still there
    holder.wait()
    run = RunDir(tmp_path, "r1")
    assert (run.sub("_state") / "lock").exists() and lock_holder(run)["pid"] == holder.pid
    with run_lock(run):
        assert lock_holder(run)["pid"] != holder.pid
        with run_lock(run):  # re-entrant in one process (the CLI holds it, then the flow takes it)
            pass
        assert lock_holder(run)["pid"] != holder.pid


@pytest.mark.slow
def test_second_run_of_a_run_id_fails_at_once_and_the_first_finishes(tmp_path):
    """The issue's case: the second run cleared pages/ under the first, which then shipped 0 pages."""
    from crawlqa.demo import demo_roots
    from crawlqa.devserver import FIXTURE_SITE, serve

    with serve(FIXTURE_SITE, latency=0.1) as site:
        roots = tmp_path / "roots.txt"
        roots.write_text("\n".join(demo_roots(site.url)) + "\n")
        args = ["--roots", str(roots), "--out", str(tmp_path / "out"), "--run-id", "r1", "--engine", "local",
                "--llm", "offline", "--delay", "0", "--concurrency", "8", "--max-depth", "4", "--max-pages", "60",
                "--allow-private"]
        run_path = tmp_path / "out" / "r1"
        first = Run(args, tmp_path, name="first")
        try:
            wait_until(lambda: crawling(first, run_path), 120, "the first run's crawl", first)
            crawl_log = (run_path / "_work" / "crawl" / "crawl.log").stat()
            second = Run(args, tmp_path, name="second")
            assert second.wait(60) == 1
            err = " ".join(second.err.split())
            assert f"run 'r1' is already running: pid {first.pid} on host {socket.gethostname()}" in err, err
            assert (run_path / "_work" / "crawl" / "crawl.log").stat().st_ino == crawl_log.st_ino  # untouched
            assert first.wait(240) == 0, first.err[-3000:]
        finally:
            first.kill()
    m = json.loads((run_path / "manifest.json").read_text())
    assert m["funnel"]["pages_fetched"] > 20 and m["funnel"]["kept"] > 0
