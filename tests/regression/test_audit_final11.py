"""Strict hand audit round 11 (bench/audit/hand-audit-strict11.*): the multi-hop wording class it found, on
unchanged copies of the saved Ray Charles 2015 pages (tests/fixtures/pages via tests/saved_pages.py).

"… the twelfth entry listed in the “The following songs were used in the film” subsection of the “Soundtrack”
section …" (unnatural): that "subsection" is the sentence introducing the list. A hop through such a list says
"the list introduced by “The following songs were used in the film:” in the “Soundtrack” section", as the count
questions already do (``synth.miners.count.sentence_label``).
"""

from __future__ import annotations

from tests.regression.test_audit_final5_intersection import Mined


def test_a_hop_through_a_list_under_a_sentence_names_the_sentence_as_its_lead_in() -> None:
    m = Mined.crawl(["Ray_(film).html", "What'd_I_Say.html", "Ray_Charles.html", "Hit_the_Road_Jack.html"])
    through = [r.question for r in m.records if r.type == "multi_hop" and "following songs" in r.question]
    assert through, [r.question for r in m.records if r.type == "multi_hop"][:5]
    assert not [q for q in through if "subsection" in q], through
    assert all("the list introduced by “The following songs were used in the film:” in the “Soundtrack” section"
               in q for q in through), through
