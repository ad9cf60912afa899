"""A count of a section that holds a second list in a subsection (issue 16, reading the final runs):
"How many credited people are listed in the “Personnel” section of … “The Genius Hits the Road”?"
was answered 10 (the album's list) while the section also lists 23 people under "1997 Rhino CD
re-issue bonus track personnel". Built on the trimmed real page of the intersection regression set."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.counters import Counters
from schemas.records import Reject
from synth.config import SynthConfig
from synth.mine import mine
from tests.synth.conftest import FileSite, walk

PAGES = Path(__file__).resolve().parent / "pages" / "wiki-raycharles-2015-intersection"
BASE = "http://127.0.0.1:8000"


def test_a_section_with_a_sublist_is_not_counted_as_one_list() -> None:
    pages = walk(FileSite(PAGES, BASE), [f"{BASE}/A/The_Genius_Hits_the_Road.html"], max_depth=0, site="wikipedia")
    page = pages[0]
    sections = [e.section for e in page.enumerations if e.kind == "list"]
    assert "Personnel" in sections and any(s.startswith("Personnel › ") for s in sections)
    rejects: list[Reject] = []
    cands = list(mine(pages, SynthConfig(), Counters(), rejects.append))
    counted = [json.loads(c.slots_json) for c in cands if c.type == "count"]
    assert not [c for c in counted if c.get("section") == "Personnel"]
    dropped = [r for r in rejects if r.stage == "mine" and r.reason == "section_has_sublists"]
    assert any("Personnel › 1997 Rhino" in (r.detail or "") for r in dropped)
    # the subsection's own list is judged on its own (its question names the subsection): here it
    # credits a vocal group, so it is no count of people either, for that reason
    assert [r for r in rejects if r.reason == "not_all_people" and "Raelettes" in (r.detail or "")]
    # the track listing's subsections are lists of their own (no parent list), all still counted
    assert len([c for c in counted if c.get("section", "").startswith("Track listing › ")]) == 3
