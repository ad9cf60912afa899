"""The fixture site, offline: every type is mined and worded, every kept record passes an
independent recheck against the HTML files, and the designed facts (FACTS.md) come out exactly."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from pipelines.counters import Counters
from schemas.records import QARecord, Reject
from synth.assemble import to_record
from synth.config import SynthConfig
from synth.mine import mine
from synth.writers.template import TemplateWriter
from tests.synth.conftest import BASE
from tests.synth.recheck import Recheck

W = f"{BASE}/wiki/"
ABS = f"{BASE}/arxiv/abs/"


def synthesize(pages, cfg: SynthConfig) -> tuple[list[QARecord], list[Reject], Counters]:
    counters, rejects = Counters(), []
    cands = list(mine(pages, cfg, counters, rejects.append))
    w = TemplateWriter()
    created = datetime(2026, 1, 1, tzinfo=UTC)
    recs = [to_record(x, writer_name=w.name, prompt_version=w.prompt_version, run_id="t", created_at=created)
            for x in w.write(cands) if x.ok]
    return recs, rejects, counters


@pytest.fixture(scope="module")
def default_run(fixture_pages):
    return synthesize(fixture_pages, SynthConfig())


@pytest.fixture(scope="module")
def wide_run(fixture_pages):
    """Caps lifted so that every designed path and pair is present."""
    return synthesize(fixture_pages, SynthConfig(max_paths_per_start=400, max_paths_per_target=100,
                                                 max_candidates_per_page=10_000, max_facts_per_page=50))




def test_every_type_is_mined_and_every_record_rechecks(default_run, fixture_site) -> None:
    recs, rejects, counters = default_run
    by_type = Counter(r.type for r in recs)
    assert set(by_type) == {"count", "multi_hop", "intersection", "single_hop", "comparison", "obfuscated"}
    assert len(recs) >= 20 and min(by_type.values()) >= 5
    check = Recheck(fixture_site)
    failures = [(why, r.question) for r in recs if (why := check(r))]
    assert failures == []
    # the German article is read but not asked about
    assert any(r.reason == "unsupported_language" and "/de/" in r.url for r in rejects)
    assert counters.get("mine/dropped/unsupported_language") == 1


def _find(recs, type_, **meta_eq):
    out = []
    for r in recs:
        if r.type != type_:
            continue
        meta = json.loads(r.meta_json)
        if all(meta.get(k) == v for k, v in meta_eq.items()):
            out.append(r)
    return out


def test_designed_counts(wide_run) -> None:
    recs, rejects, _ = wide_run
    got = {(json.loads(r.meta_json)["page"].removeprefix(BASE), json.loads(r.meta_json)["label"]): r.answer
           for r in recs if r.type == "count"}
    expected = {
        ("/wiki/Mira_Volkova.html", "Studio albums"): "7",
        ("/wiki/Mira_Volkova.html", "Live albums"): "3",
        ("/wiki/Mira_Volkova.html", "Instruments"): "4",
        ("/wiki/Mira_Volkova.html", "Awards and nominations"): "5",
        ("/wiki/Northern_Glass.html", "Personnel"): "5",
        ("/wiki/Northern_Glass.html", "Track listing"): "10",
        ("/wiki/The_Driftwood_Choir.html", "Former members"): "3",
        ("/wiki/Dunmoor.html", "Districts"): "6",
        ("/wiki/Tamsel_River.html", "Cities"): "3",
        ("/arxiv/abs/2401.00002.html", "authors"): "4",
        ("/github/acme/widgetflow/", "Features"): "5",
        ("/github/acme/widgetflow/", "Checkpoint stores"): "4",
    }
    assert {k: got.get(k) for k in expected} == expected
    # counts the live site changes are not asked: each is a counted "volatile" drop (issue 16)
    volatile = {("/wiki/The_Driftwood_Choir.html", "Current members"), ("/arxiv/abs/2401.00003.html", "versions"),
                ("/github/acme/widgetflow/", "topics"), ("/github/acme/widgetflow/contributors.html", "contributors"),
                ("/github/acme/widgetflow/releases.html", "releases")}
    assert not volatile & set(got)
    dropped = {(r.url.removeprefix(BASE), json.loads(r.payload_json).get("label")) for r in rejects
               if r.reason == "volatile" and r.stage == "mine"}
    assert volatile <= dropped


def test_designed_intersections(wide_run) -> None:
    recs, _, _ = wide_run
    shared = {frozenset((json.loads(r.meta_json)["a"]["url"].removeprefix(BASE),
                         json.loads(r.meta_json)["b"]["url"].removeprefix(BASE))): json.loads(r.meta_json)["shared"]
              for r in recs if r.type == "intersection"}
    assert sorted(shared[frozenset({"/wiki/Northern_Glass.html", "/wiki/The_Lantern_Years.html"})]) == [
        "Hanna Voss", "Liv Asker", "Mira Volkova"]
    assert sorted(shared[frozenset({"/wiki/Salt_and_Signal.html", "/wiki/The_Lantern_Years.html"})]) == [
        "Elena Marsh", "Mira Volkova"]
    assert sorted(shared[frozenset({"/arxiv/abs/2401.00001.html", "/arxiv/abs/2401.00002.html"})]) == [
        "Lena Okafor", "Tobias Reinholt"]


def test_designed_paths(wide_run) -> None:
    recs, _, _ = wide_run
    paths = {tuple(u.removeprefix(W) for u in r.source_urls): r for r in recs if r.type == "multi_hop"}
    # the producer of her third studio album (Jonas Brandt) … born in Halverstad
    r = paths[("Mira_Volkova.html", "Northern_Glass.html", "Jonas_Brandt.html")]
    assert r.hops == 3 and r.golden_path[-3:] == [W + "Mira_Volkova.html", W + "Northern_Glass.html",
                                                 W + "Jonas_Brandt.html"]
    assert "Jonas Brandt" not in r.question and "Northern Glass" not in r.question
    fact = json.loads(r.meta_json)["fact"]
    assert (fact["key"], r.answer) in {("Born", "2 June 1976"), ("Birthplace", "Halverstad, Norvania"),
                                       ("Years active", "1998–present")} or fact["page"] == W + "Jonas_Brandt.html"
    # the mayor of her birthplace (Petra Lind), through two infobox links
    r = paths[("Mira_Volkova.html", "Kestrel_Bay.html", "Petra_Lind.html")]
    assert r.question.startswith(("When was the mayor of the birthplace of Mira Volkova",
                                  "Where was the mayor of the birthplace of Mira Volkova",
                                  "What is listed under", "In which years was the mayor",
                                  "Who is", "What is")), r.question
    # the founder of the studio where Salt and Signal was recorded: four pages
    assert ("Salt_and_Signal.html", "Saltmarsh_Studios.html", "Elena_Marsh.html", "Ostenfeld.html") in paths


def test_the_project_filters_keep_the_records(default_run, fixture_pages) -> None:
    """The validity chain (filters/, another module's work) re-verifies every record independently;
    only its prompt-injection screen may drop records."""
    filters = pytest.importorskip("filters")
    recs, _, _ = default_run
    links = {p.url: {lk.url for lk in p.out_links} for p in fixture_pages}
    drops: list[Reject] = []
    chain = filters.FilterChain(filters.build_filters(filters.FilterConfig(), links=links), Counters(), drops.append)
    kept = list(chain.run(recs))
    # the injection screen also fires on the paper titled "Prompt Injection in the Wild" (its call)
    assert {d.reason.split("/")[0] for d in drops} <= {"injection"}, [(d.reason, d.detail) for d in drops]
    assert len(kept) >= 0.8 * len(recs)
