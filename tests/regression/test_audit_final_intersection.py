"""Intersection cases of the final hand audit of issue 16 (bench/audit/hand-audit-final.csv), one test
per class, on the real saved pages (``pages/wiki-raycharles-2015-intersection/``: copies of the shared
corpus pages with their navigation boxes cut out, nothing else changed), mined and worded as the
pipeline does (site facts → ``synth.mine`` → template writer → ``to_record``).
"""

from __future__ import annotations

import re

import pytest

from pipelines.counters import Counters
from schemas.records import Page, QARecord
from synth.config import SynthConfig
from synth.mine import mine
from synth.miners.base import Graph, MineContext, Node
from synth.miners.intersection import IntersectionMiner, fold_key
from tests.regression.test_audit_cases import NOT_OBFUSCATED, crawl, meta, questions

SITE = "wiki-raycharles-2015-intersection"
# the case pages, and the pages their lists link (crawled in the audited run: Hank Crawford, The
# Raelettes make "Bennie Crawford" / "Hank Crawford" and "The Raeletts" / "The Raelettes" one entity)
PAGES = ["The_Genius_Hits_the_Road.html", "The_Genius_of_Ray_Charles.html", "Ray_Charles_at_Newport.html",
         "Hallelujah_I_Love_Her_So.html", "You_Don't_Know_Me_(Eddy_Arnold_song).html", "Drown_in_My_Own_Tears.html",
         "Hank_Crawford.html", "The_Raelettes.html", "Ray_Charles_and_Betty_Carter.html",
         "Ray_Charles_in_Concert.html", "Hit_the_Road_Jack.html", 'David_"Fathead"_Newman.html', "What'd_I_Say.html",
         "What'd_I_Say_(album).html", "The_Blues_Brothers_(film).html", "Ray_Charles.html"]


@pytest.fixture(scope="module")
def pages() -> list[Page]:
    got = crawl(SITE, ["/A/" + p for p in PAGES], "wikipedia")
    assert len(got) == len(PAGES)
    return got


@pytest.fixture(scope="module")
def asked(pages: list[Page]) -> list[QARecord]:
    return [r for r in questions(pages, NOT_OBFUSCATED) if r.type == "intersection"]


@pytest.fixture(scope="module")
def rejected(pages: list[Page]) -> list:
    out: list = []
    list(mine(pages, SynthConfig(), Counters(), out.append))
    return out


def _pair(r: QARecord, a: str, b: str) -> bool:
    return {u.rsplit("/", 1)[-1] for u in r.source_urls} == {a, b}


def _sets(pages: list[Page], name: str) -> dict:
    graph = Graph(Node.from_page(p) for p in pages)
    node = next(n for n in graph if n.url.endswith("/A/" + name))
    ctx = MineContext(SynthConfig(), Counters(), lambda r: None)
    return {s.label: s for s in IntersectionMiner()._sets(graph, node, ctx)}


def test_a_section_is_every_list_under_its_heading(pages: list[Page], asked: list[QARecord], rejected: list) -> None:
    # audit (wrong): "Besides Ray Charles, which credited people are listed in the “Personnel” section of
    # both … “The Genius Hits the Road” and “The Genius of Ray Charles”?" → "David 'Fathead' Newman, John
    # Hunt and Marcus Belgrave": the section holds the album's list and a "1997 Rhino CD re-issue bonus
    # track personnel" list; the two were compared as two sets, so Ralph Burns (arranger, in the album
    # list and on The Genius of Ray Charles's "Side two") was missing. The set is the whole section (sides,
    # discs: one edition's lists) ...
    personnel = _sets(pages, "The_Genius_of_Ray_Charles.html")["Personnel"]
    assert personnel.parts == ["Personnel › Side one", "Personnel › Side two", "Personnel › Other credits"]
    assert "Ralph Burns" in set(personnel.items.values())
    assert [s.label for s in _sets(pages, "The_Genius_of_Ray_Charles.html").values()].count("Personnel") == 1
    # ... and, strict audit round 10, a section whose lists include another edition's (the reissue's bonus
    # personnel) is no set at all: whether its people are "listed in the section" of the album, readers differ
    assert "Personnel" not in _sets(pages, "The_Genius_Hits_the_Road.html")
    assert not [r for r in asked if _pair(r, "The_Genius_Hits_the_Road.html", "The_Genius_of_Ray_Charles.html")
                and "Personnel" in r.question]
    assert any(r.reason == "section_has_edition_list" and r.url.endswith("/The_Genius_Hits_the_Road.html")
               and "Personnel" in r.detail and "bonus" in r.detail for r in rejected)


def test_a_group_on_a_second_list_of_the_section_is_set_aside(asked: list[QARecord]) -> None:
    # audit (ambiguous): "… “Ray Charles at Newport” and “The Genius Hits the Road”?" → 4 musicians; The
    # Raeletts (Newport) are the bonus-track list's The Raelettes. Since strict audit round 10 that section
    # (album + reissue bonus personnel) is no set, so the pair is not asked; a group shared by two one-edition
    # sections is still named beside Ray Charles ("Besides Ray Charles and …", test_audit_cases)
    assert not [r for r in asked if _pair(r, "Ray_Charles_at_Newport.html", "The_Genius_Hits_the_Road.html")]


def test_one_chart_under_two_names_is_one_chart(asked: list[QARecord]) -> None:
    # audit (ambiguous): "Which charts are named in the chart tables of both … “Hallelujah I Love Her So”
    # and “You Don't Know Me (Eddy Arnold song)”?" → "U.S. Billboard Hot Country Singles and Canadian RPM
    # Country Tracks"; Hallelujah's "UK Singles Chart" is You Don't Know Me's "U.K. Singles"
    assert fold_key("uk singles chart", chart=True) == fold_key("u k singles", chart=True) == "uk singles"
    assert fold_key("u s billboard hot 100", chart=True) == fold_key("billboard hot 100", chart=True)
    assert fold_key("the raelettes") == "raelettes"
    # found reading the run of the fixes: "Ahmet Ertegün – producer" (The Genius Hits the Road) and
    # "Produced by Ahmet Ertegun" (The Best of Ray Charles)
    assert fold_key("ahmet ertegün") == "ahmet ertegun"
    assert fold_key("uk singles chart") == "uk singles chart"  # "Chart" is only a chart's suffix
    case = [r for r in asked if _pair(r, "Hallelujah_I_Love_Her_So.html", "You_Don't_Know_Me_(Eddy_Arnold_song).html")
            and "chart" in r.question]
    assert len(case) == 1, [r.question for r in asked]
    assert case[0].answer == "UK Singles Chart, U.S. Billboard Hot Country Singles and Canadian RPM Country Tracks"


def test_a_near_match_between_the_lists_is_not_asked(asked: list[QARecord], rejected: list) -> None:
    # audit (ambiguous): "Which cover versions are listed in the “Cover versions” section of both … “Drown
    # in My Own Tears” and “Hallelujah I Love Her So”?" → "Eva Cassidy, Earl Grant and Humble Pie"; Stevie
    # Wonder is on both lists ("Little Stevie Wonder on the 1962 album Tribute to Uncle Ray" on one). No
    # key can match every way a page writes a name: a pair with such a near match is dropped, counted
    case = [r for r in asked if _pair(r, "Drown_in_My_Own_Tears.html", "Hallelujah_I_Love_Her_So.html")
            and "Cover versions" in r.question]
    assert case == [], [(r.question, r.answer) for r in case]
    near = [r.detail for r in rejected if r.reason == "near_match"]
    assert "'Stevie Wonder' / 'Little Stevie Wonder on the 1962 album Tribute to Uncle Ray'" in near, near


def test_a_line_naming_several_people_is_each_of_them(pages: list[Page], asked: list[QARecord],
                                                      rejected: list) -> None:
    # "Recording engineers: Bill Schwartau and Tom Dowd" (The Genius of Ray Charles) credits Tom Dowd, the
    # engineer of Ray Charles at Newport: he is shared, not hidden in a line of two names
    genius = _sets(pages, "The_Genius_of_Ray_Charles.html")["Personnel"]
    assert {"Bill Schwartau", "Tom Dowd", "Nat Hentoff"} <= set(genius.items.values())
    case = [r for r in asked if _pair(r, "Ray_Charles_at_Newport.html", "The_Genius_of_Ray_Charles.html")]
    assert [set(meta(r)["shared"]) for r in case] == [{"Marcus Belgrave", "David Newman", "Tom Dowd"}], \
        [r.question for r in asked]
    # found reading the run of the fixes: Ray Charles and Betty Carter's "Mel Lewis, Bruno Carr" is two
    # drummers, and Ray Charles in Concert's 'Edward "Bruno" Carr' is the second under his full name: the
    # shared people of the two albums miss him, the pair is not asked
    carter = _sets(pages, "Ray_Charles_and_Betty_Carter.html")["Personnel"]
    assert {"Mel Lewis", "Bruno Carr"} <= set(carter.items.values())
    near = {r.detail for r in rejected if r.reason == "near_match"}
    assert near & {"'Bruno Carr' / 'Edward \"Bruno\" Carr'", "'Edward \"Bruno\" Carr' / 'Bruno Carr'"}, near
    assert not [r for r in asked if _pair(r, "Ray_Charles_and_Betty_Carter.html", "Ray_Charles_in_Concert.html")]


def test_one_chart_under_two_of_its_names_is_not_asked(asked: list[QARecord], rejected: list) -> None:
    # found reading the run of the fixes: "Which chart is named in the chart tables of both … “Hit the Road
    # Jack” and “You Don't Know Me (Eddy Arnold song)”?" → "US Billboard Hot 100"; Billboard's R&B chart is
    # on both ("US Hot R&B Sides" in 1961, "U.S. Billboard R&B Singles"): same country, same ranking
    near = [r.detail for r in rejected if r.reason == "near_match"]
    assert "'US Hot R&B Sides' / 'U.S. Billboard R&B Singles'" in near, near
    assert not [r for r in asked if _pair(r, "Hit_the_Road_Jack.html", "You_Don't_Know_Me_(Eddy_Arnold_song).html")]


def test_one_title_linking_two_pages_is_two_entities(asked: list[QARecord], rejected: list) -> None:
    # found reading the run of the fixes: "Which release is listed in the “Discography” section of both …
    # “David 'Fathead' Newman” and “Ray Charles”?" → "What'd I Say": the album on Newman's list, the song on
    # Ray Charles's (each links its own page)
    clash = [r.detail for r in rejected if r.reason == "link_conflict"]
    assert any(d.startswith("\"What'd I Say\": ") and "What'd_I_Say_(album).html" in d for d in clash), clash
    assert not [r for r in asked if _pair(r, 'David_"Fathead"_Newman.html', "Ray_Charles.html")
                and "Discography" in r.question]


def test_a_heading_is_not_a_noun(asked: list[QARecord]) -> None:
    # found reading the run of the fixes: "Which releases are listed both in the “Discography” section of …
    # “David 'Fathead' Newman” and in the “Release” section of … “The Blues Brothers (film)”?" → "Think! and
    # Let the Good Times Roll": a film's "Release" section is not a list of releases (Newman's "Think!" is a
    # Lou Donaldson album, the film's "Think" an Aretha Franklin song)
    assert not [r.question for r in asked if "“Release”" in r.question]
    from synth.miners.intersection import group_of

    assert group_of("Release", "Release") == ("§release", "Release")
    assert group_of("As leader", "Discography › As leader") == ("release", "Discography")


def test_intersection_answers_are_names_not_list_lines(asked: list[QARecord]) -> None:
    # audit (unnatural): an answer given as the list line '"What'd I Say" [Live]': every shared item is
    # the entity's name (no role, duration, bracketed tag, or quotes around a title)
    assert asked
    for r in asked:
        for name in meta(r)["shared"]:
            assert not re.search(r"[\[\]]|\s[-–—]\s|\d:\d\d|^[\"“]", name), (r.question, name)



def test_one_title_written_alike_is_one_entry() -> None:
    # found reading the corpus walk of the fixes (tests/synth's FileSite crawls Hank Snow's "I'm Moving On"
    # under two URLs, so the title names two pages): "I'm Movin' On" of The Genius Hits the Road links the
    # song's page (keyed by its name, "i'm moving on"), The Birth of Soul's is unlinked and, its title naming
    # no one page, keeps its written key; the two entries, written alike, were a near match and the pair
    # was dropped. Here the alias is left unresolved by giving each album its own crawl
    from synth.miners.intersection import aligned, near_match

    def track_set(roots: list[str], name: str):
        # one list of the section: The Genius Hits the Road's whole section (the LP's list and two reissues' bonus
        # lists) is no set since strict audit round 10; the 1997 bonus list holds the title this case is about
        pages = [p.model_copy(update={"enumerations": [
            e for e in p.enumerations if not e.section.startswith("Track listing ›") or "1997" in e.section]})
            if p.url.endswith("/The_Genius_Hits_the_Road.html") else p for p in crawl(SITE, roots, "wikipedia")]
        return _sets(pages, name)["Track listing"]

    road = track_set(["/A/The_Genius_Hits_the_Road.html", "/A/I'm_Moving_On_(Hank_Snow_song).html"],
                     "The_Genius_Hits_the_Road.html")
    birth = track_set(["/A/The_Birth_of_Soul.html"], "The_Birth_of_Soul.html")
    # the dropped g of "Movin'" is folded (fold_title, audit round 5): the two are keyed alike already
    assert "im moving on" in road.items and birth.items["im moving on"] == "I'm Movin' On"
    b = aligned(birth, road)
    assert "Movin" not in near_match(birth, b)
    assert {k for k in birth.items if k in b.items} >= {"im moving on", "lonely avenue", "swanee river rock"}
