"""Issue 20, items 2 and 3 for the other commands that run stages: ``crawlqa crawl``, ``crawlqa synth``
and ``crawlqa e2h`` hold the run lock (a second process on the same run id fails at once, naming the
holder, and touches nothing) and stop on one Ctrl-C (exit 130, the resume command printed, nothing
marked done). Real processes: the CLI on (slow) loopback copies of the fixture site.
"""

from __future__ import annotations

import json
import shlex
import signal
import socket
import subprocess

import pytest

from crawlqa.devserver import FIXTURE_SITE, serve
from tests.pipelines.test_run_lock import _holder

from .runs import CRAWLQA, Run, crawling, is_crawler, left_over, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def slow_site():
    with serve(FIXTURE_SITE, latency=0.3) as site:
        yield site


def _crawl_args(site, tmp_path, run_id: str = "r1", depth: int = 4) -> list[str]:
    from crawlqa.demo import demo_roots

    roots = tmp_path / "roots.txt"
    roots.write_text("\n".join(demo_roots(site.url)) + "\n")
    return ["--roots", str(roots), "--out", str(tmp_path / "out"), "--run-id", run_id, "--delay", "0",
            "--concurrency", "4", "--max-depth", str(depth), "--max-pages", "80", "--allow-private"]


def _cli(*args: str, cwd) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    return subprocess.run([CRAWLQA, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def _markers(run_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {p.name: p.read_text() for p in sorted((run_path / "_state").glob("*.json"))}


def test_a_second_crawl_of_a_run_id_fails_at_once(slow_site, tmp_path):
    args = _crawl_args(slow_site, tmp_path)
    run_path = tmp_path / "out" / "r1"
    first = Run(args, tmp_path, name="first", command="crawl")
    try:
        wait_until(lambda: crawling(first, run_path), 120, "the first crawl", first)
        crawl_log = (run_path / "_work" / "crawl" / "crawl.log").stat()
        second = Run(args, tmp_path, name="second", command="crawl")
        try:
            assert second.wait(60) == 1, second.err[-3000:]
        finally:
            second.kill()
        err = " ".join(second.err.split())
        assert f"error: run 'r1' is already running: pid {first.pid} on host {socket.gethostname()}" in err, err
        assert "Traceback" not in second.err
        assert (run_path / "_work" / "crawl" / "crawl.log").stat().st_ino == crawl_log.st_ino  # untouched
        assert first.wait(240) == 0, first.err[-3000:]
    finally:
        first.kill()
    m = json.loads((run_path / "manifest.json").read_text())
    assert m["funnel"]["pages_fetched"] > 20


def test_one_sigint_stops_a_crawl(slow_site, tmp_path):
    run_path = tmp_path / "out" / "r1"
    run = Run(_crawl_args(slow_site, tmp_path), tmp_path, command="crawl")
    try:
        wait_until(lambda: crawling(run, run_path), 120, "the crawl to start", run)
        children = run.descendants()
        assert any(is_crawler(p) for p in children)
        run.signal(signal.SIGINT, group=True)  # a terminal's Ctrl-C
        assert run.wait(30) == 130, run.err[-3000:]
        assert left_over(children) == []
    finally:
        run.kill()
    err = " ".join(run.err.split())
    assert "interrupted: run r1 stopped" in err, err
    resume = shlex.split(err.split("resume it with: ", 1)[1].split(" --run-id r1", 1)[0] + " --run-id r1")
    assert resume[:2] == ["crawlqa", "crawl"] and resume[-2:] == ["--run-id", "r1"]
    assert "--max-depth" in resume
    assert not (run_path / "_state" / "crawl.json").exists() and not (run_path / "manifest.json").exists()


@pytest.fixture(scope="module")
def crawled(fixture_site, tmp_path_factory):
    """A finished crawl and synth (offline) of the fixture site: ``OUT/r1``."""
    tmp = tmp_path_factory.mktemp("crawled")
    args = _crawl_args(fixture_site, tmp, depth=1)
    p = _cli("crawl", *args, cwd=tmp)
    assert p.returncode == 0, p.stderr[-3000:]
    p = _cli("synth", str(tmp / "out" / "r1"), "--llm", "offline", cwd=tmp)
    assert p.returncode == 0, p.stderr[-3000:]
    return tmp / "out"


def test_synth_of_a_locked_run_fails_at_once_and_touches_nothing(crawled, tmp_path):
    run_path = crawled / "r1"
    before = _markers(run_path)
    assert {"crawl.json", "mine.json", "filter.json"} <= set(before)
    holder = _holder(crawled, "r1")  # another process (a synth, a crawl) holds the run
    try:
        p = _cli("synth", str(run_path), "--llm", "offline", "--redo", cwd=tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert p.returncode == 1, p.stderr[-3000:]
    err = " ".join(p.stderr.split())
    assert f"error: run 'r1' is already running: pid {holder.pid} on host {socket.gethostname()}" in err, err
    assert "Traceback" not in p.stderr
    assert _markers(run_path) == before, "--redo removed no marker of the locked run"


def test_e2h_of_a_locked_run_id_fails_at_once(crawled, tmp_path):
    holder = _holder(crawled, "e1")
    try:
        p = _cli("e2h", "--corpus", str(crawled / "r1"), "--out", str(crawled), "--run-id", "e1", "--llm", "offline",
                 "--engine", "local", cwd=tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert p.returncode == 1, p.stderr[-3000:]
    err = " ".join(p.stderr.split())
    assert f"error: run 'e1' is already running: pid {holder.pid} on host {socket.gethostname()}" in err, err
    assert not (crawled / "e1" / "_state" / "e2h.json").exists() and not (crawled / "e1" / "manifest.json").exists()
