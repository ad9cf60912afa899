"""Shards: round trip, rotation, determinism, atomic publication."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipelines.shards import ShardWriter, count_rows, iter_records, read_table, shard_paths
from schemas import Evidence, QARecord, Reject
from schemas.arrow import arrow_schema


def _qa(i: int) -> QARecord:
    return QARecord(
        id=f"id{i:04d}", type="count", question=f"How many items does list {i} of the Zeta article show?",
        answer=str(i % 9 + 2), root_url="http://127.0.0.1/", source_urls=[f"http://127.0.0.1/p{i}"],
        evidence=[Evidence(url=f"http://127.0.0.1/p{i}", text=f"items {i}")], hops=1, writer="template",
        prompt_version="template-v1", run_id="t", created_at=datetime(2026, 1, 1, tzinfo=UTC))


def test_round_trip_pyarrow_and_pandas(tmp_path):
    recs = [_qa(i) for i in range(25)]
    with ShardWriter(tmp_path / "qa", QARecord, rows_per_shard=10) as w:
        w.write_all(recs)
    assert [p.name for p in shard_paths(tmp_path / "qa")] == [
        "part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert [s.rows for s in w.shards] == [10, 10, 5]
    table = read_table(tmp_path / "qa", QARecord)
    assert table.schema.equals(arrow_schema(QARecord), check_metadata=False)
    assert list(iter_records(tmp_path / "qa", QARecord)) == recs
    df = pd.concat(pd.read_parquet(p) for p in shard_paths(tmp_path / "qa"))
    assert df["id"].tolist() == [r.id for r in recs]
    assert df["evidence"].iloc[3][0]["text"] == "items 3"
    assert count_rows(tmp_path / "qa") == 25


def test_same_records_give_identical_bytes(tmp_path):
    for name in ("a", "b"):
        with ShardWriter(tmp_path / name, QARecord, rows_per_shard=7) as w:
            w.write_all(_qa(i) for i in range(20))
    assert [s.sha256 for s in ShardWriter(tmp_path / "c", QARecord).shards] == []
    a = [p.read_bytes() for p in shard_paths(tmp_path / "a")]
    b = [p.read_bytes() for p in shard_paths(tmp_path / "b")]
    assert a == b and len(a) == 3


def test_zstd_compression_and_wrong_record_type(tmp_path):
    with ShardWriter(tmp_path / "qa", QARecord) as w:
        w.write(_qa(1))
        with pytest.raises(TypeError):
            w.write(Reject(id="r", stage="crawl", reason="x"))
    meta = pq.ParquetFile(shard_paths(tmp_path / "qa")[0]).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"


def test_failed_block_publishes_nothing_new(tmp_path):
    with pytest.raises(RuntimeError), ShardWriter(tmp_path / "qa", QARecord, rows_per_shard=10) as w:
        w.write_all(_qa(i) for i in range(15))
        raise RuntimeError("stage failed")
    assert [p.name for p in shard_paths(tmp_path / "qa")] == ["part-00000.parquet"]


KILLED_WRITER = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, os.getcwd())
    from tests.pipelines.test_shards import _qa
    from pipelines import shards
    from pipelines.shards import ShardWriter
    real_replace = os.replace
    calls = {"n": 0}
    def slow_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == 3:          # third shard: its temp file is complete, the rename never happens
            print("STUCK", flush=True)
            time.sleep(60)
        real_replace(src, dst)
    shards.os.replace = slow_replace
    with ShardWriter(sys.argv[1], type(_qa(0)), rows_per_shard=10) as w:
        w.write_all(_qa(i) for i in range(100))
""")


def test_writer_killed_mid_shard_leaves_only_complete_shards(tmp_path):
    folder = tmp_path / "qa"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(folder)], stdout=subprocess.PIPE,
                            text=True, cwd=os.getcwd())
    try:
        assert proc.stdout.readline().strip() == "STUCK"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".tmp-")]
    assert len(leftovers) == 1  # the interrupted shard exists only under its temp name
    assert [p.name for p in shard_paths(folder)] == ["part-00000.parquet", "part-00001.parquet"]
    assert [pq.ParquetFile(p).metadata.num_rows for p in shard_paths(folder)] == [10, 10]
    # the next writer of the folder removes the debris and rewrites from its own input
    ShardWriter(folder, QARecord)
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]


def test_disk_full_leaves_previous_shards_intact(tmp_path, monkeypatch):
    from pipelines import shards

    with ShardWriter(tmp_path / "qa", QARecord, rows_per_shard=5) as w:
        w.write_all(_qa(i) for i in range(5))

    class Full(shards.pq.ParquetWriter):
        def write_table(self, table, row_group_size=None):
            super().write_table(table, row_group_size=row_group_size)
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(shards.pq, "ParquetWriter", Full)
    w2 = ShardWriter(tmp_path / "qa", QARecord, rows_per_shard=5, start_index=1)
    with pytest.raises(OSError, match=r"No space left on device \(writing shard .*qa/part-00001\.parquet\)"):
        w2.write_all(_qa(i) for i in range(5, 10))
    assert [p.name for p in (tmp_path / "qa").iterdir()] == ["part-00000.parquet"]
    assert pq.ParquetFile(tmp_path / "qa" / "part-00000.parquet").metadata.num_rows == 5


def test_temp_file_of_a_live_writer_is_left_alone(tmp_path):
    """Two writers in one folder: opening the second must not delete the first one's shard in progress."""
    folder = tmp_path / "drafts"
    folder.mkdir()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        mine = folder / f".tmp-{live.pid}-part-00000.parquet"
        dead = folder / ".tmp-999999999-part-00001.parquet"
        mine.write_bytes(b"in progress")
        dead.write_bytes(b"debris")
        ShardWriter(folder, QARecord)
        assert mine.exists() and not dead.exists()
    finally:
        live.kill()
        live.wait()


def test_remove_shards_clears_only_its_index_block(tmp_path):
    from pipelines.shards import remove_shards

    for start in (0, 10_000, 10_001, 20_000):
        with ShardWriter(tmp_path / "rejects", Reject, start_index=start) as w:
            w.write(Reject(id=str(start), stage="s", reason="r"))
    assert remove_shards(tmp_path / "rejects", 10_000, 20_000) == 2
    assert [p.name for p in shard_paths(tmp_path / "rejects")] == ["part-00000.parquet", "part-20000.parquet"]


def test_rows_stream_to_disk_one_row_group_at_a_time(tmp_path):
    """A shard of 25 rows with row groups of 10: never more than 10 rows held in memory, three row
    groups in the file, the temp file visible while the shard is open and gone once published."""
    folder = tmp_path / "qa"
    w = ShardWriter(folder, QARecord, rows_per_shard=25, row_group_rows=10)
    held = []
    for i in range(25):
        w.write(_qa(i))
        held.append(len(w._buffer))
        if i == 12:
            assert [p.name for p in folder.iterdir()] == [f".tmp-{os.getpid()}-part-00000.parquet"]
    w.close()
    assert max(held) == 9 and held[9] == 0, "a full row group leaves memory as soon as it is complete"
    meta = pq.ParquetFile(folder / "part-00000.parquet").metadata
    assert (meta.num_rows, meta.num_row_groups) == (25, 3)
    assert [p.name for p in folder.iterdir()] == ["part-00000.parquet"]
    ids = pq.read_table(folder / "part-00000.parquet", columns=["id"]).column("id").to_pylist()
    assert ids == [_qa(i).id for i in range(25)]


def test_second_writer_of_the_same_process_spares_the_first_ones_open_shard(tmp_path):
    folder = tmp_path / "rejects"
    first = ShardWriter(folder, QARecord, rows_per_shard=100, row_group_rows=2)
    first.write_all(_qa(i) for i in range(3))        # one row group on disk, in a temp file
    second = ShardWriter(folder, QARecord, start_index=50, rows_per_shard=100)
    second.write_all(_qa(i) for i in range(50, 52))
    assert [s.rows for s in first.close()] == [3] and [s.rows for s in second.close()] == [2]
    assert sorted(p.name for p in folder.iterdir()) == ["part-00000.parquet", "part-00050.parquet"]


def test_failure_mid_shard_removes_its_temp_file(tmp_path):
    folder = tmp_path / "qa"
    with pytest.raises(RuntimeError), ShardWriter(folder, QARecord, rows_per_shard=100, row_group_rows=2) as w:
        w.write_all(_qa(i) for i in range(5))
        assert any(p.name.startswith(".tmp-") for p in folder.iterdir())
        raise RuntimeError("boom")
    assert list(folder.iterdir()) == []


def test_background_write_error_surfaces_at_the_next_row_group(tmp_path, monkeypatch):
    """Row groups are written by a background thread: its failure is raised by the next write that
    needs it, the shard in progress is dropped, and nothing more is written."""
    from pipelines import shards

    calls = []

    class FailFirst(shards.pq.ParquetWriter):
        def write_table(self, table, row_group_size=None):
            calls.append(table.num_rows)
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(shards.pq, "ParquetWriter", FailFirst)
    w = ShardWriter(tmp_path / "qa", QARecord, rows_per_shard=100, row_group_rows=2)
    w.write_all(_qa(i) for i in range(3))  # the first row group was handed to the thread
    with pytest.raises(OSError, match=r"No space left on device \(writing shard .*part-00000\.parquet\)"):
        w.write(_qa(3))  # completes the second row group, which waits for the first one
    assert calls == [2]  # the second row group was never written
    assert list((tmp_path / "qa").iterdir()) == []
    w.close()  # nothing left to publish
    assert list((tmp_path / "qa").iterdir()) == []
