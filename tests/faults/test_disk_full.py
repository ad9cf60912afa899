"""Issue 10, disk full while writing a shard, on a real size limit — no patched write:

* ``RLIMIT_FSIZE`` (works unprivileged, everywhere): the job runs in a child process whose files may
  not grow past a limit; with SIGXFSZ ignored, the write that crosses it fails with EFBIG;
* a tiny tmpfs (only where ``mount`` is permitted, e.g. root in a VM; skipped otherwise): the write
  fails with ENOSPC.

Both resume a finished run's copy whose filter stage never ran. The stage's largest file is the
dedup's spool (every record that passed the chain, written first: the ``qa/`` records and the
single-hop ones the one-search gate sends to ``seeds/``), so the limit is crossed while the spool (or a
``qa`` shard) is being written. Expected: the
job stops with a clear OS error; no ``qa`` or ``seeds`` shard and no temporary file is left; every earlier shard
(pages, candidates, drafts, the other stages' rejects) is byte-identical; the stage is not marked
done; and once there is room, re-running the run id finishes it with the very same bytes as the
run that never hit the limit.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crawlqa.devserver import FIXTURE_SITE, serve
from pipelines.job import run_crawlqa

from .kit import assert_shards_valid, guarded, job_config, sha256

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import json, resource, signal, sys
sys.path.insert(0, {root!r})
job = json.loads(sys.argv[1])
from tests.faults.kit import job_config
from pipelines.job import run_crawlqa
import filters, filters.dedup, filters.language, pyarrow.parquet, synth.writers.template
filters.language._identifier()  # py3langid unpacks its model to a temporary file: load it before the limit
cfg = job_config(job["roots"], job["out"], crawl=job["crawl"], candidates_per_shard=job["cps"])
if job["fsize"]:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (job["fsize"], job["fsize"]))
run_crawlqa(cfg)
print("FINISHED")
"""
CRAWL = {"max_depth": 1}
CPS = 10  # small candidates shards: small drafts shards, one big qa shard


@pytest.fixture(scope="module")
def site():
    with serve(FIXTURE_SITE) as s:
        yield s


@pytest.fixture(scope="module")
def reference(site, tmp_path_factory):
    """A run that never hit a limit: its manifest and folder."""
    out = tmp_path_factory.mktemp("reference")
    with guarded(tmp_path_factory.mktemp("guard")):
        manifest = run_crawlqa(job_config([site.url + "/wiki/index.html"], out, crawl=CRAWL,
                                          candidates_per_shard=CPS))
    return out, manifest


def prepared_copy(reference, dest: Path) -> Path:
    """The reference output folder as a crash before the filter stage leaves it."""
    out, _ = reference
    shutil.copytree(out, dest, symlinks=True, ignore=shutil.ignore_patterns(".httpcache"))
    run = dest / "r1"
    for p in [*(run / "qa").iterdir(), *(run / "seeds").iterdir(), *(run / "trajectories").glob("part-*.parquet"),
              *(run / "rejects").glob("part-3*.parquet"), run / "_state" / "filter.json",
              run / "manifest.json", run / "README.md"]:
        p.unlink()
    return run


def shard_hashes(run: Path) -> dict[str, str]:
    return {str(p.relative_to(run)): sha256(p) for p in sorted(run.glob("*/part-*.parquet"))}


def run_child(site, out: Path, fsize: int = 0) -> subprocess.CompletedProcess:
    job = {"roots": [site.url + "/wiki/index.html"], "out": str(out), "crawl": CRAWL, "cps": CPS, "fsize": fsize}
    return subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)), json.dumps(job)], cwd=str(ROOT),
                          capture_output=True, text=True, timeout=120)


FILTER_SHARDS = ("/qa/part-", "/_work/filter-spool/part-", "/rejects/part-3")


def check_failed_cleanly(proc, run: Path, before: dict[str, str], code: int,
                         expected: tuple[str, ...] = FILTER_SHARDS[:2]) -> None:
    assert proc.returncode != 0 and "FINISHED" not in proc.stdout, proc.stdout + proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("OSError") and os.strerror(code) in last, proc.stderr[-2000:]
    # by default one of the filter stage's largest files: the dedup's spool of the records between its
    # two passes (written first, about the size of the qa shard) and the qa shard
    assert "(writing shard " in last and any(e in last for e in expected), \
        f"the error names the shard of the filter stage it failed to write ({expected}): {last}"
    assert "stage_filter" in proc.stderr, "it failed in the filter stage"
    assert not list((run / "qa").iterdir()), "no qa shard, complete or partial, and no temporary file"
    assert not list((run / "seeds").iterdir()), "no seeds shard either"
    assert not [p for p in run.rglob(".tmp-*")], "no temporary file anywhere in the run"
    assert shard_hashes(run) == before, "every earlier shard is intact"
    assert not (run / "_state" / "filter.json").exists() and not (run / "manifest.json").exists()


def check_resumes_identically(site, run: Path, reference) -> None:
    _, ref_manifest = reference
    manifest = run_crawlqa(job_config([site.url + "/wiki/index.html"], run.parent, crawl=CRAWL,
                                      candidates_per_shard=CPS))
    assert_shards_valid(run, manifest)
    ref = {s["path"]: s["sha256"] for folder in ref_manifest["shards"].values() for s in folder}
    now = {s["path"]: s["sha256"] for folder in manifest["shards"].values() for s in folder}
    assert now == ref


def spool_bytes(reference, scratch: Path) -> int:
    """The size of the dedup's spool in the reference run: one shard of every record that passed the
    chain (qa/ and seeds/), in id order, written as the filter stage writes it."""
    from pipelines.shards import ShardWriter, read_table
    from schemas.records import QARecord

    out, _ = reference
    rows = [*read_table(out / "r1" / "qa", QARecord).to_pylist(), *read_table(out / "r1" / "seeds", QARecord).to_pylist()]
    with ShardWriter(scratch, QARecord, rows_per_shard=1_000_000) as w:
        for r in sorted(rows, key=lambda r: r["id"]):
            w.write(QARecord.model_validate(r))
    return sum(p.stat().st_size for p in scratch.glob("part-*.parquet"))


def test_file_size_limit_while_writing_a_shard(site, reference, tmp_path, netguard):
    run = prepared_copy(reference, tmp_path / "out")
    before = shard_hashes(run)
    _, ref_manifest = reference
    assert ref_manifest["funnel"]["seeds"] >= 1 and ref_manifest["funnel"]["kept"] >= 1
    spool = spool_bytes(reference, tmp_path / "spool")
    # the other files the resumed run writes (earlier stages are done: their shards are only read)
    # (of rejects/, only the filter stage's own part-3* shards: the mine stage's are done and only read)
    # The limit lies between the largest file the stage writes and the next: exactly that file's write
    # fails (the spool of qa + seeds records, or the filter stage's rejects shard when the gate's drops
    # outweigh the kept records: which one depends on the miners' yield, not on what this test checks)
    files = sorted([(spool, "/_work/filter-spool/part-"),
                    *((s["bytes"], f"/{f}/part-" if f != "rejects" else "/rejects/part-3")
                      for f in ("rejects", "qa", "seeds") for s in ref_manifest["shards"][f]
                      if f != "rejects" or Path(s["path"]).name.startswith("part-3"))])
    sizes = [b for b, _ in files]
    assert sizes[-2] < sizes[-1], files
    limit = (sizes[-2] + sizes[-1]) // 2

    proc = run_child(site, tmp_path / "out", fsize=limit)
    # exactly the largest file's write fails, whichever it is
    check_failed_cleanly(proc, run, before, errno.EFBIG, expected=(files[-1][1],))
    check_resumes_identically(site, run, reference)


def _mount(*args: str) -> bool:
    try:
        return subprocess.run(["mount", *args], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def test_tiny_tmpfs_fills_up_while_writing_a_shard(site, reference, tmp_path, netguard):
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(mnt)):
        pytest.skip("mount -t tmpfs is not permitted here")
    try:
        run = prepared_copy(reference, mnt / "out")
        before = shard_hashes(run)
        _, ref_manifest = reference
        qa_bytes = ref_manifest["shards"]["qa"][0]["bytes"]
        st = os.statvfs(mnt)
        used_kib = (st.f_blocks - st.f_bfree) * st.f_frsize // 1024
        room_kib = max(4, qa_bytes // 2 // 1024)  # room for half the qa shard
        assert _mount("-o", f"remount,size={used_kib + room_kib}k", str(mnt))
        proc = run_child(site, mnt / "out")
        check_failed_cleanly(proc, run, before, errno.ENOSPC, expected=FILTER_SHARDS)  # whichever fills it
        assert _mount("-o", "remount,size=16m", str(mnt))
        check_resumes_identically(site, run, reference)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30)


def test_a_shard_failing_after_the_qa_shard_is_published_leaves_no_qa_shard(site, reference, tmp_path,
                                                                             monkeypatch, netguard):
    """The filter stage publishes qa/ and seeds/ before its rejects shard: when the rejects write fails
    (CI saw it: the one-search gate's drops outweighed the kept records, so the rejects shard was the
    largest file), the qa shard already on disk is removed with the rest of the stage's outputs."""
    from pipelines import job as J
    from pipelines.shards import ShardWriter

    run = prepared_copy(reference, tmp_path / "out")
    before = shard_hashes(run)
    published: list[str] = []

    class FullWhenRejects(ShardWriter):
        def _publish(self):  # type: ignore[no-untyped-def]
            if self.folder.name == "rejects":
                assert published, "the qa shard is published first (else this test tests nothing)"
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            info = super()._publish()
            published.append(info.path)
            return info

    monkeypatch.setattr(J, "ShardWriter", FullWhenRejects)
    with pytest.raises(OSError, match=os.strerror(errno.ENOSPC)):
        run_crawlqa(job_config([site.url + "/wiki/index.html"], tmp_path / "out", crawl=CRAWL,
                               candidates_per_shard=CPS))
    assert any("/qa/" in p or p.startswith("qa/") for p in published), published
    assert not list((run / "qa").iterdir()), "the published qa shard was removed"
    assert not list((run / "seeds").iterdir())
    assert not list((run / "rejects").glob("part-3*")) and not list((run / "trajectories").glob("part-*"))
    assert shard_hashes(run) == before, "every earlier shard is intact"
    assert not (run / "_state" / "filter.json").exists() and not (run / "manifest.json").exists()
    monkeypatch.undo()
    check_resumes_identically(site, run, reference)
