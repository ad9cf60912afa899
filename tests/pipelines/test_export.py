from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import pipelines.export as E
from pipelines.export import FORMATS, SFT_SYSTEM_PROMPT, ExportFormat, export_run, formalize_lineage
from pipelines.shards import iter_records
from schemas.records import QARecord

# documented field names (see pipelines/export.py for the sources)
# WebWalkerQA's released JSONL (callanwu/WebWalkerQA data/main-*.jsonl) and its evaluation script's reads
WEBWALKERQA_KEYS = {"question", "answer", "root_url", "info"}
WEBWALKERQA_INFO_KEYS = {"type", "difficulty_level", "lang", "domain", "source_website", "golden_path"}
WEBSHAPER_KEYS = {"id", "question", "answer", "urls", "formalization"}


@pytest.fixture
def no_e2h_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use this module's lineage formalization even when synth.e2h.to_webshaper exists."""
    monkeypatch.setattr(E.ExportContext, "e2h_to_webshaper", lambda self: None)


def _records(run: Path) -> dict[str, QARecord]:
    return {r.question: r for r in iter_records(run / "qa", QARecord)}  # type: ignore[attr-defined]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_webwalkerqa_fields_and_values(fresh_run: Path) -> None:
    path = export_run(fresh_run, "webwalkerqa")
    assert path == fresh_run / "exports" / "webwalkerqa.jsonl"
    rows = _jsonl(path)
    recs = _records(fresh_run)
    assert len(rows) == len(recs) == 6
    for row in rows:
        assert set(row) == WEBWALKERQA_KEYS
        info = row["info"]
        assert set(info) == WEBWALKERQA_INFO_KEYS
        assert info["type"] in ("single_source", "multi_source")
        assert info["difficulty_level"] in ("easy", "medium", "hard")
        rec = recs[row["question"]]
        assert row["answer"] == rec.answer and row["root_url"] == rec.root_url
        assert info["source_website"] == rec.source_urls and len(info["golden_path"]) == len(rec.source_urls)
        assert all(label.startswith("root") for label in info["golden_path"])
        assert "." not in info["domain"]  # a topic, never a host name
    by_q = {r["question"]: r for r in rows}
    multi = by_q["Who co-founded the record label that released The Genius of Ray Charles with Herb Abramson?"]
    assert multi["info"] == {
        "type": "multi_source", "difficulty_level": "hard", "lang": "en", "domain": "Music",
        "source_website": ["https://en.wikipedia.org/wiki/The_Genius_of_Ray_Charles",
                           "https://en.wikipedia.org/wiki/Atlantic_Records"],
        "golden_path": ["root->The_Genius_of_Ray_Charles", "root->The_Genius_of_Ray_Charles->Atlantic_Records"]}
    german = next(r for r in rows if r["question"].startswith("Wie viele"))
    # the record's domain is the host: the site profile's topic is used ("generic" site → "Website")
    assert german["info"]["lang"] == "de" and german["info"]["domain"] == "Website"
    assert german["info"]["golden_path"] == ["root->alben"]
    licence = next(r for r in rows if "licence" in r["question"])
    assert licence["info"]["type"] == "single_source" and licence["info"]["difficulty_level"] == "easy"
    assert licence["info"]["domain"] == "Software" and licence["info"]["golden_path"] == ["root"]


def test_webshaper_fields_and_e2h_formalization(fresh_run: Path, no_e2h_hook: None) -> None:
    rows = _jsonl(export_run(fresh_run, "webshaper"))
    assert len(rows) == 6
    for row in rows:
        assert set(row) == WEBSHAPER_KEYS
        assert row["formalization"] and all(len(t) == 3 and all(isinstance(x, str) for x in t)
                                            for t in row["formalization"])
        assert len(row["urls"]) == len(set(row["urls"]))
        assert any("?" in t for t in row["formalization"])  # every formalization names its target
    e2h = next(r for r in rows if r["answer"] == "Atlantic Records")
    assert e2h["formalization"] == [
        ["?", "answers", "C@Which record label released V@X1?"],
        ["V@X1", "described_as", "C@the 1959 studio album arranged in part by V@X2"],
        ["V@X2", "described_as", "C@the producer who later worked on Thriller"],
    ]
    assert "https://en.wikipedia.org/wiki/Quincy_Jones" in e2h["urls"]  # a lineage evidence page
    count = next(r for r in rows if r["answer"] == "2")
    assert count["formalization"] == [["C@Ray Charles", "number of albums", "V@item"], ["?", "count_of", "V@item"]]


def test_webshaper_uses_the_e2h_hook_when_present(fresh_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []

    def hook(rec: QARecord) -> dict:
        seen.append(rec.type)
        return {"formalization": [["?", "label_of", "V@album"]], "not_a_webshaper_field": 1}

    monkeypatch.setattr(E.ExportContext, "e2h_to_webshaper", lambda self: hook)
    rows = _jsonl(export_run(fresh_run, "webshaper"))
    assert seen == ["e2h"]
    e2h = next(r for r in rows if r["answer"] == "Atlantic Records")
    assert e2h["formalization"] == [["?", "label_of", "V@album"]] and set(e2h) == WEBSHAPER_KEYS


def test_formalize_lineage_without_lineage_falls_back_to_the_question(fixture_run: Path) -> None:
    rec = next(r for r in iter_records(fixture_run / "qa", QARecord) if r.type == "count")  # type: ignore[attr-defined]
    assert formalize_lineage(rec) == [["?", "answers", f"C@{rec.question}"]]  # type: ignore[arg-type]


def test_jsonl_round_trips_to_qarecord(fresh_run: Path) -> None:
    rows = _jsonl(export_run(fresh_run, "jsonl"))
    recs = _records(fresh_run)
    back = [QARecord.model_validate(r) for r in rows]
    assert {r.id for r in back} == {r.id for r in recs.values()}
    e2h = next(r for r in back if r.type == "e2h")
    assert e2h == next(r for r in recs.values() if r.type == "e2h")


def test_sft_chat_seeds(fresh_run: Path) -> None:
    rows = _jsonl(export_run(fresh_run, "sft"))
    recs = _records(fresh_run)
    assert len(rows) == 6
    for row in rows:
        assert set(row) == {"messages", "metadata"}
        assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
        assert row["messages"][0]["content"] == SFT_SYSTEM_PROMPT
        rec = recs[row["messages"][1]["content"]]
        assert row["messages"][2]["content"] == rec.answer
        assert set(row["metadata"]) == {"id", "type", "hops", "difficulty", "language", "root_url", "source_urls",
                                        "golden_path", "evidence_urls", "writer", "prompt_version", "run_id"}
        assert row["metadata"]["id"] == rec.id and row["metadata"]["golden_path"] == rec.golden_path


def test_output_paths(fresh_run: Path, tmp_path: Path) -> None:
    assert export_run(fresh_run, "SFT") == fresh_run / "exports" / "sft.jsonl"
    folder = tmp_path / "out"
    folder.mkdir()
    assert export_run(fresh_run, "jsonl", folder) == folder / "jsonl.jsonl"
    assert export_run(fresh_run, "jsonl", tmp_path / "new" / "sub") == tmp_path / "new" / "sub" / "jsonl.jsonl"
    assert export_run(fresh_run, "sft", str(tmp_path / "slash") + "/") == tmp_path / "slash" / "sft.jsonl"
    target = tmp_path / "my.jsonl"
    assert export_run(fresh_run, "webwalkerqa", target) == target
    assert _jsonl(target)
    leftovers = [p for p in (*fresh_run.rglob(".tmp-*"), *tmp_path.rglob(".tmp-*"))]
    assert leftovers == []


def test_unknown_format_and_not_a_run(fresh_run: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown export format 'csv': choose one of webwalkerqa, webshaper"):
        export_run(fresh_run, "csv")
    shutil.rmtree(fresh_run / "qa")
    with pytest.raises(ValueError, match="no qa/ folder"):
        export_run(fresh_run, "jsonl")
    with pytest.raises(FileNotFoundError):
        export_run(tmp_path / "missing", "jsonl")


def test_empty_qa_gives_valid_empty_files(tmp_path: Path) -> None:
    from pipelines.run import RunDir

    run = RunDir(tmp_path, "r").create()
    assert export_run(run.path, "webwalkerqa").read_text() == ""
    assert export_run(run.path, "jsonl").read_text() == ""


def test_a_failing_converter_leaves_no_file(fresh_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def boom(rec: QARecord, ctx: E.ExportContext) -> dict:
        calls.append(rec.id)
        if len(calls) == 3:
            raise RuntimeError("converter bug")
        return {"id": rec.id}

    monkeypatch.setitem(FORMATS, "boom", ExportFormat(boom, "jsonl"))
    with pytest.raises(RuntimeError, match="converter bug"):
        export_run(fresh_run, "boom")
    assert not (fresh_run / "exports" / "boom.jsonl").exists()
    assert list((fresh_run / "exports").glob(".tmp-*")) == []


def test_adding_a_format_is_one_function_and_one_line(fresh_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def to_ids(rec: QARecord, ctx: E.ExportContext) -> dict:
        return {"id": rec.id}

    monkeypatch.setitem(FORMATS, "ids", ExportFormat(to_ids, "jsonl"))
    rows = _jsonl(export_run(fresh_run, "ids"))
    assert len(rows) == 6 and set(rows[0]) == {"id"}


def test_multi_source_comparison_exports_as_multi_source(tmp_path: Path) -> None:
    """A comparison (one fact from each of two pages under two roots) is WebWalkerQA multi_source, with
    both pages as sources and each page's click path from its own root in the golden path."""
    from datetime import UTC, datetime

    from schemas.ids import qa_id
    from schemas.records import Evidence

    ra, a, rb, b = "https://w.example/", "https://w.example/A", "https://x.example/list", "https://x.example/B"
    q = "When did the earlier of these two events take place: the birth of A, or the founding of B?"
    meta = {"kind": "date", "pick": "earlier", "winner": "a",
            "a": {"url": a, "root": ra, "path": [ra, a], "key": "Born", "value": "1930"},
            "b": {"url": b, "root": rb, "path": [rb, b], "key": "Founded", "value": "1947"}}
    rec = QARecord(id=qa_id("comparison", q, "1930", [a, b]), type="comparison", question=q, answer="1930",
                   root_url=ra, source_urls=[a, b], golden_path=[ra, a, rb, b],
                   evidence=[Evidence(url=a, text="A — Born: 1930"), Evidence(url=b, text="B — Founded: 1947")],
                   hops=2, writer="template", prompt_version="template-v1", difficulty=2, run_id="r",
                   created_at=datetime(2026, 1, 1, tzinfo=UTC), meta_json=json.dumps(meta))
    row = E.to_webwalkerqa(rec, E.ExportContext(tmp_path))
    assert row["info"]["type"] == "multi_source" and row["info"]["difficulty_level"] == "medium"
    assert row["info"]["source_website"] == [a, b] and row["info"]["golden_path"] == ["root->A", "root->A->list->B"]
    assert set(row["info"]) == WEBWALKERQA_INFO_KEYS
    shaper = E.to_webshaper(rec, E.ExportContext(tmp_path))
    assert shaper["formalization"] == [["C@https://w.example/A", "Born", "V@A"],
                                       ["C@https://x.example/B", "Founded", "V@B"],
                                       ["?", "earlier_of", "V@A"], ["?", "earlier_of", "V@B"]]
