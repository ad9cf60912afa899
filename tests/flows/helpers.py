"""Helpers of the flow tests: crawl options for the fixture site, a deterministic LLM responder,
shard comparisons and process control."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq

from pipelines.shards import shard_paths
from tests.llm_server import proposal_reply

# The fixture site fully, fast (no politeness delay: it is our own loopback server). Generous
# download and extraction timeouts: on a loaded machine (CI, two test workers) a page lost to a
# timeout changes the candidates and fails the tests that compare two runs of the same site.
CRAWL = {"max_depth": 4, "max_pages": 500, "max_pages_per_root": 200, "download_delay": 0.0,
         "autothrottle": False, "obey_robots": True, "timeout": 60, "extract_timeout": 60}

# Columns that differ between two runs of the same job by design: the run id, the run's creation
# time (fixed per run id in _state/created_at) and a page's fetch time (the response's Date header).
BY_DESIGN = {"run_id", "created_at", "fetched_at"}
FOLDERS = ("pages", "candidates", "drafts", "qa", "rejects")

_DATA = re.compile(r"<<<DATA\n(.*)\nDATA>>>", re.S)


def llm_answer(call) -> dict:  # type: ignore[no-untyped-def]
    """A deterministic answer to a writer request: same messages → same question, whatever the
    order or concurrency of the calls (the stub default numbers answers in arrival order)."""
    h = hashlib.sha1(json.dumps(call.messages, sort_keys=True).encode()).hexdigest()[:6]
    m = _DATA.search(call.user_text)
    data = json.loads(m.group(1)) if m else {}
    if "page_a" in data:  # a page-pair proposal: a proposal quoting both pages verbatim
        return proposal_reply(data, f"Which word comes fourth on the page {data['page_a'].get('name')} "
                                    f"links to ({h})?")
    start = data.get("start") or {}
    ref = start.get("page_ref") or start.get("name") or "the Wikipedia article “Halverstad”"
    kind = data.get("type", "")
    if kind == "count":
        q = f"How many entries are listed in {ref} under item {h}?"
    else:
        attr = data.get("attribute") or "name"
        q = f"What is the {attr.lower()} reached from {ref} through item {h}?"
    return {"question": q}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_group(proc: subprocess.Popen) -> None:
    """``kill -9`` the process and everything it started (crawler, ephemeral Prefect server)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def wait_for(cond, timeout: float, what: str, interval: float = 0.01) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def _without(obj, drop: set[str]):  # type: ignore[no-untyped-def]
    if isinstance(obj, dict):
        return {k: _without(v, drop) for k, v in obj.items() if k not in drop}
    if isinstance(obj, list):
        return [_without(v, drop) for v in obj]
    return obj


def rows(run_path: Path, folder: str, drop: set[str] = BY_DESIGN) -> list[dict]:
    """All rows of a run's folder, in shard order, without the by-design columns (also inside a
    reject's ``payload_json``, which holds the rejected record)."""
    out = []
    for p in shard_paths(run_path / folder):
        t = pq.read_table(p)
        t = t.drop_columns([c for c in t.column_names if c in drop])
        for r in t.to_pylist():
            if r.get("payload_json"):
                r["payload_json"] = _without(json.loads(r["payload_json"]), drop)
            out.append(r)
    return out


def shard_names(run_path: Path, folder: str) -> list[str]:
    return [p.name for p in shard_paths(run_path / folder)]


def shard_hashes(run_path: Path) -> dict[str, str]:
    """sha256 of every shard of every folder (the bytes: identical output means identical files)."""
    from pipelines.shards import file_sha256

    return {str(p.relative_to(run_path)): file_sha256(p) for f in FOLDERS for p in shard_paths(run_path / f)}


def assert_same_rows(a: Path, b: Path, folders: tuple[str, ...] = FOLDERS) -> None:
    """Same shards (names), same rows in the same order, on every column except the by-design ones."""
    for folder in folders:
        assert shard_names(a, folder) == shard_names(b, folder), folder
        ra, rb = rows(a, folder), rows(b, folder)
        assert len(ra) == len(rb), f"{folder}: {len(ra)} vs {len(rb)} rows"
        assert [r["id"] for r in ra] == [r["id"] for r in rb], f"{folder}: ids differ"
        for x, y in zip(ra, rb, strict=True):
            assert x == y, f"{folder}: row {x['id']} differs"
