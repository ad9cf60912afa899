"""E2HQA rounds on the fixture site: exact lineage for 1, 2 and 3 rounds, and every reject reason."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from crawlqa.devserver import FIXTURE_SITE
from pipelines.counters import Counters
from schemas.ids import stable_hash
from synth.e2h import REASONS, E2HEngine, failure_reject, to_webshaper
from synth.e2h.clues import clues_for, predicate, sentences, soft_cut
from synth.e2h.config import E2HConfig
from synth.e2h.entities import capitalised_spans, find_entities, type_noun
from synth.e2h.pages import pages_from_files
from synth.e2h.seeds import Seed
from synth.e2h.writers import TemplateE2HWriter, WriterOutput, shorten, template_rewrite
from synth.search import LocalSearchIndex, SearchRouter, StaticWebSearch

BASE = "http://127.0.0.1:8765"
W = BASE + "/wiki/"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    files = sorted((FIXTURE_SITE / "wiki").glob("*.html"))
    idx = LocalSearchIndex.build(pages_from_files(FIXTURE_SITE, files, BASE),
                                 tmp_path_factory.mktemp("e2h") / "search.sqlite")
    yield idx
    idx.close()


def engine(index, writer=None, web=None, mode="fallback", counters=None, **cfg):
    cfg.setdefault("one_search_gate", False)  # a 27-page site: one search finds nearly every answer
    return E2HEngine(SearchRouter(index, web, mode), writer or TemplateE2HWriter(), E2HConfig(**cfg),
                     counters if counters is not None else Counters(), run_id="test-run")


def seed(sid: str, q: str, a: str, page: str = "") -> Seed:
    return Seed(sid, q, a, source_url=W + page + ".html" if page else "",
                golden_path=(W + "index.html", W + page + ".html") if page else ())


NG = seed("ng", "When was Northern Glass released?", "19 April 2013", "Northern_Glass")
ROUND1 = dict(entity="Northern Glass", query="Northern Glass", evidence_url=W + "Jonas_Brandt.html",
              snippet="Notable work: Northern Glass (2013)", description="the notable work of Jonas Brandt",
              question_before="When was Northern Glass released?",
              question_after="When was the notable work of Jonas Brandt released?")
ROUND2 = dict(entity="Jonas Brandt", query="Jonas Brandt", evidence_url=W + "Jonas_Brandt.html",
              snippet="Born: 2 June 1976; Halverstad, Norvania", description="the producer born in Halverstad",
              question_before="When was the notable work of Jonas Brandt released?",
              question_after="When was the notable work of the producer born in Halverstad released?")
ROUND3 = dict(entity="Halverstad", query="Halverstad", evidence_url=W + "Halverstad.html",
              snippet="Mayor: Kaia Renner", description="the town whose mayor is Kaia Renner",
              question_before="When was the notable work of the producer born in Halverstad released?",
              question_after="When was the notable work of the producer born in the town whose mayor is "
                             "Kaia Renner released?")


@pytest.mark.parametrize("rounds", [1, 2, 3])
def test_seed_through_n_rounds_with_exact_lineage(index, rounds):
    c = Counters()
    (out,) = list(engine(index, rounds=rounds, counters=c).run([NG]))
    expected = [ROUND1, ROUND2, ROUND3][:rounds]
    got = [st.model_dump(exclude={"round", "snippet_hash"}) for st in out.steps]
    assert got == expected
    assert [st.round for st in out.steps] == list(range(1, rounds + 1))
    assert all(st.snippet_hash == stable_hash(st.snippet) for st in out.steps)
    rec = out.record
    assert out.failure is None and rec is not None
    assert (rec.type, rec.answer, rec.difficulty, rec.hops) == ("e2h", "19 April 2013", rounds, rounds + 1)
    assert rec.question == expected[-1]["question_after"]
    urls = list(dict.fromkeys([W + "index.html", W + "Northern_Glass.html",
                               *(e["evidence_url"] for e in expected)]))
    assert rec.source_urls == rec.golden_path == urls
    # the seed's grounding comes first: the sentence of its own page that states the answer
    assert [(e.url, e.text) for e in rec.evidence] == [
        (W + "Northern_Glass.html", "Northern Glass is the third studio album by Norvanian singer-songwriter "
                                    "Mira Volkova, released on 19 April 2013 by Lumen Records."),
        *((e["evidence_url"], e["snippet"]) for e in expected)]
    assert (rec.candidate_id, rec.writer, rec.prompt_version, rec.run_id) == ("ng", "template", "e2h-template.v1",
                                                                             "test-run")
    meta = json.loads(rec.meta_json)
    assert meta["rounds_survived"] == rounds and meta["seed_question"] == NG.question
    assert [m["kind"] for m in meta["rounds"]] == ["inverse_relation", "forward_relation", "forward_relation"][:rounds]
    assert c.get("e2h/kept") == 1 and c.get(f"e2h/difficulty/{rounds}") == 1
    assert c.get(f"e2h/rounds/passed/r{rounds}") == 1


def test_webshaper_export_of_a_three_round_record(index):
    (out,) = list(engine(index, rounds=3).run([NG]))
    ws = to_webshaper(out.record)
    assert ws["formalization"] == [
        ["?", "answers", "C@When was V@X1 released?"],
        ["V@X2", "Notable work", "V@X1"],
        ["V@X2", "Born", "V@X3"],
        ["V@X3", "Mayor", "C@Kaia Renner"],
    ]
    assert ws["urls"] == [W + "index.html", W + "Northern_Glass.html", W + "Jonas_Brandt.html", W + "Halverstad.html"]
    assert (ws["question"], ws["answer"], ws["id"]) == (out.record.question, "19 April 2013", out.record.id)


def test_records_are_deterministic(index):
    a = [o.record for o in engine(index).run([NG])]
    b = [o.record for o in engine(index).run([NG])]
    assert [r.model_dump(exclude={"created_at"}) for r in a] == [r.model_dump(exclude={"created_at"}) for r in b]


def test_min_rounds_and_partial_survival(index):
    # round 2 of this seed cannot stay under 60 chars: the record keeps round 1 (difficulty 1)
    (out,) = engine(index, rounds=3, max_question_chars=60).run([NG])
    assert out.rounds == 1 and out.record.difficulty == 1 and out.failure.round == 2
    assert out.failure.reason == "too_long"
    rej = failure_reject(out, "test-run")
    assert (rej.stage, rej.reason, rej.record_id) == ("e2h", "too_long", "ng")
    assert rej.detail.startswith("round 2: ") and json.loads(rej.payload_json)["rounds_survived"] == 1
    (out,) = engine(index, rounds=3, max_question_chars=60, min_rounds_to_keep=2).run([NG])
    assert out.record is None and out.rounds == 1


class ScriptedWriter(TemplateE2HWriter):
    """The template writer with one step overridden (a writer that misbehaves on purpose)."""

    name = "scripted"

    def __init__(self, describe=None, rewrite=None) -> None:
        self._d, self._r = describe, rewrite

    def describe(self, requests):
        outs = super().describe(requests)
        return [self._d(r, o) if self._d else o for r, o in zip(requests, outs, strict=True)]

    def rewrite(self, requests):
        outs = super().rewrite(requests)
        return [self._r(r, o) if self._r else o for r, o in zip(requests, outs, strict=True)]


KB = seed("kb", "What is the elevation of Kestrel Bay?", "6 m", "Kestrel_Bay")

CASES = {
    # (seeds no page grounds: the round mechanics are tested with grounding off)
    "no_entity": (dict(ground_seeds=False), seed("z1", "Who founded the glassworks in the old town?", "Agnes Holm"), None),
    "no_search_hit": (dict(web=StaticWebSearch(results={}), ground_seeds=False), seed("z2", "Who founded Zorbulon Industries?",
                                                                   "Agnes Holm"), None),
    "no_description": (dict(clue_order=["lead_sentence"]), KB, None),
    "writer_failed": (dict(), KB, ScriptedWriter(describe=lambda r, o: WriterOutput(r.key, None, "refusal"))),
    "entity_still_present": (dict(), KB, ScriptedWriter(
        describe=lambda r, o: WriterOutput(r.key, f"the place called {r.entity}"))),
    "answer_leaked": (dict(clue_order=["first_sentence"]),
                      seed("kb2", "In which country is Kestrel Bay?", "Norvania", "Kestrel_Bay"), None),
    "ambiguous": (dict(clue_order=["inverse_relation"]), seed("tw", "When did Tidewave emerge?", "2008", "Tidewave"),
                  None),
    "not_unique": (dict(clue_order=["first_sentence"], max_attempts_per_round=1), KB, None),
    "too_long": (dict(max_question_chars=60, max_attempts_per_round=6), KB, None),
    "no_growth": (dict(), KB, ScriptedWriter(rewrite=lambda r, o: WriterOutput(r.key, "What is its elevation?"))),
    # (without the obfuscated clues: "the album recorded in the early 2010s" hides the answer)
    "answer_in_top3": (dict(one_search_gate=True, clue_order=["inverse_relation", "inverse_mention",
                                                               "forward_relation", "first_sentence", "fact"]),
                       NG, None),
    "not_fluent": (dict(), KB, ScriptedWriter(rewrite=lambda r, o: WriterOutput(
        r.key, f"What is the elevation of {r.description} by Petra Lind by Petra Lind?"))),
    # every clue left goes through Jonas Brandt or Northern Glass, which the question already names
    "self_reference": (dict(clue_order=["inverse_relation"]),
                       seed("sr", "When was Northern Glass, produced by Jonas Brandt, released?", "19 April 2013",
                            "Northern_Glass"), None),
}


@pytest.mark.parametrize("reason", REASONS)
def test_every_reject_reason(index, reason):
    cfg, s, writer = CASES[reason]
    cfg = dict(cfg)
    web = cfg.pop("web", None)
    c = Counters()
    (out,) = list(engine(index, writer=writer, web=web, counters=c, rounds=1, **cfg).run([s]))
    assert out.record is None and out.failure is not None
    assert (out.failure.round, out.failure.reason) == (1, reason), out.failure
    assert c.get(f"e2h/dropped/{reason}") == 1 and c.get("e2h/below_min_rounds") == 1
    rej = failure_reject(out, "test-run")
    assert rej.reason == reason and rej.stage == "e2h" and rej.record_id == s.id
    assert json.loads(rej.payload_json)["attempts"] or reason == "no_entity"
    if reason == "not_fluent":
        assert out.failure.detail.startswith("doubled_phrase: 'by Petra Lind' repeated")
    if reason == "self_reference":
        assert "names 'Jonas Brandt'" in out.failure.detail or "names 'Northern Glass'" in out.failure.detail


def test_one_search_gate_reads_the_rewrite(index):
    (out,) = list(engine(index, rounds=1, **CASES["answer_in_top3"][0]).run([NG]))
    assert out.failure.reason == "answer_in_top3" and out.record is None
    from filters.shortcut import shortcut_rank
    gated = [a for a in out.failure.attempts if a["reason"] == "answer_in_top3"]
    assert gated
    for a in gated:  # the filter stage's own gate would drop each of these rewrites
        rank = shortcut_rank(index, a["question"], NG.answer)
        assert rank is not None and rank <= 3 and a["detail"].endswith(f"at rank {rank}")


def test_failure_details_name_the_cause(index):
    (out,) = list(engine(index, rounds=1, **CASES["not_unique"][0]).run([KB]))
    assert out.failure.detail == "search 'the coastal city in Norvania' finds 'Main Page' first, not 'Kestrel Bay'"
    (out,) = list(engine(index, rounds=1, **CASES["ambiguous"][0]).run([CASES["ambiguous"][1]]))
    assert "can denote 3 entities" in out.failure.detail
    (out,) = list(engine(index, rounds=1, clue_order=["first_sentence"]).run([KB]))
    # the short core is not unique, the whole first sentence is
    assert out.steps[0].description == ("the coastal city in Norvania, known for its salt marshes and for the "
                                         "granite Greywater Lighthouse on its northern headland")


def test_web_search_finds_an_entity_the_index_lacks(index):
    hit = [{"url": "https://z.test/zorbulon", "title": "Zorbulon Industries - Wikipedia",
            "snippet": "Zorbulon Industries is a Norvanian maker of brass instruments in Ostenfeld."}]
    web = StaticWebSearch(results={"Zorbulon Industries": hit,
                                   "the Norvanian maker of brass instruments in Ostenfeld": hit})
    s = seed("z3", "Who founded Zorbulon Industries?", "Agnes Holm")
    (out,) = list(engine(index, web=web, mode="primary", rounds=1, ground_seeds=False).run([s]))
    (st,) = out.steps
    assert (st.entity, st.query, st.evidence_url, st.description, st.question_after) == (
        "Zorbulon Industries", "Zorbulon Industries", "https://z.test/zorbulon",
        "the Norvanian maker of brass instruments in Ostenfeld",
        "Who founded the Norvanian maker of brass instruments in Ostenfeld?")
    assert st.snippet == hit[0]["snippet"] and json.loads(out.record.meta_json)["rounds"][0]["kind"] == "web_snippet"
    assert web.queries == ["Zorbulon Industries", "the Norvanian maker of brass instruments in Ostenfeld"]


def test_batches_give_the_same_results_as_one_by_one(index):
    seeds = [NG, KB, seed("jb", "When was Jonas Brandt born?", "2 June 1976", "Jonas_Brandt"),
             seed("dm", "What is the population of Dunmoor?", "812,400", "Dunmoor")]
    together = [o.record.question for o in engine(index, batch_size=4).run(seeds)]
    alone = [o.record.question for o in engine(index, batch_size=1).run(seeds)]
    assert together == alone and len(set(together)) == 4


# --- the pieces -------------------------------------------------------------------------------------
def test_entity_spotting(index):
    aliases = index.aliases()
    q = 'Who produced "Northern Glass" for Mira Volkova, born in Kestrel Bay?'
    spans = find_entities(q, "Jonas Brandt", aliases)
    assert [(s.text, q[s.start:s.end]) for s in sorted(spans, key=lambda s: s.start)] == [
        ("Northern Glass", '"Northern Glass"'), ("Mira Volkova", "Mira Volkova"), ("Kestrel Bay", "Kestrel Bay")]
    assert [s.text for s in find_entities(q, "Kestrel Bay", aliases)] == ["Northern Glass", "Mira Volkova"]
    assert find_entities("what about glass pop music?", "x", aliases) == []  # not capitalised: not a name
    caps = capitalised_spans("Where was Albert Einstein born, near the University of Ulm?", "x")
    assert sorted(c.text for c in caps) == ["Albert Einstein", "University of Ulm"]


def test_sentences_predicates_and_types():
    assert sentences("Bennie Ross Crawford, Jr. was a saxophonist. He played in Memphis.") == [
        "Bennie Ross Crawford, Jr. was a saxophonist.", "He played in Memphis."]
    assert predicate("Ulm (German: [ʊlm]) is a city in Germany.") == ("Ulm", "a city in Germany")
    assert predicate("Ulm is one of the cities of Germany.") is None
    assert soft_cut("a coastal city in Norvania, known for its salt marshes") == "a coastal city in Norvania"
    assert type_noun("an independent record label based in Dunmoor") == "label"
    assert type_noun("a parliamentary republic on the Skerrow Peninsula") == "republic"
    assert shorten("the city on the river, which is long and wide and old", 30) == "the city on the river"


def test_template_rewrite_keeps_the_grammar():
    assert template_rewrite("When was the album Northern Glass released?", 19, 33, "the third album by X") == \
        "When was the third album by X released?"
    assert template_rewrite("Kestrel Bay lies where?", 0, 11, "the coastal city") == "The coastal city lies where?"
    q = 'Who produced "Northern Glass"?'
    assert template_rewrite(q, 13, 29, "the third album") == "Who produced the third album?"
    assert template_rewrite("Where was jazz musician Hank Crawford born?", 24, 37, "the saxophonist") == \
        "Where was the saxophonist born?"


def test_clues_of_a_page(index):
    doc = index.doc(W + "Jonas_Brandt.html")
    clues = clues_for(doc, index, answer="x", exclude=set())
    kinds = {(c.kind, c.anchor) for c in clues}
    assert ("inverse_relation", "Northern Glass") in kinds  # Producer: Jonas Brandt on the album's page
    assert ("forward_relation", "Halverstad") in kinds and ("first_sentence", "") in kinds
    born = next(c for c in clues if c.kind == "forward_relation" and c.anchor == "Halverstad")
    assert (born.relation, born.resolves, born.evidence_url) == ("born", 1, W + "Jonas_Brandt.html")
    norvania = next(c for c in clues if c.kind == "forward_relation" and c.anchor == "Norvania")
    assert norvania.resolves >= 1
    no_halverstad = clues_for(doc, index, answer="Halverstad", exclude=set())
    assert all(c.anchor != "Halverstad" for c in no_halverstad)
    excluded = clues_for(doc, index, answer="x", exclude={"northern glass"})
    assert all(c.anchor != "Northern Glass" for c in excluded)
    assert replace(born, resolves=2).resolves == 2


def test_entities_must_be_linked_from_the_questions_pages(index):
    assert W + "Lumen_Records.html" not in index.links_from(W + "Tamsel_River.html")
    assert W + "Halverstad.html" in index.links_from(W + "Tamsel_River.html")
    far = seed("far", "Who founded Lumen Records?", "Agnes Holm", "Tamsel_River")  # a page about something else
    c = Counters()
    (out,) = list(engine(index, rounds=1, counters=c, ground_seeds=False).run([far]))
    assert out.failure.reason == "no_entity" and c.get("e2h/entities/unlinked") == 1
    free = Seed("free", "Who founded Lumen Records?", "Agnes Holm")  # no page known: any sense goes
    (out,) = list(engine(index, rounds=1, ground_seeds=False).run([free]))
    assert out.rounds == 1 and out.steps[0].entity == "Lumen Records"


def test_chronology_rows_stay_with_one_artist(tmp_path):
    """'Previous single: Night Time Is the Right Time' on Ray Charles's What'd I Say links a page whose
    infobox is Nappy Brown's record of the title: no clue may describe either page through that row."""
    from schemas.ids import page_id
    from schemas.records import Fact, Page
    from synth.e2h.clues import clues_for

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    base = "http://127.0.0.1:8765/A/"

    def page(name: str, first: str, facts: list[tuple[str, str, list[str]]]) -> Page:
        url = base + name.replace(" ", "_") + ".html"
        return Page(id=page_id(url), url=url, final_url=url, root_url=url, depth=1, status=200,
                    content_type="text/html", fetched_at=t0, title=name, subject=name, description=first,
                    text=first, facts=[Fact(key=k, value=v, links=ln) for k, v, ln in facts])

    wis, nt, gs = (base + n + ".html" for n in ("What'd_I_Say", "Night_Time", "Georgia_Song"))
    pages = [
        page("What'd I Say", "What'd I Say is a 1959 song by Ray Charles.",
             [("Type", "Single by Ray Charles", []), ("Previous single", "Night Time", [nt]),
              ("Next single", "Georgia Song", [gs])]),
        page("Night Time", "Night Time is a 1957 song recorded by Nappy Brown.",
             [("Type", "Single by Nappy Brown", []), ("Label", "Savoy", [])]),
        page("Georgia Song", "Georgia Song is a 1960 single by Ray Charles and The Raelettes.",
             [("Type", "Single by Ray Charles and The Raelettes", []), ("Previous single", "What'd I Say", [wis])]),
    ]
    with LocalSearchIndex.build(pages, tmp_path / "s.sqlite") as idx:
        wis_all = clues_for(idx.doc(wis), idx, answer="", exclude=set())
        wis_clues = [(c.kind, c.key, c.anchor) for c in wis_all if c.is_relation]
        # nor as a plain row: 'the song whose previous single is Night Time' would lead to Nappy Brown's page
        assert not [c for c in wis_all if c.kind == "fact" and c.key == "Previous single"]
        assert [c.value for c in wis_all if c.kind == "fact" and c.key == "Next single"] == ["Georgia Song"]
        nt_clues = [(c.kind, c.key) for c in clues_for(idx.doc(nt), idx, answer="", exclude=set()) if c.is_relation]
    # Ray Charles's own chronology stays (a shared artist: 'Ray Charles and The Raelettes')
    assert ("forward_relation", "Next single", "Georgia Song") in wis_clues
    assert ("inverse_relation", "Previous single", "Georgia Song") in wis_clues
    assert not [c for c in wis_clues if c[2] == "Night Time"] and nt_clues == []


def _rc_pages(specs: list[tuple[str, str, list[tuple[str, str, list[str]]]]]):
    from schemas.ids import page_id
    from schemas.records import Fact, Page

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for name, first, facts in specs:
        url = "http://127.0.0.1:8765/A/" + name.replace(" ", "_") + ".html"
        out.append(Page(id=page_id(url), url=url, final_url=url, root_url=url, depth=1, status=200,
                        content_type="text/html", fetched_at=t0, title=name, subject=name, description=first,
                        text=first, facts=[Fact(key=k, value=v, links=ln) for k, v, ln in facts]))
    return out


def _u(name: str) -> str:
    return "http://127.0.0.1:8765/A/" + name.replace(" ", "_") + ".html"


def test_contradicted_chronology_row_makes_no_unique_clue(tmp_path):
    """Audit (issue 16): 'the previous single of I Can't Stop Loving You' is Hit the Road Jack on its own
    page, while Unchain My Heart's page says I Can't Stop Loving You came right after it: two readings,
    so neither row describes one record (the same test the CRAWLQA miners apply, Graph.chronology_conflict)."""
    icsly, hrj, umh, g = _u("Love You"), _u("Road Jack"), _u("Unchain"), _u("Georgia Song")
    pages = _rc_pages([
        ("Love You", "Love You is a 1962 single by Ray Charles.",
         [("Type", "Single by Ray Charles", []), ("Previous single", "Road Jack", [hrj])]),
        ("Road Jack", "Road Jack is a 1961 single by Ray Charles.",
         [("Type", "Single by Ray Charles", []), ("Next single", "Unchain", [umh]),
          ("Previous single", "Georgia Song", [g])]),
        ("Unchain", "Unchain is a 1961 single by Ray Charles.",
         [("Type", "Single by Ray Charles", []), ("Next single", "Love You", [icsly])]),
        ("Georgia Song", "Georgia Song is a 1960 single by Ray Charles.",
         [("Type", "Single by Ray Charles", []), ("Next single", "Road Jack", [hrj])]),
    ])
    with LocalSearchIndex.build(pages, tmp_path / "s.sqlite") as idx:
        by = {u: [c for c in clues_for(idx.doc(u), idx, answer="", exclude=set()) if c.is_relation]
              for u in (icsly, hrj, g)}
        eng = engine(idx)
        # Hit the Road Jack as 'the previous single of Love You': Unchain's page places Unchain there
        (inv,) = [c for c in by[hrj] if c.kind == "inverse_relation" and c.key == "Previous single"]
        assert inv.resolves == 2 and inv.ambiguity.startswith("another page places")
        assert eng._structural_ambiguity(inv) == f"inverse_relation 'Previous single: Road Jack': {inv.ambiguity}"
        (fwd,) = [c for c in by[icsly] if c.kind == "forward_relation" and c.key == "Previous single"]
        assert fwd.resolves == 2 and fwd.ambiguity
    # Georgia Song <-> Road Jack: both pages agree, the clue stays unique
    (ok,) = [c for c in by[g] if c.kind == "forward_relation" and c.key == "Next single"]
    assert ok.resolves == 1 and ok.ambiguity == ""


def test_song_is_not_described_by_its_album(tmp_path):
    """Audit (issue 16): 'the song from the album The Genius Hits the Road' fits each of its tracks,
    even when only one track's page was crawled; 'the album that includes the song X' stays unique."""
    song, album = _u("Georgia Song"), _u("Road Album")
    pages = _rc_pages([
        ("Georgia Song", "Georgia Song is a 1960 single by Ray Charles.",
         [("Type", "Single by Ray Charles", []), ("Album", "Road Album", [album])]),
        ("Road Album", "Road Album is a 1960 studio album by Ray Charles.",
         [("Type", "Studio album by Ray Charles", [])]),
    ])
    with LocalSearchIndex.build(pages, tmp_path / "s.sqlite") as idx:
        (fwd,) = [c for c in clues_for(idx.doc(song), idx, answer="", exclude=set())
                  if c.kind == "forward_relation" and c.key == "Album"]
        inv = [c for c in clues_for(idx.doc(album), idx, answer="", exclude=set())
               if c.kind == "inverse_relation" and c.key == "Album"]
    assert fwd.resolves == 2 and fwd.ambiguity.startswith("an album lists many tracks")
    assert [(c.resolves, c.ambiguity) for c in inv] == [(1, "")]


def test_a_page_with_two_chronologies_describes_no_unique_neighbour(tmp_path):
    """Audit (issue 16): 'the next album of Ray Charles and Betty Carter': the page has one chronology
    per artist (Next album: The Genius Sings the Blues, and Betty Carter's 'Round Midnight), even when
    the other artist's album was not crawled."""
    duo, blues, rm = _u("Duo Album"), _u("Blues Album"), _u("Midnight Album")
    pages = _rc_pages([
        ("Duo Album", "Duo Album is a 1961 studio album by Ray Charles and Betty Carter.",
         [("Type", "Studio album by Ray Charles and Betty Carter", []), ("Next album", "Blues Album", [blues]),
          ("Next album", "Midnight Album", [rm])]),  # Betty Carter's album: not crawled
        ("Blues Album", "Blues Album is a 1961 studio album by Ray Charles.",
         [("Type", "Studio album by Ray Charles", [])]),
    ])
    with LocalSearchIndex.build(pages, tmp_path / "s.sqlite") as idx:
        inv = [c for c in clues_for(idx.doc(blues), idx, answer="", exclude=set())
               if c.kind == "inverse_relation" and c.key == "Next album"]
    assert [(c.resolves, c.ambiguity) for c in inv] == [(2, f"{duo} has 2 'Next album' rows (one chronology per artist)")]


def test_chronology_value_with_a_comma_is_one_album():
    """Audit (issue 16, unnatural): 'the album whose previous album includes the album Modern Sounds in
    Country and Western Music Volume Two': a chronology row names one record even with a comma."""
    from synth.e2h.clues import Clue
    from synth.e2h.writers import template_description

    clue = Clue("forward_relation", "u", "u", "", key="Previous album",
                value="Modern Sounds in Country and Western Music, Volume Two (1962)",
                anchor="Modern Sounds in Country and Western Music Volume Two", type="album", anchor_type="album")
    assert template_description(clue) == (
        "the album whose previous album is the album Modern Sounds in Country and Western Music Volume Two")
    multi = replace(clue, key="Genre", value="Rhythm and blues, soul", anchor="Soul", anchor_type="")
    assert template_description(multi) == "the album whose genre includes Soul"


def test_a_recorded_span_shared_by_another_record_is_ambiguous(tmp_path):
    """Audit (issue 16): 'the disc recorded between 1960 and 1972 by Ray Charles' (Anthology's field is
    the span of its tracks): another album recorded in 1961 fits it too. A month is compared exactly."""
    anth, other = _u("Anthology"), _u("Studio Album")
    pages = _rc_pages([
        ("Anthology", "Anthology is a 1988 compilation album by Ray Charles.",
         [("Type", "Compilation album by Ray Charles", []), ("Recorded", "1960–1972", []),
          ("Released", "January 1988", [])]),
        ("Studio Album", "Studio Album is a 1961 studio album by Ray Charles.",
         [("Type", "Studio album by Ray Charles", []), ("Recorded", "1961", []), ("Released", "1988", [])]),
    ])
    with LocalSearchIndex.build(pages, tmp_path / "s.sqlite") as idx:
        facts = {c.key: c for c in clues_for(idx.doc(anth), idx, answer="", exclude=set()) if c.kind == "fact"}
        own = {c.key: c for c in clues_for(idx.doc(other), idx, answer="", exclude=set()) if c.kind == "fact"}
        eng = engine(idx)
        assert eng._structural_ambiguity(facts["Recorded"]) == (
            "fact 'Recorded: 1960–1972': 1 other entities have a recorded date between 1960 and 1972 (e.g. studio album)")
    assert facts["Released"].ambiguity == ""  # 'January 1988' is narrower than the other page's '1988'
    # 'released in 1988': Anthology was released in January 1988
    assert own["Released"].ambiguity == "1 other entities have a released date in 1988 (e.g. anthology)"


def test_rewrite_swallows_the_box_set_noun():
    """Audit (issue 16, unnatural): 'When was the box set the compilation whose length is 2:28:48 by …'."""
    q = "When was the box set “The Birth of Soul” by Ray Charles released?"
    i, j = q.index("“"), q.index("”") + 1
    assert template_rewrite(q, i, j, "the compilation whose length is 2:28:48") == \
        "When was the compilation whose length is 2:28:48 by Ray Charles released?"
    q = "Did they set “The Birth of Soul” aside?"  # 'set' alone is a verb: nothing swallowed
    i, j = q.index("“"), q.index("”") + 1
    assert template_rewrite(q, i, j, "the box set") == "Did they set the box set aside?"


def test_rewrite_drops_the_replaced_entitys_credit_after_a_relational_description():
    """Audit (issue 16, unnatural): 'the next album of the album "Do the Twist! with Ray Charles" by Ray
    Charles and Milt Jackson': the credit was Soul Meeting's, and now reads as Do the Twist!'s."""
    q = "What is the running time of the album “Soul Meeting” by Ray Charles and Milt Jackson?"
    i, j = q.index("“"), q.index("”") + 1
    assert template_rewrite(q, i, j, 'the next album of the album "Do the Twist! with Ray Charles"') == \
        'What is the running time of the next album of the album "Do the Twist! with Ray Charles"?'
    # a description about the entity itself keeps the credit: it still qualifies the same album
    assert template_rewrite(q, i, j, "the album released in 1961") == \
        "What is the running time of the album released in 1961 by Ray Charles and Milt Jackson?"


def test_a_restart_replaces_a_short_chain_and_counts_once(index):
    # a writer that fails every description of the first pass (keys "<seed id>:r1:a0"): with no restart
    # the seed dies in round 1; one restart (keys "<seed id>restart1:…", another clue order) keeps it, and
    # only the kept outcome is counted (kept, survived; no 'dropped' for the first pass)
    def fail_first_pass(req, out):
        return out if "restart" in req.key else WriterOutput(req.key, None, "scripted_failure")

    c0 = Counters()
    (out,) = engine(index, ScriptedWriter(describe=fail_first_pass), counters=c0, rounds=2, restarts=0).run([NG])
    assert out.record is None and out.failure.reason == "writer_failed"
    assert c0.get("e2h/dropped/writer_failed") == 1 and c0.get("e2h/restarts/seeds") == 0
    c1 = Counters()
    (out,) = engine(index, ScriptedWriter(describe=fail_first_pass), counters=c1, rounds=2, restarts=1).run([NG])
    assert out.record is not None and out.rounds == 2 and out.record.answer == NG.answer
    assert c1.get("e2h/restarts/seeds") == 1 and c1.get("e2h/restarts/improved") == 1
    assert c1.get("e2h/kept") == 1 and c1.get("e2h/survived/2") == 1
    assert not [k for k in c1.to_dict() if k.startswith("e2h/dropped/")]
    # a seed that already survives every round is not restarted
    c2 = Counters()
    (out,) = engine(index, counters=c2, rounds=2, restarts=2).run([NG])
    assert out.rounds == 2 and c2.get("e2h/restarts/seeds") == 0
