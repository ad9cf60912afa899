"""Live progress: log lines on a non-TTY run, the display's rules, the Prefect crawl artifact's updates.

The end-to-end test runs ``crawlqa crawl`` in a subprocess with stdout and stderr to pipes (not a
terminal) against the fixture site served slowly (latency per answer, 2 requests at a time), and
reads the progress lines it printed while the crawl ran.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from crawlqa.progress import ProgressDisplay, crawl_line
from pipelines import progress

LINE = re.compile(r"^crawl: (\d+)/(\d+) pages · ([\d.]+) pages/s · (ETA \S+|done) · queue (\d+) · rejects (\d+) · \S+$")
PROJECT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_progress_lines_on_a_non_tty_run(tmp_path):
    from crawlqa.devserver import FIXTURE_SITE, serve

    cfg = tmp_path / "slow.toml"
    cfg.write_text("""
[crawl]
download_delay = 0.0
autothrottle = false
concurrency = 1
concurrency_per_domain = 1
offline_dns = true
extract_workers = 1
max_depth = 2
max_pages = 24
""")
    with serve(FIXTURE_SITE, latency=0.7) as site:
        proc = subprocess.run(
            [sys.executable, "-m", "crawlqa.cli", "crawl", "--config", str(cfg), "--roots",
             f"{site.url}/wiki/index.html", "--out", str(tmp_path / "out"), "--run-id", "slow"],
            cwd=PROJECT, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == "crawl: starting, 1 root(s), budget 24 pages"  # at once, before Scrapy is up
    ticks = [m for m in map(LINE.match, lines) if m]
    running = [m for m in ticks if m.group(4) != "done"]
    # ~14 s of crawling (20 pages one at a time, 0.7 s each): a line every <= 4 s gives 3 or more
    # (at 2 x 0.4 s the crawl took ~5 s and an idle machine printed only one line before it ended)
    assert len(running) >= 2, proc.stderr
    for m in ticks:
        assert int(m.group(2)) == 24  # the page budget (max_pages, one root may use it all)
    fetched = [int(m.group(1)) for m in ticks]
    assert fetched == sorted(fetched) and fetched[-1] >= 1
    assert any(m.group(4).startswith("ETA ") and m.group(4) != "ETA ?" for m in running)
    final = [ln for ln in lines if ln.startswith("crawl: done, ")]
    assert final == [f"crawl: done, {_pages(tmp_path)} pages"]
    assert "\x1b[" not in proc.stderr  # no terminal control codes into a pipe


def _pages(tmp_path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in (tmp_path / "out" / "slow" / "pages").glob("*.parquet"))


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def snap(pages: int, done: bool = False) -> dict:
    return {"stage": "crawl", "pages": pages, "budget": 50, "rate": 2.0, "eta_s": (50 - pages) / 2.0,
            "queue": 3, "rejects": 1, "elapsed_s": pages / 2.0, "done": done}


def test_log_lines_at_most_every_interval_and_on_every_stage(monkeypatch):
    from rich.console import Console

    clock = Clock()
    monkeypatch.setattr("crawlqa.progress.time.monotonic", clock)
    console = Console(record=True, width=200, force_terminal=False)
    with ProgressDisplay(console, live=False, interval=4.0):
        progress.publish(snap(2))
        clock.t += 1.0
        progress.publish(snap(4))  # within 4 s of the last line: not printed
        clock.t += 3.5
        progress.publish(snap(11))
        progress.publish(snap(12, done=True))  # the end of the crawl is always printed
        progress.publish({"stage": "crawl", "done": True, "final": True, "pages": 12})
        progress.publish({"stage": "mine", "candidates": 40})
        progress.publish({"stage": "write", "shard": 0, "written": 30})
        progress.publish({"stage": "write", "shard": 1, "written": 5})
        progress.publish({"stage": "filter", "kept": 21})
    progress.publish(snap(13))  # after the block: no longer listening
    assert console.export_text().splitlines() == [
        "crawl: 2/50 pages · 2.0 pages/s · ETA 24s · queue 3 · rejects 1 · 1s",
        "crawl: 11/50 pages · 2.0 pages/s · ETA 20s · queue 3 · rejects 1 · 6s",
        "crawl: 12/50 pages · 2.0 pages/s · done · queue 3 · rejects 1 · 6s",
        "crawl: done, 12 pages",
        "mine: candidates 40",
        "write: candidates 40 · written 30 (1 shard)",
        "write: candidates 40 · written 35 (2 shards)",
        "filter: candidates 40 · written 35 (2 shards) · kept 21",
    ]


def test_quiet_shows_nothing():
    from rich.console import Console

    console = Console(record=True, width=200)
    with ProgressDisplay(console, live=False, enabled=False):
        progress.publish(snap(3))
    assert console.export_text() == ""


def test_terminal_display_renders_the_numbers():
    from rich.console import Console

    console = Console(record=True, width=160, force_terminal=True)
    with ProgressDisplay(console, live=True):
        progress.publish(snap(10))
        progress.publish({"stage": "mine", "candidates": 7})
    text = console.export_text()
    assert "10/50" in text and "2.0 pages/s · ETA 20s · queue 3 · rejects 1" in text
    assert "candidates 7" in text


def test_thread_listeners_hear_only_their_threads_crawls():
    heard: dict[str, list] = {"a": [], "b": []}

    def worker(name: str, ready: threading.Barrier) -> None:
        with progress.listen(heard[name].append, thread=True):
            targets = progress.listeners()
            ready.wait()
            progress.publish({"stage": "crawl", "who": name}, targets)

    ready = threading.Barrier(2)
    threads = [threading.Thread(target=worker, args=(n, ready)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert heard == {"a": [{"stage": "crawl", "who": "a"}], "b": [{"stage": "crawl", "who": "b"}]}


def test_the_crawl_progress_artifact_is_updated_while_the_crawl_runs(monkeypatch):
    import flows

    created, updates = [], []
    monkeypatch.setattr(flows, "create_progress_artifact", lambda p, key=None, description=None:
                        created.append((p, key, description)) or "artifact-id")
    monkeypatch.setattr(flows, "update_progress_artifact", lambda aid, p, description=None:
                        updates.append((aid, p, description)))
    clock = Clock()
    monkeypatch.setattr("time.monotonic", clock)
    with flows.crawl_progress_artifact("run-7", every=2.0):
        progress.publish(snap(5))
        clock.t += 1.0
        progress.publish(snap(6))  # within 2 s: skipped
        clock.t += 1.5
        progress.publish(snap(25))
        progress.publish({"stage": "mine", "candidates": 3})  # not the crawl's
        progress.publish({"stage": "crawl", "done": True, "final": True, "pages": 30})
    assert created == [(0.0, "crawlqa-run-7-crawl-progress", "crawl of run run-7: starting")]
    assert updates == [
        ("artifact-id", 10.0, f"crawl of run run-7: {crawl_line(snap(5))}"),
        ("artifact-id", 50.0, f"crawl of run run-7: {crawl_line(snap(25))}"),
        ("artifact-id", 100.0, "crawl of run run-7: crawl: done, 30 pages"),
    ]


def test_progress_within_a_write_shard(monkeypatch):
    from rich.console import Console

    clock = Clock()
    monkeypatch.setattr("time.monotonic", clock)
    console = Console(record=True, width=200)
    with ProgressDisplay(console, live=False, interval=4.0):
        ticker = progress.Ticker("writing", 300, every=1.0, shard=2)
        for n in range(1, 301):  # one record every 0.05 s: a tick at most every second
            clock.t += 0.05
            ticker.tick(n)
    lines = console.export_text().splitlines()
    done = [int(m.group(1)) for m in (re.fullmatch(r"writing: shard 2 · (\d+)/300 candidates", ln) for ln in lines) if m]
    assert len(done) == len(lines) and 3 <= len(done) <= 4, lines
    assert done[0] <= 21  # the first tick, after ~1 s
    assert all(b - a >= 79 for a, b in itertools.pairwise(done)), done  # lines >= 4 s (80 records) apart
    silent = progress.Ticker("writing", 5)  # nobody listening: nothing is built or sent
    clock.t += 10
    silent.tick(1)


def test_crawl_parts_are_shown_as_one_crawl(monkeypatch):
    from rich.console import Console

    clock = Clock()
    monkeypatch.setattr("crawlqa.progress.time.monotonic", clock)
    console = Console(record=True, width=200)
    with ProgressDisplay(console, live=False, interval=4.0):
        progress.publish(snap(4) | {"source": "crawl-part-000-of-002"})
        clock.t += 5
        progress.publish(snap(6) | {"source": "crawl-part-001-of-002"})
        progress.publish(snap(50, done=True) | {"source": "crawl-part-000-of-002", "rate": 5.0})  # within 4 s
        progress.publish(snap(40, done=True) | {"source": "crawl-part-001-of-002"})
    assert console.export_text().splitlines() == [
        "crawl: 4/50 pages · 2.0 pages/s · ETA 23s · queue 3 · rejects 1 · 2s",
        "crawl: 10/100 pages · 4.0 pages/s · ETA 22s · queue 6 · rejects 2 · 3s",  # both parts
        "crawl: 90/100 pages · 7.0 pages/s · done · queue 6 · rejects 2 · 25s",
    ]


def test_e2hqa_progress_lines():
    from rich.console import Console

    console = Console(record=True, width=200)
    with ProgressDisplay(console, live=False):
        progress.publish({"stage": "e2h", "written": 16})
        progress.publish({"stage": "filter", "kept": 9})
    assert console.export_text().splitlines() == ["e2h: written 16", "filter: written 16 · kept 9"]
