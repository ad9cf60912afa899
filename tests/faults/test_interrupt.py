"""Issue 20, item 2: one Ctrl-C stops ``crawlqa run`` promptly (both engines), nothing is retried,
it exits 130 and says how to resume; after ``kill -9`` of the run's process its crawler and
extraction workers die too. Real processes: the CLI on a slow loopback copy of the fixture site
(every answer 0.3 s late, so the crawl is still running when the signal comes).
"""

from __future__ import annotations

import shlex
import signal

import pytest

from crawlqa.devserver import FIXTURE_SITE, serve

from .runs import Run, crawling, is_crawler, left_over, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def slow_site():
    with serve(FIXTURE_SITE, latency=0.3) as site:
        yield site


def _args(site, tmp_path, engine: str, run_id: str = "r1") -> list[str]:
    from crawlqa.demo import demo_roots

    roots = tmp_path / "roots.txt"
    roots.write_text("\n".join(demo_roots(site.url)) + "\n")
    return ["--roots", str(roots), "--out", str(tmp_path / "out"), "--run-id", run_id, "--engine", engine,
            "--llm", "offline", "--delay", "0", "--concurrency", "4", "--max-depth", "4", "--max-pages", "80",
            "--allow-private"]


@pytest.mark.parametrize(("engine", "group"), [("local", False), ("local", True), ("prefect", True)],
                         ids=["local-pid", "local-ctrl-c", "prefect-ctrl-c"])
def test_one_sigint_stops_the_run(slow_site, tmp_path, engine, group):
    """``group``: the signal goes to the whole process group, as a terminal's Ctrl-C does (with the
    Prefect engine, Prefect's temporary API server gets it too)."""
    run_path = tmp_path / "out" / "r1"
    run = Run(_args(slow_site, tmp_path, engine), tmp_path)
    try:
        wait_until(lambda: crawling(run, run_path), 180, "the crawl to start", run)
        children = run.descendants()
        assert any(is_crawler(p) for p in children)
        run.signal(signal.SIGINT, group=group)
        code = run.wait(30)  # generous: ~1 s locally, ~4 s with Prefect, at most its 10 s grace
        assert code == 130, run.err[-3000:]
        assert left_over(children) == []
    finally:
        run.kill()
    err = " ".join(run.err.split())
    assert "interrupted: run r1 stopped" in err
    resume = err.split("resume it with: ", 1)[1].split(" --run-id r1", 1)[0] + " --run-id r1"
    assert shlex.split(resume)[:2] == ["crawlqa", "run"] and "--engine " + engine in resume
    # nothing was retried, nothing was marked done
    assert "Retry 1/" not in run.out + run.err  # Prefect's line for a task retried after 5 s
    assert not (run_path / "_state" / "crawl.json").exists()
    assert not (run_path / "manifest.json").exists()


def test_interrupted_run_resumes_with_the_printed_command(slow_site, tmp_path):
    run_path = tmp_path / "out" / "r1"
    first = Run(_args(slow_site, tmp_path, "local"), tmp_path, name="first")
    try:
        wait_until(lambda: crawling(first, run_path), 120, "the crawl to start", first)
        first.signal(signal.SIGINT)
        assert first.wait(30) == 130
    finally:
        first.kill()
    resume = " ".join(first.err.split()).split("resume it with: ", 1)[1]
    args = shlex.split(resume)
    assert args[:2] == ["crawlqa", "run"] and args[-2:] == ["--run-id", "r1"]
    second = Run(args[2:], tmp_path, name="second")
    try:
        assert second.wait(240) == 0, second.err[-3000:]
    finally:
        second.kill()
    import json

    m = json.loads((run_path / "manifest.json").read_text())
    assert m["funnel"]["pages_fetched"] > 20 and m["funnel"]["kept"] > 0


@pytest.mark.parametrize("engine", ["local", "prefect"])
def test_kill_9_of_the_run_kills_its_crawler_and_workers(slow_site, tmp_path, engine):
    """With Prefect, its temporary API server (uvicorn) goes too (the run's watchdog)."""
    run_path = tmp_path / "out" / "r1"
    run = Run(_args(slow_site, tmp_path, engine), tmp_path)
    try:
        wait_until(lambda: crawling(run, run_path), 120, "the crawl to start", run)
        wait_until(lambda: sum("forkserver" in " ".join(p.cmdline()) for p in run.descendants()) >= 2, 60,
                   "the extraction workers", run)
        children = run.descendants()
        if engine == "prefect":
            assert any("uvicorn" in " ".join(p.cmdline()) for p in children)
        run.signal(signal.SIGKILL)  # the run's process only, not its group
        assert run.wait(10) == -signal.SIGKILL
        assert left_over(children) == []
    finally:
        run.kill()


def test_crawler_interrupted_alone_is_not_retried(slow_site, tmp_path):
    """A SIGINT that reaches only the crawl subprocess (it used to come back as a transient
    'crashed crawler' and be retried after 5 s and 30 s): the run stops, nothing is retried."""
    run_path = tmp_path / "out" / "r1"
    run = Run(_args(slow_site, tmp_path, "prefect"), tmp_path)
    try:
        wait_until(lambda: crawling(run, run_path), 180, "the crawl to start", run)
        children = run.descendants()
        crawler = next(p for p in children if is_crawler(p))
        crawler.send_signal(signal.SIGINT)
        assert run.wait(60) == 130, run.err[-3000:]
        assert left_over(children) == []
    finally:
        run.kill()
    assert "Retry 1/" not in run.out + run.err
    assert "Crash detected! Execution was aborted by an interrupt signal" in run.err  # not a failure to retry
    assert "interrupted: run r1 stopped" in " ".join(run.err.split())
    assert not (run_path / "_state" / "crawl.json").exists()
