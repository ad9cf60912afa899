"""The live progress of a CLI run: a rich display on a terminal, plain log lines otherwise.

It listens to ``pipelines.progress`` (crawl snapshots about once a second, then one event per
finished stage) for the duration of a ``with`` block. On a terminal: a progress bar of pages
fetched / budget with pages/s, ETA, queue and rejects, then a line with candidates, written and kept.
Elsewhere (a pipe, a log file, CI): one line at most every ``interval`` seconds while the crawl runs
(each with fetched/budget pages, the rate and the ETA) and one line per finished stage.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from rich.console import Console

from pipelines import progress


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = round(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def crawl_line(ev: dict) -> str:
    """``crawl: 120/1000 pages · 3.4 pages/s · ETA 4m18s · queue 12 · rejects 3``."""
    if ev.get("final"):
        return f"crawl: done, {ev.get('pages', 0)} pages{' (resumed)' if ev.get('resumed') else ''}"
    if ev.get("starting"):
        return f"crawl: starting, {ev.get('roots', 0)} root(s), budget {ev.get('budget', 0)} pages"
    eta = "done" if ev.get("done") else f"ETA {fmt_duration(ev.get('eta_s'))}"
    return (f"crawl: {ev.get('pages', 0)}/{ev.get('budget', 0)} pages · {ev.get('rate', 0.0):.1f} pages/s · {eta}"
            f" · queue {ev.get('queue', 0)} · rejects {ev.get('rejects', 0)} · {fmt_duration(ev.get('elapsed_s'))}")


def combine(snaps: list[dict]) -> dict:
    """One snapshot for crawls running side by side: counts and rates add up, the ETA follows."""
    if len(snaps) == 1:
        return snaps[0]
    out: dict = {"stage": "crawl"}
    for k in ("pages", "budget", "queue", "rejects", "roots", "requests"):
        out[k] = sum(int(s.get(k) or 0) for s in snaps)
    out["rate"] = round(sum(float(s.get("rate") or 0.0) for s in snaps), 2)
    out["elapsed_s"] = max(float(s.get("elapsed_s") or 0.0) for s in snaps)
    out["done"] = all(s.get("done") for s in snaps)
    out["starting"] = all(s.get("starting") for s in snaps)
    left = out["budget"] - out["pages"]
    out["eta_s"] = left / out["rate"] if out["rate"] > 0 and left > 0 and not out["done"] else None
    return out


class ProgressDisplay:
    """``with ProgressDisplay(console): run()`` shows the run's progress on ``console`` (stderr)."""

    def __init__(self, console: Console, *, live: bool | None = None, interval: float = 4.0,
                 enabled: bool = True) -> None:
        self.console = console
        self.live = console.is_terminal if live is None else live
        self.interval = interval
        self.enabled = enabled
        self.lock = threading.Lock()
        self.last_line = 0.0
        self.synth = {"candidates": None, "written": 0, "shards": 0, "kept": None}
        self._progress: Any = None
        self.crawls: dict[str, dict] = {}  # source (crawl work folder) -> its last snapshot
        self._crawl_task: Any = None
        self._synth_task: Any = None
        self._listening: Any = None

    # -- lifecycle --------------------------------------------------------------------------------
    def __enter__(self) -> ProgressDisplay:
        if not self.enabled:
            return self
        if self.live:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                      TextColumn("{task.fields[info]}"), console=self.console, transient=False,
                                      refresh_per_second=4)
            self._progress.start()
        self._listening = progress.listen(self.on_event)
        self._listening.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._listening is not None:
            self._listening.__exit__(None, None, None)
        if self._progress is not None:
            self._progress.stop()

    # -- events -----------------------------------------------------------------------------------
    def on_event(self, ev: dict) -> None:
        with self.lock:
            stage = ev.get("stage")
            if stage == "crawl":
                self._crawl(ev)
                return
            if stage == "writing":
                self._writing(ev)
                return
            if stage == "mine":
                self.synth["candidates"] = ev.get("candidates", 0)
            elif stage == "write":
                self.synth["written"] = int(self.synth["written"] or 0) + int(ev.get("written", 0))
                self.synth["shards"] = int(self.synth["shards"] or 0) + 1
            elif stage == "e2h":  # the rewriting rounds: one stage, no shards
                self.synth["written"] = int(ev.get("written", 0))
                self.synth["shards"] = None
            elif stage == "filter":
                self.synth["kept"] = ev.get("kept", 0)
            else:
                return
            self._synth(stage)

    def _crawl(self, ev: dict) -> None:
        if ev.get("source") and not ev.get("final"):  # parallel crawls (crawl parts): their sum
            self.crawls[ev["source"]] = ev
            ev = combine(list(self.crawls.values()))
        if self._progress is not None:
            budget = max(1, int(ev.get("budget") or ev.get("pages") or 1))
            info = ("done" if ev.get("final") else "starting" if ev.get("starting") else
                    f"{ev.get('rate', 0.0):.1f} pages/s · ETA {fmt_duration(ev.get('eta_s'))} · "
                    f"queue {ev.get('queue', 0)} · rejects {ev.get('rejects', 0)}")
            if self._crawl_task is None:
                self._crawl_task = self._progress.add_task("crawl", total=budget, info=info)
            if ev.get("final"):
                pages = int(ev.get("pages", 0))
                self._progress.update(self._crawl_task, total=max(pages, 1), completed=pages, info=info)
            else:
                self._progress.update(self._crawl_task, total=budget, completed=int(ev.get("pages", 0)), info=info)
            return
        now = time.monotonic()
        if ev.get("final") or ev.get("done") or ev.get("starting") or now - self.last_line >= self.interval:
            self.last_line = now
            self.console.print(crawl_line(ev), markup=False, highlight=False, soft_wrap=True)

    def _writing(self, ev: dict) -> None:
        """Within a write shard (the LLM calls): ``writing: shard 0 · 120/2000 candidates``."""
        line = f"shard {ev.get('shard', 0)} · {ev.get('done', 0)}/{ev.get('total', 0)} candidates"
        if self._progress is not None:
            if self._synth_task is None:
                self._synth_task = self._progress.add_task("synth", total=None, info="")
            self._progress.update(self._synth_task, info=" · ".join(x for x in (self.synth_line(), f"writing {line}") if x))
            return
        now = time.monotonic()
        if now - self.last_line >= self.interval:
            self.last_line = now
            self.console.print(f"writing: {line}", markup=False, highlight=False, soft_wrap=True)

    def synth_line(self) -> str:
        s = self.synth
        parts = []
        if s["candidates"] is not None:
            parts.append(f"candidates {s['candidates']}")
        if s["shards"]:
            parts.append(f"written {s['written']} ({s['shards']} shard{'s' if s['shards'] != 1 else ''})")
        elif s["shards"] is None:  # E2HQA
            parts.append(f"written {s['written']}")
        if s["kept"] is not None:
            parts.append(f"kept {s['kept']}")
        return " · ".join(parts)

    def _synth(self, stage: str) -> None:
        line = self.synth_line()
        if self._progress is not None:
            if self._synth_task is None:
                self._synth_task = self._progress.add_task("synth", total=None, info=line)
            self._progress.update(self._synth_task, info=line)
            if stage == "filter":
                self._progress.update(self._synth_task, total=1, completed=1)
            return
        self.console.print(f"{stage}: {line}", markup=False, highlight=False, soft_wrap=True)
