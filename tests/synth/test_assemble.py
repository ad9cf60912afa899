"""Written candidate → QARecord: ids, provenance, difficulty and the meta filters re-verify."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pipelines.counters import Counters
from schemas.ids import qa_id
from schemas.records import Enumeration, QARecord
from synth.assemble import difficulty, to_record
from synth.config import SynthConfig
from synth.miners.base import Graph, MineContext, Node
from synth.miners.count import CountMiner
from synth.miners.intersection import IntersectionMiner
from synth.miners.multi_hop import MultiHopMiner
from synth.miners.single_hop import SingleHopMiner
from synth.writers.base import Written
from synth.writers.template import TemplateWriter
from tests.synth.conftest import make_page
from tests.synth.test_miners_multi_hop import A1, C, P, R, site

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def records(miner, pages, **cfg) -> list[QARecord]:
    ctx = MineContext(SynthConfig(**cfg), Counters(), lambda r: None)
    cands = list(miner.mine(Graph(Node.from_page(p) for p in pages), ctx))
    w = TemplateWriter()
    return [to_record(x, writer_name=w.name, prompt_version=w.prompt_version, run_id="run-1", created_at=NOW)
            for x in w.write(cands) if x.ok]


def test_multi_hop_record() -> None:
    recs = {tuple(r.source_urls): r for r in records(MultiHopMiner(), site(), max_paths_per_start=50,
                                                     max_paths_per_target=10)}
    r = recs[(R, A1, P, C)]
    assert r.id == qa_id("multi_hop", r.question, "1290", [R, A1, P, C])
    assert (r.type, r.answer, r.hops, r.difficulty) == ("multi_hop", "1290", 4, 3)
    assert (r.writer, r.prompt_version, r.run_id, r.created_at) == ("template", "template-v1", "run-1", NOW)
    assert r.root_url == R and r.golden_path == [R, A1, P, C] and r.domain == "127.0.0.1:8000"
    assert r.language == "en" and r.candidate_id
    meta = json.loads(r.meta_json)
    assert meta["path"] == [
        {"from": R, "to": A1, "anchor": "Salt (2009)"},
        {"from": A1, "to": P, "anchor": "Elena Marsh"},
        {"from": P, "to": C, "anchor": "Ostenfeld, Norvania"},
    ]
    assert meta["fact"] == {"page": C, "key": "Founded", "value": "1290"}
    assert meta["miner"] == "multi_hop" and meta["candidate_id"] == r.candidate_id


def test_count_single_hop_intersection_meta() -> None:
    p = make_page("http://h/w/x", "Xavier", facts=[], enumerations=[
        Enumeration(kind="list", label="Albums", section="Discography › Albums", items=["A", "B", "C"]),
        Enumeration(kind="infobox", label="Genres", section="Infobox", items=["soul", "jazz"])])
    q = make_page("http://h/w/y", "Yolanda", enumerations=[
        Enumeration(kind="infobox", label="Genres", section="Infobox", items=["jazz", "pop"])])
    (count,) = [r for r in records(CountMiner(), [p]) if json.loads(r.meta_json)["label"] == "Albums"]
    assert json.loads(count.meta_json) | {"candidate_id": ""} == {
        "items": ["A", "B", "C"], "label": "Albums", "section": "Discography › Albums", "kind": "list",
        "page": "http://h/w/x", "miner": "count", "candidate_id": ""}
    assert (count.answer, count.hops, count.difficulty) == ("3", 1, 1)
    (inter,) = records(IntersectionMiner(), [p, q])
    meta = json.loads(inter.meta_json)
    assert meta["shared"] == ["jazz"] and inter.answer == "jazz" and inter.difficulty == 2
    assert {meta["a"]["url"], meta["b"]["url"]} == {"http://h/w/x", "http://h/w/y"}
    assert sorted([meta["a"]["items"], meta["b"]["items"]]) == [["jazz", "pop"], ["soul", "jazz"]]
    (single,) = records(SingleHopMiner(), [site()[1]])[:1]
    assert json.loads(single.meta_json) | {"candidate_id": ""} == {
        "key": "Released", "value": "2 October 2009", "page": A1, "miner": "single_hop", "candidate_id": ""}


def test_difficulty_by_hops() -> None:
    assert [difficulty(h) for h in (1, 2, 3, 4, 7)] == [1, 2, 3, 3, 3]


def test_a_rejected_candidate_has_no_record() -> None:
    p = make_page("http://h/w/x", "Xavier", enumerations=[
        Enumeration(kind="list", label="Albums", section="Albums", items=["A", "B"])])
    ctx = MineContext(SynthConfig(), Counters(), lambda r: None)
    (c,) = CountMiner().mine(Graph([Node.from_page(p)]), ctx)
    with pytest.raises(ValueError, match="not written"):
        to_record(Written(c, reject_reason="answer_in_question"), writer_name="t", prompt_version="v",
                  run_id="r", created_at=NOW)
