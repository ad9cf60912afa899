"""Obfuscated questions end to end without a network: miner → offline writer → record → recheck filter."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from filters.obfuscated import ObfuscatedRecheck
from pipelines.counters import Counters
from schemas.records import Reject
from synth.assemble import to_record
from synth.config import SynthConfig
from synth.mine import mine
from synth.writers.llm import LLMWriter
from synth.writers.obfuscated import check_question, states, write_obfuscated
from tests.synth.graph.world import music_world

NAMES = ["Ann Ray", "Bo Tate", "Blue Dawn", "Grey Noon", "Red Road", "Low Tide", "High Tide", "Stone Song"]


def mined(**kw):
    rejects: list[Reject] = []
    counters = Counters()
    cfg = SynthConfig(miners=["obfuscated"], **kw)
    return list(mine(music_world(), cfg, counters, rejects.append)), rejects, counters


def records():
    cands, _, _ = mined()
    out = []
    for c in cands:
        w = write_obfuscated(c)
        if w.ok:
            out.append(to_record(w, writer_name="template", prompt_version="template-v1", run_id="t",
                                 created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    return cands, out


def test_miner_candidates_carry_constraints_and_evidence() -> None:
    cands, rejects, counters = mined()
    assert cands and counters.get("mine/candidates/obfuscated") == len(cands)
    for c in cands:
        assert c.type == "obfuscated" and c.miner == "obfuscated"
        assert len({k.evidence_url for k in c.constraints}) >= 2 and c.hops >= 2
        assert all(k.subject.startswith("?") and k.snippet for k in c.constraints)
        assert {(e.url, e.text) for e in c.evidence} >= {(k.evidence_url, k.snippet) for k in c.constraints}
        slots = json.loads(c.slots_json)
        assert slots["meta"]["solver"]["matches"] == 1
        assert not c.answer.isdigit()  # names or attributes, never counts
    assert {r.reason for r in rejects} <= {"no_subgraph", "shape_cap", "ambiguous_nouns", "duplicate_candidate",
                                           "page_cap"}


def test_offline_questions_state_every_constraint_and_name_no_page() -> None:
    cands, recs = records()
    assert len(recs) >= len(cands) * 0.8
    for r in recs:
        assert r.question.endswith("?") and len(r.question) <= 400
        for name in NAMES:  # no crawled title in the question
            assert name.lower() not in r.question.lower(), (name, r.question)
        meta = json.loads(r.meta_json)
        assert all(states(r.question, c) for c in meta["query"]["constraints"])
    # many sentence plans: questions do not share one opening
    openings = {tuple(r.question.split()[:4]) for r in recs}
    assert len(openings) >= len(recs) * 0.5


def test_writer_is_deterministic() -> None:
    cands, _, _ = mined()
    assert [write_obfuscated(c).question for c in cands] == [write_obfuscated(c).question for c in cands]


def test_check_question_reasons() -> None:
    cands, _, _ = mined()
    c = cands[0]
    slots = json.loads(c.slots_json)
    q = write_obfuscated(c).question
    assert check_question(q, slots, c.answer) == ("", "")
    assert check_question(q[:-1] + f", like {c.answer}?", slots, c.answer)[0] == "forbidden_string"
    assert check_question("Which " + "very " * 30 + "thing is it?", slots, c.answer)[0] == "missing_constraint"
    assert check_question("Which thing is it?", slots, c.answer)[0] == "too_short"
    # the LLM writer applies the same check to a model's question
    assert LLMWriter.check(c, "Which " + "very " * 30 + "thing is it?")[0] == "missing_constraint"


def test_llm_request_states_constraints_and_forbidden_strings() -> None:
    from synth.llm.client import LLMRequest

    cands, _, _ = mined()
    c = cands[0]
    writer = LLMWriter.__new__(LLMWriter)
    writer.prompt_version, writer._prompts = "v1", {}
    req = writer.request(c)
    assert isinstance(req, LLMRequest)
    data = writer.data(c, json.loads(c.slots_json))
    assert len(data["constraints"]) == len(c.constraints) and c.answer in data["forbidden"]
    assert req.prompt_version == "obfuscated.v1"


def test_recheck_keeps_good_records_and_drops_tampered_ones() -> None:
    _, recs = records()
    f = ObfuscatedRecheck()
    from filters import registered
    assert registered()["obfuscated_recheck"] is ObfuscatedRecheck
    assert recs and all(f.check(r).keep for r in recs)
    r = recs[0]
    assert f.check(r.model_copy(update={"answer": "Somebody Else"})).reason in ("answer_mismatch",)
    dated = [r2 for r2 in recs if any(k.relation in ("released", "born", "recorded") for k in r2.constraints)]
    if dated:
        r2 = dated[0]
        bad = [k.model_copy(update={"value": "1999", "snippet": "Released: 1999"})
               if k.relation in ("released", "born", "recorded") else k for k in r2.constraints]
        assert f.check(r2.model_copy(update={"constraints": bad})).reason in ("constraint_fails",
                                                                             "snippet_not_in_evidence")
    leaked = r.model_copy(update={"question": r.question[:-1] + " (see " + r.answer + ")?"})
    assert f.check(leaked).reason == "forbidden_in_question"
    one_page = r.model_copy(update={"constraints": r.constraints[:1]})
    assert f.check(one_page).reason == "no_query"
