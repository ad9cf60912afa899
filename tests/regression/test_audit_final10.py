"""Strict hand audit round 10 (bench/audit/hand-audit-strict10.*): the classes it found, one test each, on
unchanged copies of the saved Ray Charles 2015 pages (tests/fixtures/pages/wiki-raycharles-2015/A via
tests/saved_pages.py).

- intersection: "Which tracks are listed in the “Track listing” section of both … “Ray Charles Anthology” and
  “The Genius Hits the Road”?" → "Hit the Road Jack and Georgia on My Mind": The Genius Hits the Road's section
  holds the original LP's list and two reissues' bonus lists, and "Hit the Road Jack" is only a bonus track.
  Whether it is "listed in the section" of the album, readers differ: a section whose lists include another
  edition's is not one set (``section_has_edition_list``); sides and discs of one edition still are.
"""

from __future__ import annotations

from tests.regression.test_audit_final5_intersection import Mined

ROAD, ANTHOLOGY = "The_Genius_Hits_the_Road.html", "Ray_Charles_Anthology.html"


def test_a_section_with_a_reissues_bonus_list_is_no_set() -> None:
    m = Mined.crawl([ANTHOLOGY, ROAD])
    assert not m.pair(ANTHOLOGY, ROAD), [(r.question, r.answer) for r in m.pair(ANTHOLOGY, ROAD)]
    assert not [r for r in m.records if r.type == "intersection" and "Hit the Road Jack" in r.answer]
    dropped = [r for r in m.dropped("section_has_edition_list") if r.url.endswith("/" + ROAD)]
    assert dropped and "Track listing" in dropped[0].detail and "bonus" in dropped[0].detail


def test_sides_of_one_edition_are_still_one_set() -> None:
    # The Genius Sings the Blues / The Best of Ray Charles: 'Track listing › Side one', '… › Side two'
    from tests.regression.test_audit_final5_intersection import BEST, BLUES

    m = Mined.crawl([BEST, BLUES, ROAD])
    assert not [r for r in m.dropped("section_has_edition_list") if not r.url.endswith("/" + ROAD)]


def test_a_release_date_its_own_page_states_otherwise_is_no_answer(tmp_path_factory) -> None:
    # e2h, ambiguous: "When was the single “What'd I Say” by the artist of the album Dedicated to You released?" →
    # July 1959 (its infobox), while its text says "It was held for the summer and released in June 1959"
    from pipelines.shards import ShardWriter
    from schemas.records import Page
    from synth.e2h.config import E2HConfig
    from synth.e2h.engine import E2HEngine
    from synth.e2h.pages import pages_from_files
    from synth.e2h.records import release_prose_conflict
    from synth.e2h.seeds import Seed
    from synth.search import LocalSearchIndex, SearchRouter
    from tests.saved_pages import saved_site

    base = "http://127.0.0.1:8000"
    names = ("What'd_I_Say.html", "Ray_Charles.html", "I_Got_a_Woman.html")
    site = saved_site(names)
    folder = tmp_path_factory.mktemp("round10-e2h")
    with ShardWriter(folder / "pages", Page) as w:
        w.write_all(pages_from_files(site, [site / "A" / n for n in names], base))
    with LocalSearchIndex.for_pages(folder / "pages", folder / "index") as idx:
        why = release_prose_conflict(idx, f"{base}/A/What'd_I_Say.html", "July 1959")
        assert "June 1959" in why
        # (its text also says "released in July 1959" elsewhere: June is disputed as well)
        assert "July 1959" in release_prose_conflict(idx, f"{base}/A/What'd_I_Say.html", "June 1959")
        assert release_prose_conflict(idx, f"{base}/A/What'd_I_Say.html", "1959") == ""  # the year they agree on
        assert release_prose_conflict(idx, f"{base}/A/I_Got_a_Woman.html", "1954") == ""  # a year alone: no month
        (out,) = E2HEngine(SearchRouter(idx), cfg=E2HConfig(rounds=1)).process(
            [Seed(id="w", question="When was the single “What'd I Say” by Ray Charles released?", answer="July 1959")])
        assert out.record is None and out.failure.reason == "value_conflict", out.failure
