"""The run folder: layout, stage markers for exact resume, and the manifest.

    DIR/<run-id>/
      pages/ candidates/ qa/ rejects/    Parquet shards (part-NNNNN.parquet)
      _state/<stage>.json                 stage markers: a stage with a marker is complete
      _work/                              scratch of an unfinished stage (discarded on resume)
      manifest.json  README.md            written at the end (and after every stage)
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.counters import Counters
from pipelines.shards import ShardInfo

RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# Keys whose values are secrets. Token *counts* ("tokens", "prompt_tokens", "token_budget") are not.
SECRET_KEY_RE = re.compile(r"(api[_-]?key|secret|password|passwd|authorization|^token$|_token$|^bearer)", re.I)


def default_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def validate_run_id(run_id: str) -> str:
    """A run id is a single safe path component (no separators, no '..')."""
    if not RUN_ID_RE.fullmatch(run_id) or ".." in run_id or run_id == "latest":
        raise ValueError(f"invalid run id {run_id!r}: use letters, digits, '.', '_' and '-' (max 128); 'latest' is reserved")
    return run_id


def redact(obj: Any) -> Any:
    """Copy of a config mapping with secret-looking keys replaced (never write a key to disk)."""
    if isinstance(obj, dict):
        return {k: ("***" if SECRET_KEY_RE.search(str(k)) and v else redact(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [redact(v) for v in obj]
    return obj


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    tmp.write_text(text, encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@dataclass
class RunDir:
    """A run's folder under the output folder; never escapes it."""

    out: Path
    run_id: str
    path: Path = field(init=False)

    def __post_init__(self) -> None:
        validate_run_id(self.run_id)
        self.out = Path(self.out).resolve()
        self.path = (self.out / self.run_id).resolve()
        if not self.path.is_relative_to(self.out):
            raise ValueError(f"run folder {self.path} escapes {self.out}")

    @classmethod
    def open(cls, path: Path | str) -> RunDir:
        """An existing run folder given by its path (``data/<run-id>``)."""
        p = Path(path).resolve()
        if not p.is_dir():
            raise FileNotFoundError(f"no run folder at {p}")
        return cls(p.parent, p.name)

    def create(self) -> RunDir:
        for sub in ("pages", "candidates", "drafts", "qa", "rejects", "_state", "_work"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        return self

    def sub(self, name: str) -> Path:
        p = (self.path / name).resolve()
        if not p.is_relative_to(self.path):
            raise ValueError(f"{name!r} escapes the run folder")
        return p

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    # --- stage markers -------------------------------------------------------------------------
    def marker(self, stage: str) -> Path:
        return self.sub("_state") / f"{stage}.json"

    def is_done(self, stage: str) -> bool:
        return self.marker(stage).exists()

    def stage_result(self, stage: str) -> dict | None:
        """The stage's marker (its report), or None when there is none or it is not readable."""
        return self.verified_result(stage, check_shards=False)[0]

    def verified_result(self, stage: str, *, check_shards: bool = True) -> tuple[dict | None, str | None]:
        """``(report, None)`` for a stage that is done and whose shards are intact; ``(None, why)``
        when its marker is garbage or a shard it lists is missing, truncated or altered (checked
        against the size and sha256 the marker recorded): the stage must be redone; ``(None, None)``
        when it has no marker."""
        from pipelines.shards import shard_problem

        m = self.marker(stage)
        try:
            done = json.loads(m.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None, None
        except (OSError, ValueError) as exc:  # garbage (or unreadable) marker = stage not done
            return None, f"marker {m.name} is not readable: {exc}"[:300]
        if not isinstance(done, dict) or not isinstance(done.get("shards", {}), dict) or "stage" not in done:
            return None, f"marker {m.name} is not a stage report"
        if check_shards:
            for folder, shards in done.get("shards", {}).items():
                for info in shards if isinstance(shards, list) else [shards]:
                    why = shard_problem(self.path, info) if isinstance(info, dict) else f"bad entry in {folder}"
                    if why:
                        return None, why
        return done, None

    def mark_done(self, stage: str, result: dict) -> None:
        self.sub("_state").mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.marker(stage), json.dumps(result, indent=2, sort_keys=True, default=str))

    def work(self, stage: str) -> Path:
        """A fresh scratch folder for a stage (emptied first: partial work never survives)."""
        import shutil

        p = self.sub("_work") / stage
        if p.exists():
            shutil.rmtree(p)
        p.mkdir(parents=True)
        return p


class RunLocked(RuntimeError):
    """Another live process is running this run id (``RUN/_state/lock`` is held)."""


_HELD: dict[str, list] = {}  # lock path -> [open file, depth]: this process's locks (re-entrant)
_HELD_GUARD = threading.Lock()


def lock_holder(run: RunDir) -> dict:
    """What the lock file says about its holder (pid, host, started); {} when unreadable."""
    try:
        data = json.loads((run.sub("_state") / "lock").read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def run_lock(run: RunDir) -> Iterator[Path]:
    """Hold ``RUN/_state/lock`` (``fcntl.flock``, exclusive) while the body runs.

    A second process running the same run id fails at once with :class:`RunLocked`, naming the
    holder (pid, host, start time). The kernel releases the lock when its process dies (even with
    SIGKILL), so a crashed run's lock is never stale: the next run takes it over. Re-entrant within
    one process (the CLI takes it before the flow, which takes it again). flock works on local file
    systems and on Linux NFS clients (emulated with byte-range locks); without ``fcntl`` (Windows)
    runs are not locked."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        yield run.sub("_state") / "lock"
        return
    state = run.sub("_state")
    state.mkdir(parents=True, exist_ok=True)
    path = state / "lock"
    key = str(path)
    with _HELD_GUARD:
        held = _HELD.get(key)
        if held is not None:
            held[1] += 1
    if held is None:
        fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - closed when the lock is released
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            who = lock_holder(run)
            raise RunLocked(
                f"run {run.run_id!r} is already running: pid {who.get('pid', '?')} on host {who.get('host', '?')}, "
                f"started {who.get('started', '?')} (lock {path}); wait for it to finish or stop it, "
                f"or use another --run-id") from None
        except BaseException:
            fh.close()
            raise
        import socket

        fh.truncate(0)
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                             "started": datetime.now(UTC).isoformat(timespec="seconds")}))
        fh.flush()
        with _HELD_GUARD:
            _HELD[key] = held = [fh, 1]
    try:
        yield path
    finally:
        with _HELD_GUARD:
            held[1] -= 1
            release = held[1] == 0
            if release:
                del _HELD[key]
        if release:
            held[0].close()  # closing the file releases the flock


@dataclass
class StageReport:
    """What a stage returns: shards written, its counters and timings, anything else to record."""

    stage: str
    shards: dict[str, list[ShardInfo]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False

    def to_dict(self) -> dict:
        return {
            "stage": self.stage,
            "shards": {k: [s.to_dict() for s in v] for k, v in self.shards.items()},
            "counters": self.counters,
            "seconds": round(self.seconds, 3),
            "info": self.info,
        }

    @classmethod
    def from_dict(cls, d: dict) -> StageReport:
        return cls(
            stage=d["stage"],
            shards={k: [ShardInfo(**s) for s in v] for k, v in d.get("shards", {}).items()},
            counters=d.get("counters", {}), seconds=d.get("seconds", 0.0), info=d.get("info", {}),
            skipped=True,
        )


@contextmanager
def timed() -> Iterator[dict]:
    t = {"start": time.perf_counter()}
    yield t
    t["seconds"] = time.perf_counter() - t["start"]


def build_manifest(run: RunDir, config: dict, reports: list[StageReport], counters: Counters,
                   extra: dict | None = None) -> dict:
    """The manifest: config (redacted), shards with checksums, the funnel, counters, timings."""
    from pipelines.shards import shard_paths

    shards: dict[str, list[dict]] = {}
    for folder in ("pages", "candidates", "drafts", "qa", "seeds", "rejects"):  # seeds/: single-hop, for E2HQA
        shards[folder] = []
        for r in reports:
            shards[folder].extend(s.to_dict() for s in r.shards.get(folder, []))
        # shards present on disk but not reported (e.g. written by a resumed stage) still count
        known = {s["path"] for s in shards[folder]}
        for p in shard_paths(run.sub(folder)):
            rel = str(p.relative_to(run.path))
            if rel not in known:
                import pyarrow.parquet as pq

                from pipelines.shards import file_sha256

                shards[folder].append({"path": rel, "rows": pq.ParquetFile(p).metadata.num_rows,
                                       "sha256": file_sha256(p), "bytes": p.stat().st_size})
        shards[folder].sort(key=lambda s: s["path"])
    c = counters.to_dict()
    funnel = {
        "pages_fetched": sum(s["rows"] for s in shards["pages"]),
        "candidates": sum(s["rows"] for s in shards["candidates"]),
        "written": sum(s["rows"] for s in shards["drafts"]),
        "kept": sum(s["rows"] for s in shards["qa"]),
        "seeds": sum(s["rows"] for s in shards["seeds"]),  # single-hop questions routed to seeds/, not qa/
        "rejects": sum(s["rows"] for s in shards["rejects"]),
        "reject_reasons": _reject_reasons(run),
    }
    manifest = {
        "run_id": run.run_id,
        "written_at": datetime.now(UTC).isoformat(),
        "config": redact(config),
        "stages": {r.stage: {"seconds": round(r.seconds, 3), "resumed": r.skipped, **r.info} for r in reports},
        "shards": shards,
        "funnel": funnel,
        "counters": c,
        "timings": {r.stage: round(r.seconds, 3) for r in reports},
    }
    if extra:
        manifest.update(redact(extra))
    return manifest


def _reject_reasons(run: RunDir) -> dict[str, int]:
    """Counts of rejects per ``stage/reason``, read back from the rejects shards (the ground truth)."""
    from collections import Counter

    import pyarrow.parquet as pq

    from pipelines.shards import shard_paths

    counts: Counter[str] = Counter()
    for p in shard_paths(run.sub("rejects")):
        t = pq.read_table(p, columns=["stage", "reason"])
        for stage, reason in zip(t.column("stage").to_pylist(), t.column("reason").to_pylist(), strict=True):
            counts[f"{stage}/{reason}"] += 1
    return dict(sorted(counts.items()))


def write_manifest(run: RunDir, manifest: dict) -> Path:
    atomic_write_text(run.manifest_path, json.dumps(manifest, indent=2, sort_keys=False, default=str))
    return run.manifest_path
