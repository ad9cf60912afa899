"""Seed loading: JSONL/JSON/CSV/TSV/Parquet files with bad rows, and a run's single-hop records."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.shards import ShardWriter
from schemas.ids import qa_id
from schemas.records import Evidence, QARecord
from synth.e2h.seeds import (
    BadSeed,
    Seed,
    SeedFileError,
    load_seed_file,
    seed_id,
    seeds_from_records,
    seeds_from_run,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def split(rows):
    rows = list(rows)
    return [r for r in rows if isinstance(r, Seed)], [r for r in rows if isinstance(r, BadSeed)]


def test_jsonl_with_bad_rows(tmp_path):
    f = tmp_path / "seeds.jsonl"
    lines = [
        json.dumps({"question": "What is the elevation of Kestrel Bay?", "answer": "6 m",
                    "url": "http://127.0.0.1:9/wiki/Kestrel_Bay.html", "id": "k1"}),
        "{not json",
        json.dumps({"question": "Who founded Saltmarsh Studios?"}),
        json.dumps({"answer": "1998"}),
        json.dumps({"question": "Who founded Saltmarsh Studios?", "answer": ["Elena Marsh", "Agnes Holm"]}),
        json.dumps({"question": "Which city is Kestrel Bay?", "answer": "Kestrel Bay"}),
        json.dumps({"question": "Why?", "answer": "x"}),
        json.dumps({"question": "What is the length of Northern Glass?", "answer": "x" * 300}),
        json.dumps(["a", "list"]),
        json.dumps({"question": 42, "answer": "x"}),
        "",
        json.dumps({"Problem": "When was Northern Glass released?", "Answer": 2013}),
        json.dumps({"problem": "When was Northern Glass released?", "answer": "2013"}),
    ]
    f.write_text("\n".join(lines) + "\n")
    good, bad = split(load_seed_file(f))
    assert [(s.id, s.question, s.answer, s.source_url, s.aliases) for s in good] == [
        ("k1", "What is the elevation of Kestrel Bay?", "6 m", "http://127.0.0.1:9/wiki/Kestrel_Bay.html", ()),
        # a list of answers: the first is the answer, the rest are accepted aliases
        (seed_id("Who founded Saltmarsh Studios?", "Elena Marsh"), "Who founded Saltmarsh Studios?",
         "Elena Marsh", "", ("Agnes Holm",)),
        (seed_id("When was Northern Glass released?", "2013"), "When was Northern Glass released?", "2013", "",
         ()),
    ]
    assert [(b.where, b.reason) for b in bad] == [
        ("seeds.jsonl:2", "unparsable"),
        ("seeds.jsonl:3", "missing_answer"),
        ("seeds.jsonl:4", "missing_question"),
        ("seeds.jsonl:6", "answer_in_question"),
        ("seeds.jsonl:7", "bad_question"),
        ("seeds.jsonl:8", "answer_too_long"),
        ("seeds.jsonl:9", "unparsable"),
        ("seeds.jsonl:10", "bad_question"),
        ("seeds.jsonl:13", "duplicate"),
    ]
    assert good[0].origin == "file:seeds.jsonl" and bad[1].raw.startswith("{")


def test_simpleqa_csv_with_metadata_urls(tmp_path):
    f = tmp_path / "simple_qa_test_set.csv"
    f.write_text(
        'metadata,problem,answer\n'
        '"{\'topic\': \'Music\', \'answer_type\': \'Date\', \'urls\': [\'https://en.wikipedia.org/wiki/Ulm\', '
        '\'https://example.org/u\']}",What was the population of Ulm in 1880?,"33,610"\n'
        '"{broken",Who designed the Greywater Lighthouse?,Edvard Lunn\n'
        ',,\n'
        'a,b,c,d\n', encoding="utf-8")
    good, bad = split(load_seed_file(f))
    assert [(s.question, s.answer, s.source_url, s.golden_path) for s in good] == [
        ("What was the population of Ulm in 1880?", "33,610", "https://en.wikipedia.org/wiki/Ulm",
         ("https://en.wikipedia.org/wiki/Ulm",)),
        ("Who designed the Greywater Lighthouse?", "Edvard Lunn", "", ()),
    ]
    assert [(b.where, b.reason) for b in bad] == [("simple_qa_test_set.csv:4", "missing_question"),
                                                 ("simple_qa_test_set.csv:5", "unparsable")]


def test_tsv_json_and_parquet(tmp_path):
    tsv = tmp_path / "s.tsv"
    tsv.write_text("question\tanswer\nHow long is the Tamsel River?\t412 km\n")
    assert [s.answer for s in load_seed_file(tsv)] == ["412 km"]
    js = tmp_path / "s.json"
    js.write_text(json.dumps([{"q": "How long is the Tamsel River?", "a": "412 km",
                               "evidence": [{"url": "http://x.test/T", "text": "Length 412 km"}]}]))
    (s,) = load_seed_file(js)
    assert s.evidence == (Evidence(url="http://x.test/T", text="Length 412 km"),)
    bad_json = tmp_path / "b.json"
    bad_json.write_text("[{")
    assert [b.reason for b in load_seed_file(bad_json)] == ["unparsable"]
    pqf = tmp_path / "s.parquet"
    pq.write_table(pa.table({"question": ["When was Dunmoor founded?", None], "answer": ["1187", "x"]}), pqf)
    good, bad = split(load_seed_file(pqf))
    assert [g.answer for g in good] == ["1187"] and [(b.where, b.reason) for b in bad] == [
        ("s.parquet[1]", "missing_question")]


def test_csv_problem_answer_with_alias_lists(tmp_path):
    f = tmp_path / "simple.csv"
    f.write_text('problem,answer\n'
                 '"Who wrote the song ""Hit the Road Jack""?","[""Percy Mayfield"", ""Mayfield""]"\n'
                 'Who produced the single A Fool for You?,Jerry Wexler\n'
                 'Who is Mayfield in the song by Percy?,"[""Percy Mayfield"", ""Percy""]"\n')
    good, bad = split(load_seed_file(f))
    assert [(s.question, s.answer, s.aliases) for s in good] == [
        ('Who wrote the song "Hit the Road Jack"?', "Percy Mayfield", ("Mayfield",)),
        ("Who produced the single A Fool for You?", "Jerry Wexler", ()),
    ]
    # an alias named by the question leaks the answer as much as the answer itself
    assert [(b.where, b.reason) for b in bad] == [("simple.csv:4", "answer_in_question")]
    assert "'Percy'" in bad[0].detail


@pytest.mark.parametrize(("name", "text"), [
    ("s.csv", "prompt,response\nWho wrote Hit the Road Jack?,Percy Mayfield\n"),
    ("s.jsonl", json.dumps({"prompt": "Who wrote Hit the Road Jack?", "response": "Percy Mayfield"}) + "\n"),
    ("s.tsv", "question\tsolution\nWho wrote Hit the Road Jack?\tPercy Mayfield\n"),
])
def test_file_without_question_or_answer_column_is_a_file_error(tmp_path, name, text):
    f = tmp_path / name
    f.write_text(text)
    with pytest.raises(SeedFileError) as e:
        list(load_seed_file(f))
    msg = str(e.value)
    assert "columns found:" in msg and ("'prompt', 'response'" in msg or "'question', 'solution'" in msg)
    assert ("no question and no answer column" in msg) == (name != "s.tsv")
    assert msg.count("no ") == (1 if name == "s.tsv" else 2)


def test_configuration_errors_raise(tmp_path):
    with pytest.raises(FileNotFoundError):
        list(load_seed_file(tmp_path / "none.jsonl"))
    (tmp_path / "x.xlsx").write_text("")
    with pytest.raises(ValueError, match="unknown seeds format"):
        list(load_seed_file(tmp_path / "x.xlsx"))


def record(q: str, a: str, qtype: str = "single_hop", url: str = "http://x.test/A") -> QARecord:
    return QARecord(id=qa_id(qtype, q, a, [url]), type=qtype, question=q, answer=a, root_url="http://x.test/",
                    source_urls=[url], golden_path=["http://x.test/", url], evidence=[Evidence(url=url, text=a)],
                    hops=1, writer="template", prompt_version="v1", run_id="r", created_at=NOW)


def test_seeds_from_records_and_runs(tmp_path):
    recs = [record("When was Dunmoor founded?", "1187"), record("How many albums?", "7", "count"),
            record("When was Dunmoor founded?", "1187"), record("Is it Dunmoor?", "Dunmoor")]
    good, bad = split(seeds_from_records(recs))
    assert [(s.id, s.source_url, s.golden_path) for s in good] == [
        (recs[0].id, "http://x.test/A", ("http://x.test/", "http://x.test/A"))]
    assert good[0].record is recs[0] and good[0].evidence == tuple(recs[0].evidence)
    assert [b.reason for b in bad] == ["duplicate", "answer_in_question"]

    run = tmp_path / "run"
    rows, folder = seeds_from_run(run)
    assert folder == "none" and list(rows) == []
    with ShardWriter(run / "drafts", QARecord) as w:
        w.write(recs[0])
    rows, folder = seeds_from_run(run)
    assert folder == "drafts" and [s.question for s in rows] == ["When was Dunmoor founded?"]
    with ShardWriter(run / "qa", QARecord) as w:
        w.write(record("How long is the Tamsel River?", "412 km"))
    rows, folder = seeds_from_run(run)
    assert folder == "qa" and [s.answer for s in rows] == ["412 km"]
    # the filter stage's single-hop questions in seeds/ (qa schema) come first when that folder exists
    with ShardWriter(run / "seeds", QARecord) as w:
        w.write(record("Who founded Saltmarsh Studios?", "Elena Marsh").model_copy(update={"aliases": ["E. Marsh"]}))
    rows, folder = seeds_from_run(run)
    got = list(rows)
    assert folder == "seeds" and [(s.answer, s.aliases) for s in got] == [("Elena Marsh", ("E. Marsh",))]
