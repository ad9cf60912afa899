"""Exports that load in the upstream tools: WebWalkerQA's JSONL as its evaluation script reads it,
WebShaper formalizations that follow each record's real structure, and a Hub-ready folder that
``datasets.load_dataset`` opens offline with train / validation / test splits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawlqa.cli import app
from pipelines.export import ExportContext, export_run, to_webshaper
from pipelines.hub import SPLITS, assign_splits, export_hf, split_counts
from pipelines.run import RunDir
from pipelines.shards import ShardWriter, iter_records
from schemas.records import QARecord

pytestmark = pytest.mark.slow


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _offline_python(code: str, tmp_path: Path) -> dict:
    """Run ``code`` in a fresh interpreter with the Hub switched off; it prints one JSON object."""
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home"),
           "HF_HUB_DISABLE_TELEMETRY": "1"}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_webwalkerqa_loads_as_the_evaluation_script_reads_it(demo_run: Path, tmp_path: Path) -> None:
    path = export_run(demo_run, "webwalkerqa", tmp_path / "ww.jsonl")
    recs = {r.question: r for r in iter_records(demo_run / "qa", QARecord)}  # type: ignore[attr-defined]
    # WebWalker's evaluate.py: load the data with `datasets`, then per item question / answer / root_url
    # and info["type"], info["difficulty_level"] to group its scores.
    got = _offline_python(f"""
import json
from datasets import load_dataset
ds = load_dataset("json", data_files={str(path)!r}, split="train")
rows = []
for item in ds:
    info = item["info"]
    rows.append([item["question"], item["answer"], item["root_url"], info["type"], info["difficulty_level"],
                 info["lang"], info["domain"], info["source_website"], info["golden_path"]])
print(json.dumps({{"rows": rows}}))
""", tmp_path)["rows"]
    assert len(got) == len(recs) > 50
    for q, a, root, kind, level, lang, domain, sources, path_labels in got:
        rec = recs[q]
        assert a == rec.answer and root == rec.root_url and sources == rec.source_urls
        assert kind == ("multi_source" if len(set(rec.source_urls)) > 1 else "single_source")
        assert level in ("easy", "medium", "hard") and lang == "en"
        assert domain in ("Encyclopedia", "Academic", "Software", "Website")
        assert len(path_labels) == len(sources) and all(p.startswith("root") for p in path_labels)
        assert not any("://" in p for p in path_labels)  # labels, not URLs


def _connected(triples: list[list[str]]) -> bool:
    """Every V@ variable reaches ``?`` through the triples (a variable inside a constant's text counts)."""
    import re

    terms = {x for t in triples for x in t}
    variables = {x for x in terms if x.startswith("V@")}
    adj: dict[str, set[str]] = {}
    for s, _, o in triples:
        for a, b in ((s, o), (o, s)):
            adj.setdefault(a, set()).add(b)
        for x in (s, o):
            for v in variables:
                if x != v and re.search(re.escape(v) + r"(?![0-9A-Za-z_])", x):
                    adj.setdefault(x, set()).add(v)
                    adj.setdefault(v, set()).add(x)
    seen, todo = {"?"}, ["?"]
    while todo:
        for n in adj.get(todo.pop(), ()):
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return variables <= seen


def test_webshaper_formalization_follows_each_records_structure(demo_run: Path) -> None:
    ctx = ExportContext(demo_run)
    checked: dict[str, int] = {}
    for rec in iter_records(demo_run / "qa", QARecord):
        f = to_webshaper(rec, ctx)["formalization"]  # type: ignore[arg-type]
        meta = json.loads(rec.meta_json)  # type: ignore[attr-defined]
        assert any("?" in t for t in f) and _connected(f), (rec.type, f)  # type: ignore[attr-defined]
        if rec.type == "count":  # type: ignore[attr-defined]
            assert len(f) == 2 and f[1] == ["?", "count_of", "V@item"] and f[0][2] == "V@item"
            assert f[0][1] == meta["label"]
        elif rec.type == "multi_hop":  # type: ignore[attr-defined]
            assert len(f) == len(meta["path"]) + 1  # one triple per hop, then the fact
            assert f[0][0].startswith("C@") and f[-1][2] == "?" and f[-1][1] == meta["fact"]["key"]
            assert all(t[2] == f"V@X{i}" for i, t in enumerate(f[:-1], 1))
        elif rec.type == "intersection":  # type: ignore[attr-defined]
            both = [t for t in f if t[2] == "?"]
            assert len(both) == 2 and both[0][0] != both[1][0]  # two lists, two constants, one target
            assert len(f) == 2 + len(meta.get("excluded") or [])
        elif rec.type == "comparison":  # type: ignore[attr-defined]
            assert [t[2] for t in f[:2]] == ["V@A", "V@B"] and f[2][0] == f[3][0] == "?"
            assert f[0][1] == meta["a"]["key"] and f[1][1] == meta["b"]["key"]
        elif rec.type == "single_hop":  # type: ignore[attr-defined]
            assert f == [[f[0][0], meta["key"], "?"]] and f[0][0] not in ("C@", "C@?")
        checked[rec.type] = checked.get(rec.type, 0) + 1  # type: ignore[attr-defined]
    assert {"count", "multi_hop", "intersection", "comparison"} <= set(checked), checked


def test_assign_splits_is_deterministic_grouped_and_never_leaves_a_split_empty() -> None:
    groups = [f"https://site-{i}.example/" for i in range(40)]
    a = assign_splits(groups)
    assert a == assign_splits(list(reversed(groups)))  # order of arrival does not matter
    assert set(a.values()) == set(SPLITS)
    assert 20 <= sum(v == "train" for v in a.values()) <= 39
    roots = {f"r{i}" for i in range(12)}
    by_root = assign_splits(roots)
    assert set(by_root.values()) == set(SPLITS)
    for n in (3, 4, 5):  # few groups: still three non-empty splits
        assert set(assign_splits(groups[:n]).values()) == set(SPLITS), n
    assert set(assign_splits(groups[:2]).values()) <= set(SPLITS)
    with pytest.raises(ValueError, match="three non-negative"):
        assign_splits(groups, ratios=(1.0, -1.0, 0.0))


def _one_root_run(demo_run: Path, out: Path) -> Path:
    """A run whose kept questions all come from one root (the demo's wiki root)."""
    recs = list(iter_records(demo_run / "qa", QARecord))
    root = max({r.root_url for r in recs}, key=lambda u: sum(r.root_url == u for r in recs))  # type: ignore[attr-defined]
    run = RunDir(out, "one-root").create()
    with ShardWriter(run.sub("qa"), QARecord, relative_to=run.path) as w:
        w.write_all([r for r in recs if r.root_url == root])  # type: ignore[attr-defined, misc]
    return run.path


LOAD = """
import json, sys
from datasets import load_dataset
ds = load_dataset(sys.argv[1]) if len(sys.argv) == 2 else load_dataset(sys.argv[1], sys.argv[2])
print(json.dumps({s: [ds[s].num_rows, sorted(set(ds[s]["root_url"])), sorted(ds[s]["id"])] for s in ds}))
"""


def _load(folder: Path, tmp_path: Path, config: str | None = None) -> dict:
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home")}
    args = [sys.executable, "-c", LOAD, str(folder), *([config] if config else [])]
    res = subprocess.run(args, env=env, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_hf_folder_loads_offline_with_three_splits(demo_run: Path, tmp_path: Path) -> None:
    out = export_hf(demo_run, tmp_path / "hub", license="cc-by-sa-4.0")
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "data"]  # no _state/, _work/, pages/
    card = (out / "README.md").read_text()
    assert 'license: "cc-by-sa-4.0"' in card and "config_name: \"default\"" in card
    kept = {r.id for r in iter_records(demo_run / "qa", QARecord)}  # type: ignore[attr-defined]
    got = _load(out, tmp_path)
    assert set(got) == set(SPLITS)
    ids = [i for s in SPLITS for i in got[s][2]]
    assert sorted(ids) == sorted(kept)  # every kept question exactly once
    assert all(got[s][0] > 0 for s in SPLITS) and got["train"][0] > got["test"][0]
    one_type = _load(out, tmp_path, "count")
    n_count = sum(1 for r in iter_records(demo_run / "qa", QARecord) if r.type == "count")  # type: ignore[attr-defined]
    assert sum(v[0] for v in one_type.values()) == n_count > 0
    again = export_hf(demo_run, out)  # re-export replaces its own earlier export, same splits
    assert _load(again, tmp_path) == got


def test_hf_one_root_run_is_split_by_source_page(demo_run: Path, tmp_path: Path) -> None:
    run = _one_root_run(demo_run, tmp_path / "runs")
    out = export_hf(run, tmp_path / "hub1")
    got = _load(out, tmp_path)
    assert set(got) == set(SPLITS) and all(got[s][0] > 0 for s in SPLITS)
    by_source: dict[str, str] = {}
    recs = {r.id: r for r in iter_records(run / "qa", QARecord)}  # type: ignore[attr-defined]
    for s in SPLITS:
        for i in got[s][2]:
            src = recs[i].source_urls[0]
            assert by_source.setdefault(src, s) == s  # one source page's questions in one split


def test_hf_refuses_a_folder_that_is_not_an_export(demo_run: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not empty and is not an earlier"):
        export_hf(demo_run, mine)
    assert (mine / "notes.txt").read_text() == "keep me"


def test_cli_export_hf(demo_run: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["export", str(demo_run), "--format", "hf", "-o", str(tmp_path / "h"),
                                   "--license", "apache-2.0"])
    assert res.exit_code == 0, res.output
    assert "train" in res.output and 'license: "apache-2.0"' in (tmp_path / "h" / "README.md").read_text()
    counts = split_counts(tmp_path / "h")
    assert set(counts) == set(SPLITS) and sum(counts.values()) == sum(
        1 for _ in iter_records(demo_run / "qa", QARecord))


def test_hf_many_roots_are_split_by_root(demo_run: Path, tmp_path: Path) -> None:
    """With ten or more roots, every root's questions stay in one split."""
    recs = list(iter_records(demo_run / "qa", QARecord))
    run = RunDir(tmp_path / "runs", "many").create()
    with ShardWriter(run.sub("qa"), QARecord, relative_to=run.path) as w:
        w.write_all([r.model_copy(update={"root_url": f"https://site-{i % 12}.example/"})  # type: ignore[attr-defined]
                     for i, r in enumerate(recs)])
    got = _load(export_hf(run.path, tmp_path / "hub-many"), tmp_path)
    assert set(got) == set(SPLITS)
    roots = [r for s in SPLITS for r in got[s][1]]
    assert len(roots) == len(set(roots)) == 12  # no root in two splits
