"""The last classes of the second strict hand audit of issue 16 (bench/audit/hand-audit-strict2.*), on
the shared corpus's saved pages (the site ``PAGES`` of ``tests/fixtures/pages/wiki-raycharles-2015/A``,
unchanged copies):

- count: "How many credited people are listed in the “Personnel” section of … “True to Life”?" → 6, where
  "Bob Gratts – engineer" and "Robert Gratts – engineer" may be one person (5 or 6);
- intersection: "… listed in the “Personnel” section of both … “Ray Charles in Person” and “The Best of Ray
  Charles”?" left out Lee Harper and Richie Goldberg, credited in a note paragraph after In Person's list;
  "… “Cover versions” section of both … “Drown in My Own Tears” and “I Got a Woman”?" — I Got a Woman's
  section names more covers in prose;
- E2HQA: "… the studio album “Soul Brothers” by the artist of the previous album of the album Sweet & Sour
  Tears and Milt Jackson?" — one of two credited names replaced, the other left dangling.
"""

from __future__ import annotations

import json

from pipelines.counters import Counters
from schemas.records import Reject
from synth.config import SynthConfig
from synth.mine import mine
from tests.saved_pages import saved_site
from tests.synth.conftest import FileSite, walk

PAGES = ("David_\"Fathead\"_Newman.html", "Drown_in_My_Own_Tears.html", "Hank_Crawford.html", "I_Got_a_Woman.html",
         "Ray_Charles_in_Person.html", "The_Best_of_Ray_Charles.html", "True_to_Life.html")
BASE = "http://127.0.0.1:8000"


def _mine(roots: list[str]) -> tuple[list[dict], list[Reject]]:
    pages = walk(FileSite(saved_site(PAGES), BASE), [f"{BASE}/A/{r}" for r in roots], max_depth=0, site="wikipedia")
    assert len(pages) == len(roots)
    rejects: list[Reject] = []
    cands = list(mine(pages, SynthConfig(), Counters(), rejects.append))
    return [{"type": c.type, **json.loads(c.slots_json)} for c in cands], rejects


def test_a_people_count_with_two_forms_of_one_name_is_not_asked() -> None:
    cands, rejects = _mine(["True_to_Life.html"])
    assert not [c for c in cands if c["type"] == "count" and c.get("section") == "Personnel"]
    assert [r for r in rejects if r.reason == "name_variants" and "Gratts" in (r.detail or "")]


def test_an_intersection_of_a_section_that_says_more_in_prose_is_not_asked() -> None:
    cands, rejects = _mine(["Ray_Charles_in_Person.html", "The_Best_of_Ray_Charles.html", "Hank_Crawford.html",
                            "David_\"Fathead\"_Newman.html",
                            "I_Got_a_Woman.html", "Drown_in_My_Own_Tears.html"])
    pairs = [json.dumps(c) for c in cands if c["type"] == "intersection"]
    assert not [p for p in pairs if "Ray_Charles_in_Person.html" in p and "Personnel" in p]
    assert not [p for p in pairs if "I_Got_a_Woman.html" in p and "Cover versions" in p]
    dropped = [r for r in rejects if r.reason == "section_incomplete"]
    assert any("Personnel" in (r.detail or "") and r.url.endswith("/Ray_Charles_in_Person.html") for r in dropped)
    assert any(r.url.endswith("/I_Got_a_Woman.html") for r in dropped)


def test_e2h_does_not_replace_one_of_two_credited_names() -> None:
    from synth.e2h.engine import E2HEngine
    from synth.e2h.entities import EntitySpan

    q = "What is the running time of the studio album “Soul Brothers” by Ray Charles and Milt Jackson?"
    i = q.index("Ray Charles")
    eng = E2HEngine.__new__(E2HEngine)  # _list_item reads the question only (and counts)
    eng.counters = Counters()
    assert eng._list_item(q, EntitySpan("Ray Charles", i, i + len("Ray Charles")))
    j = q.index("Milt Jackson")
    assert eng._list_item(q, EntitySpan("Milt Jackson", j, j + len("Milt Jackson")))
    q2 = "Who produced the album Soul Brothers by Ray Charles?"
    k = q2.index("Ray Charles")
    assert not eng._list_item(q2, EntitySpan("Ray Charles", k, k + len("Ray Charles")))
    assert eng.counters.get("e2h/entities/list_item") == 2
