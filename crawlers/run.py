"""``crawl()``: one crawl, start to finish, callable any number of times in one process.

The crawl itself runs in a subprocess (``python -m crawlers.worker``): Twisted's reactor cannot be
restarted, so a fresh interpreter per crawl is what lets a Prefect flow run crawl again and again.
The subprocess writes a spool in ``work_dir``; this process then writes the shards from it
(``crawlers.finalize``) and returns the shard list, counters and Scrapy stats for the manifest.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from crawlers.config import CrawlConfig
from crawlers.finalize import finalize
from crawlers.progress import PROGRESS_FILE, budget_of
from crawlers.progress import watch as watch_progress
from crawlers.worker import EXIT_INTERRUPTED
from pipelines.shards import ShardInfo

log = logging.getLogger("crawlqa.crawl")

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CrawlResult:
    pages: list[ShardInfo]
    rejects: list[ShardInfo]
    counters: dict[str, int]  # 'crawl/...' and 'extract/...'
    stats: dict  # Scrapy stats: requests, responses by status, bytes, duration, robots forbidden...
    per_root: dict[str, int] = field(default_factory=dict)  # pages written per root
    empty_roots: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


_SECRET_ENV = re.compile(r"(API_KEY|SECRET|TOKEN|PASSWORD)", re.I)


class CrawlError(RuntimeError):
    """The crawl subprocess failed (a programming or configuration error, not a bad page)."""


class CrawlInterrupted(KeyboardInterrupt):
    """The crawl was stopped on purpose (Ctrl-C: ``stop_crawls``): never a transient error to retry."""


_LIVE: set[subprocess.Popen] = set()   # crawl subprocesses of this process, while they run
_LIVE_LOCK = threading.Lock()
_STOPPING = threading.Event()


def stopping() -> bool:
    """Whether ``stop_crawls`` was called (the run is being stopped: nothing is retried)."""
    return _STOPPING.is_set()


def stop_crawls() -> int:
    """Kill every crawl subprocess of this process now (their extraction workers die with them) and
    make the crawls waiting on them raise ``CrawlInterrupted``; return how many were running."""
    _STOPPING.set()
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for p in procs:
        try:
            p.kill()
        except OSError as exc:  # already gone
            log.debug("crawl subprocess %d: %s", p.pid, exc)
    return len(procs)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run_subprocess(job: dict, work_dir: Path, timeout: float | None) -> dict:
    """Run the crawl job in a fresh interpreter; return its result.json."""
    job_path = work_dir / "job.json"
    job_path.write_text(json.dumps(job, indent=1), encoding="utf-8")
    # The crawler needs no credentials: the LLM key (and anything secret-looking) stays out of its env.
    env = {k: v for k, v in os.environ.items() if not _SECRET_ENV.search(k)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    out_path = work_dir / "subprocess.out"
    if _STOPPING.is_set():
        raise CrawlInterrupted("the run is stopping: no new crawl")
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crawlers.worker", str(job_path)], cwd=str(work_dir), env=env,
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        with _LIVE_LOCK:
            _LIVE.add(proc)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise CrawlError(f"crawl did not finish within {timeout}s; log: {work_dir / 'crawl.log'}") from exc
        finally:  # a timeout, Ctrl-C (KeyboardInterrupt) or any error: the crawler stops with us
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            with _LIVE_LOCK:
                _LIVE.discard(proc)
    if _STOPPING.is_set():  # killed by stop_crawls (Ctrl-C): stopped on purpose, not a crashed crawler
        raise CrawlInterrupted(f"crawl stopped (exit {proc.returncode})")
    if proc.returncode in (EXIT_INTERRUPTED, -signal.SIGINT, -signal.SIGTERM):
        raise CrawlInterrupted(f"the crawl process was stopped by a signal (exit {proc.returncode}); not retried, "
                               f"re-run the run id to resume")
    if proc.returncode != 0 or not Path(job["result"]).is_file():
        raise CrawlError(
            f"crawl subprocess exited with {proc.returncode}\n{_tail(out_path)}\n{_tail(work_dir / 'crawl.log')}")
    result = json.loads(Path(job["result"]).read_text(encoding="utf-8"))
    stats = result.get("stats", {})
    if job.get("roots") and stats.get("finish_reason", "") in ("", "shutdown"):
        # Scrapy swallows an exception raised while opening the spider (a missing dependency, a
        # broken pipeline) and exits 0 with nothing crawled: that is a failed crawl, not an empty one.
        raise CrawlError(
            f"crawl subprocess stopped early (finish_reason={stats.get('finish_reason')!r}, "
            f"waves={result.get('waves')})\n{_tail(out_path)}\n{_tail(work_dir / 'crawl.log')}")
    return result


def _warm_finalize() -> None:
    """Pay the first-use costs of writing shards (pyarrow loads its pandas bridge, ~0.2 s, the first
    time a process builds an array) while the crawl subprocess runs, not after it."""
    try:
        import pyarrow as pa

        pa.array([0])
    except Exception as exc:  # only a warm-up: finalize would pay it instead
        log.debug("finalize warm-up failed: %s", exc)


def _progress_publisher():
    """Publishes the crawl's snapshots to the listeners of the calling thread (``pipelines.progress``),
    in its context (a Prefect task's run context reaches the watcher thread)."""
    import contextvars

    from pipelines import progress

    targets = progress.listeners()
    ctx = contextvars.copy_context()
    return lambda snap: ctx.run(progress.publish, snap, targets)


def crawl(
    roots: list[str],
    cfg: CrawlConfig,
    *,
    pages_dir: Path,
    rejects_dir: Path,
    cache_dir: Path,
    work_dir: Path,
    run_id: str,
    rejects_start_index: int = 0,
) -> CrawlResult:
    """Crawl ``roots`` and write ``pages_dir`` / ``rejects_dir`` shards (see the module doc).

    ``cache_dir`` is the HTTP cache shared by the runs under one output folder; ``work_dir`` a scratch
    folder for this crawl (job file, spool, ``crawl.log``). Raises ``CrawlError`` only when the crawl
    process itself fails; unreachable roots and bad pages are counted rejects.
    """
    if not roots:
        raise ValueError("crawl() needs at least one root URL")
    from crawlers.urls import has_userinfo, redact_url

    for root in roots:
        if has_userinfo(root):  # a configuration error; the message never shows the password
            raise ValueError(f"root URL carries a user name/password (credentials in root URLs are not "
                             f"supported): {redact_url(root)[:200]}")
    work_dir = Path(work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = Path(cache_dir).resolve()
    cache_dir.mkdir(parents=True, exist_ok=True)
    spool = work_dir / "spool.sqlite"
    for stale in (spool, Path(f"{spool}-wal"), Path(f"{spool}-shm"), work_dir / "result.json"):
        stale.unlink(missing_ok=True)
    job = {"roots": list(roots), "cfg": cfg.model_dump(mode="json"), "cache_dir": str(cache_dir),
           "parent_pid": os.getpid(),  # the crawl process dies with this one (crawlers.lifeline)
           "work_dir": str(work_dir), "spool": str(spool), "result": str(work_dir / "result.json"),
           "progress": str(work_dir / PROGRESS_FILE)}
    log.info("crawling %d root(s), depth %d, <= %d pages/root, <= %d pages",
             len(roots), cfg.max_depth, cfg.max_pages_per_root, cfg.max_pages)
    t0 = time.monotonic()
    warm = threading.Thread(target=_warm_finalize, name="crawlqa-warm-finalize", daemon=True)
    warm.start()  # while the crawl runs in its subprocess
    to_listeners = _progress_publisher()

    def publish(snap: dict) -> None:  # the source tells parallel crawls (crawl parts) apart
        to_listeners(snap | {"source": work_dir.name})

    publish({"stage": "crawl", "starting": True, "pages": 0, "budget": budget_of(cfg, len(roots)),
             "roots": len(roots)})
    with watch_progress(Path(job["progress"]), publish):
        result = run_subprocess(job, work_dir, cfg.run_timeout)
    t1 = time.monotonic()
    warm.join()
    fin = finalize(spool, list(roots), cfg, pages_dir=Path(pages_dir), rejects_dir=Path(rejects_dir),
                   run_id=run_id, rejects_start_index=rejects_start_index)
    counters = {k: v for k, v in result["counters"].items() if "/dropped/" not in k}
    for k, v in fin.counters.items():
        counters[k] = counters.get(k, 0) + v
    stats = dict(result["stats"])
    stats["waves"] = result.get("waves", 0)
    stats["root_profiles"] = {roots[int(i)]: name for i, name in result.get("root_profiles", {}).items()}
    stats["wall_s"] = result.get("wall_s", 0.0)
    stats["subprocess_s"] = round(t1 - t0, 3)
    stats["finalize_s"] = round(time.monotonic() - t1, 3)
    for scratch in (spool, Path(f"{spool}-wal"), Path(f"{spool}-shm")):
        scratch.unlink(missing_ok=True)  # everything it holds is in the shards now
    stats["empty_roots_why"] = fin.empty_root_reasons
    for root, why in fin.empty_root_reasons.items():
        log.warning("root yielded no page: %s (%s)", root, why)
    return CrawlResult(pages=fin.pages, rejects=fin.rejects, counters=dict(sorted(counters.items())),
                       stats=stats, per_root=fin.per_root, empty_roots=fin.empty_roots)
