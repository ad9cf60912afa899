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


def test_llm_writer_prompt_and_post_checks(writer, srv) -> None:
    """The scripted model on 127.0.0.1 gets every constraint and the forbidden strings; its question is
    kept only when it states every constraint and names nothing forbidden (counted rejects otherwise)."""
    from tests.llm_server import data_of, ok

    cands, _, _ = mined()
    c, c2, c3 = cands[0], cands[1], cands[2]  # three requests with different data (no cache hits)
    good = write_obfuscated(c).question
    leak = write_obfuscated(c3).question[:-1] + f" (hint: {c3.answer})?"
    srv.script(ok({"question": good}), ok({"question": "Which " + "very " * 30 + "thing is it?"}),
               ok({"question": leak}))
    [w1] = writer.write([c])
    assert w1.ok and w1.question == good and w1.extra["prompt"] == "obfuscated.v1"
    data = data_of(srv.chat_calls[0].messages[1]["content"])
    assert data["type"] == "obfuscated" and len(data["constraints"]) == len(c.constraints)
    assert c.answer in data["forbidden"] and all(k["must_mention_one_of"] for k in data["constraints"])
    assert "answer" not in data  # the model never sees the answer except as a forbidden string
    [w2] = writer.write([c2])
    assert w2.reject_reason == "missing_constraint" and w2.raw
    [w3] = writer.write([c3])
    assert w3.reject_reason == "forbidden_string"


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


def test_obfuscated_candidates_have_a_page_budget_of_their_own() -> None:
    """The shared per-page cap of the other miners does not take obfuscated candidates away, and the
    obfuscated budget drops its surplus with page_cap rejects."""
    alone, _, _ = mined()
    with_all, rejects, _ = (lambda r, c: (list(mine(music_world(), SynthConfig(max_candidates_per_page=1), c,
                                                    r.append)), r, c))([], Counters())
    assert {c.id for c in alone} <= {c.id for c in with_all if c.type == "obfuscated"}
    assert not any(r.reason == "page_cap" and r.record_id in {c.id for c in alone} for r in rejects)
    capped, rejects, counters = mined(obfuscated_max_per_page=1)
    per_page: dict[str, int] = {}
    for c in capped:
        per_page[c.source_urls[0]] = per_page.get(c.source_urls[0], 0) + 1
    assert set(per_page.values()) == {1}
    dropped = [r for r in rejects if r.reason == "page_cap"]
    assert dropped and len(dropped) == len(alone) - len(capped) == counters.get("mine/dropped/page_cap")


def test_a_works_date_is_stated_of_the_work_not_as_the_persons_act() -> None:
    """Audit row 31: "The singer recorded a compilation album recorded sometime between 2003 and 2008" told
    the album's recording date as the singer's act; under every plan the date is a sentence about the work."""
    import random
    import re

    from synth.writers.obfuscated import Realiser

    date = {"op": "year", "lo": 2003, "hi": 2008}
    for x_is_person in (True, False):
        slots = {
            "vars": {"?x": {"kind": "song", "noun": "single"}, "?y": {"kind": "person", "noun": "singer"},
                     "?z": {"kind": "album", "noun": "compilation album"}},
            "constraints": [
                {"t": "rel", "s": "?x", "p": "by", "o": "?y"},
                {"t": "rel", "s": "?z", "p": "by", "o": "?y"},
                {"t": "attr", "s": "?z", "p": "recorded", "vkind": "date", "pred": date},
                {"t": "attr", "s": "?x", "p": "released", "vkind": "date", "pred": {"op": "year", "lo": 1956, "hi": 1964}},
            ],
        }
        if x_is_person:  # the singer asked for, the album a neighbour
            slots["vars"] = {"?x": {"kind": "person", "noun": "singer"}, "?z": {"kind": "album", "noun": "compilation album"}}
            slots["constraints"] = [{"t": "rel", "s": "?z", "p": "by", "o": "?x"},
                                    {"t": "attr", "s": "?z", "p": "recorded", "vkind": "date", "pred": date}]
        seen = 0
        for seed in range(60):
            q = Realiser(slots, random.Random(seed)).describe()
            for sent in re.split(r"(?<=[.?])\s+", q):
                if "2003" in sent or "1956" in sent:
                    seen += 1
                    # the date's sentence is about the work, never "<person> recorded/produced ... <date>"
                    assert not re.search(r"\b(recorded|wrote|produced|counts)\b.*\b(sometime|between|the \d)", sent) \
                        or re.match(r"(That|This|The|In|Sometime)\b.*\b(album|single)\b", sent), sent
                    assert "singer" not in sent.split("2003")[0].split("1956")[0] or "recorded by" in sent, sent
        assert seen >= 60


def test_an_attribute_another_page_contradicts_is_not_asked() -> None:
    """Audit row 8: "Who produced Ray Charles in Person?" answered "Zenas Harris" (its infobox) while two other
    crawled records of the same artist credit "Zenas Sears" for that recording. A credit that another page
    of the same relation may contradict is not asked: a different person sharing the given name or surname
    on a record of the same artist, or a page of the same name and kind crediting someone else."""
    from tests.synth.graph.world import fact, page

    base, _, _ = mined()
    asked = {(c.subject, c.answer) for c in base if c.relation == "producer"}
    assert {("Red Road", "Tom Dowd"), ("Grey Noon", "Sid Feller"), ("Low Tide", "Jerry Wexler")} <= asked

    world = [*music_world(),
             page("Red_Road_Live.html", "Red Road Live", [
                 fact("Type", "Live album by Bo Tate", "Bo_Tate.html"), fact("Released", "1977"),
                 fact("Producer", "Tom Wilson / Bob Johnston")]),
             page("Grey_Noon_(album).html", "Grey Noon (album)", [
                 fact("Type", "Studio album by Ann Ray", "Ann_Ray.html"), fact("Producer", "Quincy Jones")])]
    counters = Counters()
    cands = list(mine(world, SynthConfig(miners=["obfuscated"]), counters, lambda r: None))
    asked = {(c.subject, c.answer) for c in cands if c.relation == "producer"}
    assert ("Red Road", "Tom Dowd") not in asked      # "Tom Wilson" produced a record of the same artist
    assert ("Grey Noon", "Sid Feller") not in asked   # the other "Grey Noon" page credits Quincy Jones
    assert ("Low Tide", "Jerry Wexler") in asked      # no other page says otherwise
    assert any(c.subject == "Red Road" for c in cands)  # the records are still asked by name
    assert counters.get("mine/obfuscated/attr_answer_contradicted/producer") > 0


def test_a_credit_whose_row_names_another_role_is_not_asked() -> None:
    """Ray Charles at Newport: "Producer: Tom Dowd (engineer)" is not "Who produced it? Tom Dowd", nor a clue "a live
    album whose producer has the initials T. D." (session 25: the row says he engineered it; the entity graph
    reads no producer from it, so a rival with such a row is not refuted by a producer clue either)."""
    from tests.synth.graph.world import fact, page

    world = [p for p in music_world() if not p.url.endswith("/Red_Road.html")]
    world.append(page("Red_Road.html", "Red Road", [
        fact("Type", "Studio album by Bo Tate", "Bo_Tate.html"), fact("Released", "1975"),
        fact("Genre", "Rock"), fact("Length", "44:10"), fact("Label", "Columbia"),
        fact("Producer", "Tom Dowd (engineer)")]))
    counters = Counters()
    cands = list(mine(world, SynthConfig(miners=["obfuscated"]), counters, lambda r: None))
    assert any(c.subject == "Red Road" for c in cands)
    assert not [c for c in cands if c.subject == "Red Road" and c.relation == "producer"]
    assert ("Low Tide", "Jerry Wexler") in {(c.subject, c.answer) for c in cands if c.relation == "producer"}
    assert not [c for c in cands if any("(engineer)" in k.snippet for k in c.constraints)]
    from synth.graph.entities import build_entity_graph
    (red,) = [e for e in build_entity_graph(world) if e.name == "Red Road"]
    assert "producer" not in red.attrs and "label" in red.attrs


def test_a_group_or_a_place_is_asked_by_name_a_work_by_title() -> None:
    """wiki-small-2008 (session 25): "... The group in question bears a one-word name beginning with the letter D.
    What is the title of this group?" A band, a place, an organisation has a name; songs, albums, films a title."""
    import random

    from synth.writers.obfuscated import Realiser

    def asks(kind: str, noun: str, same_noun_neighbour: bool = False) -> set[str]:
        vars_ = {"?x": {"kind": kind, "noun": noun}}
        if same_noun_neighbour:
            vars_["?y"] = {"kind": kind, "noun": noun}
        slots = {"vars": vars_, "constraints": [], "ask": {"what": "name"}}
        return {Realiser(slots, random.Random(i)).ask() for i in range(200)}

    for kind, noun in (("band", "group"), ("place", "town"), ("organisation", "record label")):
        for same in (False, True):
            got = asks(kind, noun, same)
            assert got and not any("title" in q for q in got), (kind, got)
    assert any("name of" in q for q in asks("band", "group"))
    assert any("title of" in q for q in asks("album", "studio album"))  # a work keeps its title
    assert any("title of" in q for q in asks("song", "single", True))
