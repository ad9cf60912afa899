"""The shards open without glue in pandas, polars, duckdb and the `datasets` library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.card import write_card
from pipelines.run import RunDir
from pipelines.shards import count_rows
from schemas.records import Page, QARecord, Reject

FOLDERS = {"qa": QARecord, "pages": Page, "rejects": Reject}


@pytest.mark.parametrize("folder", list(FOLDERS))
def test_pandas(fixture_run: Path, folder: str) -> None:
    pd = pytest.importorskip("pandas")
    df = pd.read_parquet(fixture_run / folder)
    assert len(df) == count_rows(fixture_run / folder)
    assert list(df.columns) == list(FOLDERS[folder].model_fields)
    if folder == "qa":
        e2h = df[df["type"] == "e2h"].iloc[0]
        assert e2h["evidence"][0]["url"].startswith("https://") and len(e2h["lineage"]) == 2
    if folder == "pages":
        assert str(df["fetched_at"].dt.tz) == "UTC"


@pytest.mark.parametrize("folder", list(FOLDERS))
def test_polars(fixture_run: Path, folder: str) -> None:
    pl = pytest.importorskip("polars")
    df = pl.read_parquet(str(fixture_run / folder / "*.parquet"))
    assert df.height == count_rows(fixture_run / folder)
    assert df.columns == list(FOLDERS[folder].model_fields)
    if folder == "qa":
        hops = dict(df.group_by("hops").len().sort("hops").iter_rows())
        assert hops == {1: 2, 2: 2, 3: 2}
        urls = df.select(pl.col("evidence").list.first().struct.field("url")).to_series().to_list()
        assert all(u.startswith("http") for u in urls)


def test_duckdb(fixture_run: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    qa = str(fixture_run / "qa" / "*.parquet")
    assert con.sql(f"SELECT count(*) FROM read_parquet('{qa}')").fetchall()[0][0] == 6
    rows = con.sql(f"SELECT type, count(*) FROM read_parquet('{qa}') GROUP BY type ORDER BY type").fetchall()
    assert dict(rows) == {"count": 2, "e2h": 1, "intersection": 1, "multi_hop": 1, "single_hop": 1}
    (n,) = con.sql(f"SELECT count(*) FROM (SELECT unnest(source_urls) FROM read_parquet('{qa}'))").fetchall()[0]
    assert n == 9
    (rounds,) = con.sql(f"SELECT len(lineage) FROM read_parquet('{qa}') WHERE type = 'e2h'").fetchall()[0]
    assert rounds == 2
    rej = str(fixture_run / "rejects" / "*.parquet")
    assert con.sql(f"SELECT count(DISTINCT stage) FROM read_parquet('{rej}')").fetchall()[0][0] == 6
    pages = str(fixture_run / "pages" / "*.parquet")
    assert con.sql(f"SELECT max(depth) FROM read_parquet('{pages}')").fetchall()[0][0] == 2


@pytest.fixture
def hf_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`datasets` without network and with a throw-away cache."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    return tmp_path / "hf-cache"


@pytest.mark.parametrize("folder", list(FOLDERS))
def test_datasets(fixture_run: Path, folder: str, hf_offline: Path) -> None:
    datasets = pytest.importorskip("datasets")
    ds = datasets.load_dataset("parquet", data_files=str(fixture_run / folder / "*.parquet"), split="train",
                               cache_dir=str(hf_offline))
    assert ds.num_rows == count_rows(fixture_run / folder)
    assert ds.column_names == list(FOLDERS[folder].model_fields)
    if folder == "qa":
        row = ds.filter(lambda r: r["type"] == "e2h")[0]
        assert row["lineage"][1]["entity"] == "Quincy Jones"
        assert row["evidence"][0]["url"].startswith("https://")


def test_datasets_loads_the_run_folder_through_its_card(fresh_run: Path, hf_offline: Path) -> None:
    """The card's `configs` make the folder a dataset repo as it is: `load_dataset(RUN_DIR[, config])`."""
    datasets = pytest.importorskip("datasets")
    from pipelines.export import export_run

    run = RunDir.open(fresh_run)
    write_card(run, json.loads(run.manifest_path.read_text()))
    export_run(fresh_run, "jsonl")  # an exports/ folder must not leak into the default config
    qa = datasets.load_dataset(str(fresh_run), cache_dir=str(hf_offline))
    assert qa["train"].num_rows == 6 and qa["train"].column_names == list(QARecord.model_fields)
    rejects = datasets.load_dataset(str(fresh_run), "rejects", split="train", cache_dir=str(hf_offline))
    assert sorted(set(rejects["stage"])) == ["crawl", "dedup", "e2h", "filter", "mine", "write"]
