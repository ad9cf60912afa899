"""The hand-audit sheet (stratified, seeded sample; saved pages; self-contained HTML) and its scoring
(precision per type with a 95% Wilson interval)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawlqa.cli import app
from pipelines.audit import (
    VERDICTS,
    allocate,
    highlight,
    make_sheet,
    read_sheet,
    sample_records,
    score_sheet,
    wilson,
)
from pipelines.shards import iter_records
from schemas.records import Page, QARecord


def _csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_allocate_shares_equally_and_gives_a_small_stratum_share_away() -> None:
    assert allocate({"a": 100, "b": 100, "c": 100}, 9) == {"a": 3, "b": 3, "c": 3}
    assert allocate({"a": 100, "b": 2, "c": 100}, 10) == {"a": 4, "b": 2, "c": 4}
    assert allocate({"a": 100, "b": 100, "c": 100}, 10) == {"a": 4, "b": 3, "c": 3}  # remainder: name order
    assert allocate({"a": 1, "b": 2}, 50) == {"a": 1, "b": 2}
    assert allocate({"a": 0, "b": 5}, 3) == {"a": 0, "b": 3}


def test_sample_is_stratified_and_seeded(fresh_run: Path) -> None:
    recs = list(iter_records(fresh_run / "qa", QARecord))
    by_type = {t: sum(r.type == t for r in recs) for t in {r.type for r in recs}}
    assert by_type == {"count": 2, "multi_hop": 1, "intersection": 1, "single_hop": 1, "e2h": 1}
    picked = sample_records(recs, 4, seed=0)
    # four of the five types, one question each (the remainder goes by type name)
    assert [r.type for r in picked] == ["count", "e2h", "intersection", "multi_hop"]
    assert [r.id for r in sample_records(recs, 4, seed=0)] == [r.id for r in picked]
    counts = {sample_records(recs, 4, seed=s)[0].id for s in range(20)}
    assert len(counts) == 2  # the count question taken depends on the seed, and both occur


def test_sheet_rows_pages_and_html(fresh_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "sheet"
    sheet = make_sheet(fresh_run, 100, seed=7, out=out)
    recs = {r.id: r for r in iter_records(fresh_run / "qa", QARecord)}
    assert sheet.rows == 6 and sheet.population == {"count": 2, "e2h": 1, "intersection": 1, "multi_hop": 1,
                                                    "single_hop": 1}
    jl = read_sheet(sheet.jsonl)
    rows = _csv(sheet.csv)
    assert [r["id"] for r in jl] == [r["id"] for r in rows] and set(recs) == {r["id"] for r in rows}
    assert all(r["verdict"] == "" and r["note"] == "" for r in rows + jl)
    pages = {p.url: p for p in iter_records(fresh_run / "pages", Page)}
    for r in jl:
        rec = recs[r["id"]]
        assert (r["type"], r["question"], r["answer"]) == (rec.type, rec.question, rec.answer)
        assert r["source_urls"] == rec.source_urls
        assert [e["text"] for e in r["evidence"]] == [e.text for e in rec.evidence]
        # every source page is saved twice: its HTML as crawled, and its text with the facts
        assert {p["url"] for p in r["saved_pages"]} >= set(rec.source_urls)
        for p in r["saved_pages"]:
            page = pages[p["url"]]
            assert (out / p["html"]).read_text(encoding="utf-8") == page.html
            txt = (out / p["text"]).read_text(encoding="utf-8")
            assert f"URL: {page.url}" in txt and page.text in txt and f"- title: {page.title}" in txt
    e2h = next(r for r in jl if r["type"] == "e2h")
    assert [s["entity"] for s in e2h["details"]["lineage"]] == ["The Genius of Ray Charles", "Quincy Jones"]

    page = sheet.html.read_text(encoding="utf-8")
    # self-contained: no script, stylesheet link, image or frame; links only to the saved copies
    assert not re.search(r"<(script|link|img|iframe)\b", page, re.I)
    assert not re.search(r"\bsrc=", page)
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert hrefs and all(h.startswith("pages/") and (out / h).is_file() for h in hrefs)
    # the answer is highlighted in its evidence
    assert "<mark>Ahmet Ertegun</mark>" in page and "<mark>Jialong Wu</mark>" in page


def test_same_seed_same_sheet_bytes(fresh_run: Path, tmp_path: Path) -> None:
    a = make_sheet(fresh_run, 4, seed=3, out=tmp_path / "a")
    b = make_sheet(fresh_run, 4, seed=3, out=tmp_path / "b")
    for name in ("audit.csv", "audit.jsonl", "audit.html"):
        assert (a.out / name).read_bytes() == (b.out / name).read_bytes()


def test_highlight_escapes_and_matches_whole_numbers_only() -> None:
    assert highlight("Total of 12 entries, 2 <new>", ["2"]) == "Total of 12 entries, <mark>2</mark> &lt;new&gt;"
    assert highlight("by ray charles and Ray Charles", ["Ray Charles"]) == \
        "by <mark>ray charles</mark> and <mark>Ray Charles</mark>"


@pytest.mark.parametrize(("k", "n"), [(0, 10), (10, 10), (18, 20), (140, 150), (1, 3), (97, 97)])
def test_wilson_interval_matches_scipy(k: int, n: int) -> None:
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = wilson(k, n)
    assert lo == pytest.approx(ci.low, abs=1e-9) and hi == pytest.approx(ci.high, abs=1e-9)
    assert lo <= k / n <= hi


def test_wilson_known_value_and_empty() -> None:
    # 0 of 10: the upper bound z²/(n+z²) = 3.8415/13.8415
    assert wilson(0, 10) == (0.0, pytest.approx(0.27753, abs=1e-5))
    assert wilson(0, 0) is None


def _fill(rows: list[dict], verdicts: list[str]) -> None:
    for r, v in zip(rows, verdicts, strict=True):
        r["verdict"] = v
        r["note"] = "" if v in ("", "correct") else f"why {v}"


def test_score_filled_csv_and_jsonl(fresh_run: Path, tmp_path: Path) -> None:
    sheet = make_sheet(fresh_run, 100, seed=0, out=tmp_path / "s")
    rows = _csv(sheet.csv)
    # make a larger sheet with known verdicts: type A 18 correct, 1 wrong, 1 stale; type B 5 correct,
    # 1 ambiguous, 1 unnatural and 2 not judged
    base = rows[0]
    big = [{**base, "id": f"a{i}", "type": "A"} for i in range(20)] + \
          [{**base, "id": f"b{i}", "type": "B"} for i in range(9)]
    _fill(big, ["correct"] * 18 + ["wrong", "STALE "] + ["correct"] * 5 + ["ambiguous", "unnatural", "", ""])
    path = tmp_path / "filled.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(base))
        w.writeheader()
        w.writerows(big)
    rep = score_sheet(path)
    a, b, all_ = rep["per_type"]["A"], rep["per_type"]["B"], rep["overall"]
    assert (a["n"], a["correct"], a["precision"]) == (20, 18, 0.9)
    assert a["verdicts"] == {"correct": 18, "wrong": 1, "ambiguous": 0, "stale": 1, "unnatural": 0}
    assert (b["n"], b["correct"], b["unjudged"]) == (7, 5, 2)
    assert b["verdicts"] == {"correct": 5, "wrong": 0, "ambiguous": 1, "stale": 0, "unnatural": 1}
    assert (all_["n"], all_["correct"], all_["unjudged"]) == (27, 23, 2)
    assert [all_["ci_low"], all_["ci_high"]] == [round(x, 4) for x in wilson(23, 27)]
    assert sorted(x["verdict"] for x in rep["not_correct"]) == ["ambiguous", "stale", "unnatural", "wrong"]

    # the same verdicts in the JSONL form give the same numbers
    jl = read_sheet(sheet.jsonl)
    bigj = [{**jl[0], "id": r["id"], "type": r["type"], "verdict": r["verdict"], "note": r["note"]} for r in big]
    pj = tmp_path / "filled.jsonl"
    pj.write_text("".join(json.dumps(r) + "\n" for r in bigj), encoding="utf-8")
    rj = score_sheet(pj)
    assert rj["per_type"] == rep["per_type"] and rj["overall"] == rep["overall"]


def test_unknown_verdict_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "s.jsonl"
    p.write_text(json.dumps({"id": "x", "type": "count", "verdict": "corect"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown verdicts .* x='corect'"):
        score_sheet(p)
    q = tmp_path / "t.jsonl"
    q.write_text(json.dumps({"id": "x", "type": "count"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="has no 'verdict' column"):
        score_sheet(q)


def test_cli_sheet_then_score(fresh_run: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli-sheet"
    res = runner.invoke(app, ["audit", str(fresh_run), "--sample", "5", "--seed", "1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    rows = _csv(out / "audit.csv")
    assert len(rows) == 5
    _fill(rows, ["correct", "correct", "wrong", "correct", "stale"])
    with (out / "audit.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    res = runner.invoke(app, ["audit", str(fresh_run), "--score", str(out / "audit.csv")])
    assert res.exit_code == 0, res.output
    rep = json.loads((out / "audit.score.json").read_text())
    assert rep["overall"]["n"] == 5 and rep["overall"]["correct"] == 3
    assert rep["overall"]["verdicts"]["wrong"] == 1 and rep["overall"]["verdicts"]["stale"] == 1
    assert "overall" in res.output and "0.600" in res.output
    assert set(VERDICTS) == {"correct", "wrong", "ambiguous", "stale", "unnatural"}

    res = runner.invoke(app, ["audit", str(fresh_run)])
    assert res.exit_code == 2 and "give --sample N" in res.output


def test_sheet_of_several_runs_is_stratified_by_run_and_type(tmp_path: Path) -> None:
    from tests.pipelines.conftest import make_run

    a = make_run(tmp_path / "a", "run-a")
    b = make_run(tmp_path / "b", "run-b")
    sheet = make_sheet([a, b], 10, seed=0, out=tmp_path / "s")
    # ten strata (two runs × five types), one question each
    assert sheet.by_type == {f"{r}/{t}": 1 for r in ("run-a", "run-b")
                             for t in ("count", "e2h", "intersection", "multi_hop", "single_hop")}
    assert sheet.population["run-a/count"] == 2 and sheet.population["run-b/e2h"] == 1
    rows = _csv(sheet.csv)
    assert [(r["run"], r["type"]) for r in rows] == [tuple(k.split("/")) for k in sheet.by_type]
    assert all(r["saved_pages"] for r in rows)
    rep = score_sheet(sheet.csv)
    assert rep["overall"]["unjudged"] == 10 and rep["overall"]["n"] == 0 and rep["overall"]["ci_low"] is None


def test_cli_sheet_of_two_runs(tmp_path: Path) -> None:
    from tests.pipelines.conftest import make_run

    a, b = make_run(tmp_path / "a", "run-a"), make_run(tmp_path / "b", "run-b")
    out = tmp_path / "two"
    res = CliRunner().invoke(app, ["audit", str(a), str(b), "--sample", "4", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert {r["run"] for r in _csv(out / "audit.csv")} == {"run-a", "run-b"}
    res = CliRunner().invoke(app, ["audit", str(a), str(tmp_path / "nope"), "--sample", "4"])
    assert res.exit_code == 2 and "no run folder" in res.output


def test_both_spellings_of_a_url_find_the_saved_page(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from pipelines.audit import save_pages
    from pipelines.shards import ShardWriter

    url, final = "http://h/A/Sweet_&_Sour_Tears.html", "http://h/A/Sweet_%26_Sour_Tears.html"
    page = Page(id="p1", url=url, final_url=final, root_url=url, depth=0, status=200, content_type="text/html",
                fetched_at=datetime(2026, 1, 1, tzinfo=UTC), html="<p>x</p>", text="x")
    with ShardWriter(tmp_path / "pages", Page) as w:
        w.write(page)
    saved = save_pages([tmp_path / "pages"], {url, final}, tmp_path / "out" / "pages")
    assert set(saved) == {url, final} and saved[url] == saved[final] == {"html": "pages/p1.html", "text": "pages/p1.txt"}
