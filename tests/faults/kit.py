"""Shared pieces of the whole-job fault and security tests (``tests/faults``, ``tests/security``).

Fixtures (re-exported by both folders' ``conftest.py``):

* ``netguard``: no packet to a non-loopback address from the test process or any Python process it
  starts (``tests/faults/netguard.py``); the test fails if anything tried. ``guarded()`` is the same
  as a context manager, for module-scoped fixtures that run a job.

Helpers: ``job_config`` (a ``JobConfig`` from plain values, never from the developer's environment),
``assert_every_reject_counted`` and ``assert_shards_valid`` (manifest ↔ shards on disk).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from pydantic import SecretStr

from schemas.arrow import arrow_schema
from schemas.records import Candidate, Page, QARecord, Reject

from . import netguard as ng

# Fast and hermetic: no politeness delay, one extraction worker, no DNS query ever leaves the machine.
FAST_CRAWL: dict[str, Any] = {"download_delay": 0.0, "autothrottle": False, "concurrency_per_domain": 16,
                              "offline_dns": True, "extract_workers": 1, "timeout": 5, "retries": 0}

FOLDER_MODELS = {"pages": Page, "candidates": Candidate, "drafts": QARecord, "qa": QARecord, "seeds": QARecord,
                 "rejects": Reject}


@contextmanager
def guarded(base: Path) -> Iterator[Path]:
    """Inside: every non-loopback connection of this process and of the Python processes it starts is
    refused and recorded; on exit, fail if there was any. ``base``: a scratch folder of its own."""
    log = base / "attempts.log"
    with pytest.MonkeyPatch.context() as mp:
        for k, v in ng.child_env(str(base / "site"), str(log), os.environ.get("PYTHONPATH", "")).items():
            mp.setenv(k, v)
        ng.install(str(log))
        try:
            yield log
        finally:
            ng.uninstall()
    attempts = log.read_text() if log.exists() else ""
    assert not attempts, f"non-loopback network attempts:\n{attempts}"


@pytest.fixture
def netguard(tmp_path_factory) -> Iterator[Path]:
    """The test runs ``guarded`` (module fixtures that run a job use ``guarded`` themselves)."""
    with guarded(tmp_path_factory.mktemp("netguard")) as log:
        yield log


def job_config(roots: list[str], out: Path, *, run_id: str = "r1", llm: str = "offline",
               crawl: dict | None = None, base_url: str | None = None, api_key: str | None = None,
               llm_options: dict | None = None, **job: Any):
    """``make_job_config`` with explicit settings (nothing read from the environment)."""
    from crawlqa.config import Settings, make_job_config

    settings = Settings(openai_api_key=SecretStr(api_key) if api_key else None, openai_base_url=base_url,
                        crawlqa_llm="offline")
    return make_job_config(roots, out=str(out), run_id=run_id, llm=llm, model="test-model" if llm == "openai"
                           else None, crawl=FAST_CRAWL | (crawl or {}), llm_options=llm_options,
                           settings=settings, **job)


def assert_every_reject_counted(manifest: dict) -> None:
    """Every reject row (by stage/reason, read back from the shards) has its ``<stage>/dropped/<reason>``
    counter with the same value, and every ``dropped`` counter has its rows."""
    reasons = manifest["funnel"]["reject_reasons"]
    dropped = {k: v for k, v in manifest["counters"].items() if "/dropped/" in k}
    as_counters = {"{}/dropped/{}".format(*k.split("/", 1)): v for k, v in reasons.items()}
    assert as_counters == dropped


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_shards_valid(run_path: Path, manifest: dict) -> dict[str, int]:
    """Every shard the manifest lists exists with its checksum, row count and the record schema; no
    other shard and no temporary file is on disk. Returns rows per folder."""
    rows: dict[str, int] = {}
    for folder, model in FOLDER_MODELS.items():
        listed = {s["path"]: s for s in manifest["shards"].get(folder, [])}
        on_disk = {str(p.relative_to(run_path)) for p in (run_path / folder).glob("part-*.parquet")}
        assert on_disk == set(listed), folder
        leftovers = [p.name for p in (run_path / folder).iterdir() if not p.name.startswith("part-")] \
            if (run_path / folder).is_dir() else []
        assert not leftovers, f"{folder}: {leftovers}"
        for rel, info in listed.items():
            p = run_path / rel
            meta = pq.ParquetFile(p)
            assert sha256(p) == info["sha256"] and p.stat().st_size == info["bytes"], rel
            assert meta.metadata.num_rows == info["rows"], rel
            assert meta.schema_arrow.equals(arrow_schema(model), check_metadata=False), rel
            pq.read_table(p)  # every page of every column decodes
        rows[folder] = sum(s["rows"] for s in listed.values())
    return rows


def read_rows(run_path: Path, folder: str) -> list[dict]:
    return [r for p in sorted((run_path / folder).glob("part-*.parquet")) for r in pq.read_table(p).to_pylist()]
