"""SINGLE_HOP miner: short checkable answers from one page's facts."""

from __future__ import annotations

import json

from pipelines.counters import Counters
from schemas.records import Enumeration, Fact, Reject
from synth.config import SynthConfig
from synth.miners.base import Graph, MineContext, Node
from synth.miners.single_hop import SingleHopMiner, askable
from tests.synth.conftest import make_page
from tests.synth.test_miners_count import KIWIX, page_from_html


def run(pages, cfg: SynthConfig | None = None):
    rejects: list[Reject] = []
    ctx = MineContext(cfg or SynthConfig(), Counters(), rejects.append)
    return list(SingleHopMiner().mine(Graph(Node.from_page(p) for p in pages), ctx)), rejects


def test_kiwix_album_facts_in_priority_order() -> None:
    url = KIWIX + "The_Genius_of_Ray_Charles.html"
    cands, rejects = run([page_from_html("wiki_album_kiwix.html", url, "wikipedia")])
    assert [(c.relation, c.answer) for c in cands] == [
        ("Released", "October 1959"), ("Label", "Atlantic"), ("Length", "37:58"), ("Next album", "Ray Charles in Person"),
    ]
    released = cands[0]
    assert released.evidence[0].text == "The Genius of Ray Charles — Released: October 1959"
    slots = json.loads(released.slots_json)
    assert slots["entity"]["kind"] == "studio album" and slots["entity"]["by"] == "Ray Charles"
    reasons = {r.reason for r in rejects}
    assert "multi_valued" in reasons          # Genre, Producer are lists
    assert "value_not_atomic" in reasons      # Recorded: two dates and a place
    assert "fact_cap" in reasons              # more askable facts than max_facts_per_page


def test_answers_are_cleaned_and_checked() -> None:
    cfg = SynthConfig()
    node = Node.from_page(make_page("http://h/p.html", "Ray Charles", facts=[
        Fact(key="Born", value="September 23, 1930; Albany, Georgia, U.S."),
        Fact(key="Died", value="June 10, 2004 (aged 73); Beverly Hills, California, U.S."),
        Fact(key="Label", value="Atlantic 45-1050"),
        Fact(key="Birth name", value="Ray Charles"),
        Fact(key="Origin", value="A " * 40),
        Fact(key="Website", value="raycharles.com"),
        Fact(key="Next single", value="A"), Fact(key="Next single", value="B"),
        Fact(key="Genres", value="soul, blues"),
    ], enumerations=[Enumeration(kind="infobox", label="Genres", items=["soul", "blues"])]))
    by_key = {f.key + str(i): askable(node, f, cfg) for i, f in enumerate(node.facts)}
    assert by_key["Born0"] == ("September 23, 1930", "")
    assert by_key["Died1"] == ("June 10, 2004", "")
    assert by_key["Label2"] == ("Atlantic", "")                # catalogue number dropped
    assert by_key["Birth name3"] == ("", "answer_in_subject")
    assert by_key["Origin4"] == ("", "answer_too_long")
    assert by_key["Website5"] == ("", "skipped_key")
    assert by_key["Next single6"] == ("", "ambiguous_key")
    assert by_key["Genres8"] == ("", "multi_valued")


def test_github_and_arxiv_facts() -> None:
    gh = page_from_html("github_repo.html", "https://github.com/nimbus-labs/tidepool", "github")
    ax = page_from_html("arxiv_abs.html", "https://arxiv.org/abs/0704.0688", "arxiv")
    cands, rejects = run([gh, ax], SynthConfig(max_facts_per_page=20))
    got = {(c.source_urls[0].rsplit("/", 1)[-1], c.relation): c.answer for c in cands}
    assert got[("tidepool", "License")] == "Apache-2.0"
    # counters, the latest release and the latest revision go stale: not asked (issue 16)
    volatile = {json.loads(r.payload_json)["key"] for r in rejects if r.reason == "volatile"}
    assert {"Stars", "Forks", "Latest release", "Last revised"} <= volatile
    assert not volatile & {k for _, k in got}
    assert got[("0704.0688", "First author")] == "Lionel Levine"
    assert got[("0704.0688", "Submitted")] == "5 Apr 2007"
    assert got[("0704.0688", "Primary subject")] == "Probability (math.PR)"
    assert ("tidepool", "Repository") not in got and ("0704.0688", "Title") not in got
