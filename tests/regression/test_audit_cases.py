"""Wrong answers found by the hand audit of issue 16 (sheets in bench/audit/), one test each.

Each case keeps the real saved page(s) the question came from (``tests/regression/pages/arxiv``, and for
Wikipedia the shared saved pages of ``tests/fixtures/pages/wiki-raycharles-2015`` — copied from the shared
corpus, unchanged — of which each site below lists the ones it holds), mines and words them as the pipeline does (site facts →
``synth.mine`` → template writer → ``to_record``), and checks that the wrong question is no longer
produced (and, where the page allows one, that the right answer is). A case whose fix belongs to the
fact parsers or miners still to be fixed is marked ``xfail(strict=True)`` with the reason: it starts
passing — and so failing as XPASS — the day the fix lands, and the mark must then go.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.counters import Counters
from schemas.records import Page, QARecord
from synth.assemble import to_record
from synth.config import SynthConfig
from synth.mine import mine
from synth.writers.template import TemplateWriter
from tests.saved_pages import saved_site
from tests.synth.conftest import FileSite, walk

PAGES = Path(__file__).resolve().parent / "pages"
BASE = "http://127.0.0.1:8000"


def crawl(site_dir: str | tuple[str, ...], roots: list[str], site: str, depth: int = 0) -> list[Page]:
    """The saved pages under ``pages/<site_dir>`` (or, for a tuple of page names, a site of just those
    shared saved pages under ``/A/``) served as ``BASE/...``, walked from ``roots``."""
    fs = FileSite(saved_site(site_dir) if isinstance(site_dir, tuple) else PAGES / site_dir, BASE)
    pages = walk(fs, [BASE + r for r in roots], max_depth=depth, site=site)
    assert pages, f"no page for {roots}"
    return pages


# every default miner but the obfuscated family, whose subgraph sampling is most of the time and which keeps a
# per-page budget of its own (synth.mine): the other families' candidates are the same with or without it
NOT_OBFUSCATED = [m for m in SynthConfig().miners if m != "obfuscated"]


def questions(pages: list[Page], miners: list[str] | None = None) -> list[QARecord]:
    """The questions the pipeline's miners (default: all) and template writer make of ``pages``."""
    cfg = SynthConfig() if miners is None else SynthConfig(miners=miners)
    cands = list(mine(pages, cfg, Counters(), lambda r: None))
    created = datetime(2026, 12, 6, tzinfo=UTC)
    return [to_record(w, writer_name="template", prompt_version="t", run_id="regression", created_at=created)
            for w in TemplateWriter().write(cands) if w.ok]


def meta(r: QARecord) -> dict:
    return json.loads(r.meta_json)


# --- arXiv ------------------------------------------------------------------------------------------
def test_arxiv_archive_counts_every_category() -> None:
    # audit 2026-12-06 (arXiv run): "How many categories within astrophysics are listed in the
    # “Categories within Astrophysics” section of the arXiv listing “Astrophysics (since April 1992)”?"
    # answered 2; the page lists astro-ph.CO, EP, GA, HE, IM and SR.
    pages = crawl("arxiv", ["/archive/astro-ph/"], "arxiv")
    asked = [r for r in questions(pages) if r.type == "count" and "Categories within Astrophysics" in r.question]
    assert all(r.answer == "6" for r in asked), [(r.question, r.answer) for r in asked]
    enum = [e for e in pages[0].enumerations if e.label == "Categories within Astrophysics"]
    assert all(len(e.items) == 6 for e in enum), [len(e.items) for e in enum]


# --- Wikipedia (Ray Charles 2015, Kiwix) -------------------------------------------------------------
# The pages of the cases below, crawled from Ray_Charles.html as the audited run did (every case page is
# linked from it), mined and worded once for the module.
RC = ("A_Fool_for_You.html", "Busted_(Johnny_Cash_song).html", "Do_the_Twist!_with_Ray_Charles.html",
      "Genius_&_Friends.html", "Georgia_on_My_Mind.html", "Hit_the_Road_Jack.html",
      "I'm_Moving_On_(Hank_Snow_song).html", "I_Can't_Stop_Loving_You.html", "Lonely_Avenue.html",
      "Night_Time_Is_the_Right_Time.html", "Ray_(film).html", "Ray_Charles.html", "Ray_Charles_Anthology.html",
      "Ray_Charles_Live.html", "Ray_Charles_in_Concert.html", "Soul_Meeting.html", "The_Birth_of_Soul.html",
      "The_Genius_Hits_the_Road.html", "The_Genius_Sings_the_Blues.html", "Unchain_My_Heart_(song).html",
      "What'd_I_Say.html", "Yes_Indeed!_(Ray_Charles_album).html")


@pytest.fixture(scope="module")
def rc_pages() -> list[Page]:
    return crawl(RC, ["/A/Ray_Charles.html"], "wikipedia", depth=3)


@pytest.fixture(scope="module")
def rc_questions(rc_pages: list[Page]) -> list[QARecord]:
    return questions(rc_pages)


def _from(r: QARecord, name: str) -> bool:
    return any(u.endswith("/A/" + name) for u in r.source_urls)


def _page(pages: list[Page], name: str) -> Page:
    return next(p for p in pages if p.url.endswith("/A/" + name))


def test_the_case_pages_are_crawled_and_asked(rc_pages: list[Page], rc_questions: list[QARecord]) -> None:
    # the harness itself: every case page is crawled and the miners make questions of them
    assert len(rc_pages) == len(RC)
    assert {r.type for r in rc_questions} >= {"count", "multi_hop", "intersection"}


def test_wikipedia_list_with_a_long_entry_is_counted_whole(rc_questions: list[QARecord]) -> None:
    # audit: "How many covers are listed in the “Covers” section of … “Lonely Avenue”?" → 19; the section
    # has 20 entries (the Van Morrison one is 330 characters long)
    asked = [r for r in rc_questions if r.type == "count" and _from(r, "Lonely_Avenue.html")
             and meta(r).get("label") == "Covers"]
    assert all(r.answer == "20" for r in asked), [(r.question, r.answer) for r in asked]


def test_catalogue_number_is_not_a_label(rc_pages: list[Page], rc_questions: list[QARecord]) -> None:
    # audit: "How many labels does the Wikipedia article “I Can't Stop Loving You” list in its infobox?" → 2
    asked = [r for r in rc_questions if r.type == "count" and _from(r, "I_Can't_Stop_Loving_You.html")
             and meta(r).get("label") == "Label"]
    assert all(r.answer == "1" for r in asked), [(r.question, r.answer) for r in asked]
    page = _page(rc_pages, "I_Can't_Stop_Loving_You.html")
    assert not any("45-10330" in item for e in page.enumerations if e.label == "Label" for item in e.items)


def test_a_person_listed_twice_is_counted_once(rc_questions: list[QARecord]) -> None:
    # audit: "How many credited people are listed in the “Personnel” section of … “Yes Indeed! (Ray
    # Charles album)”?" → 31; the 31 entries name 30 people
    asked = [r for r in rc_questions if r.type == "count" and "people" in r.question]
    assert asked
    for r in asked:
        names = {re.split(r"\s+[-–—]\s+", item)[0].strip().lower() for item in meta(r)["items"]}
        assert int(r.answer) == len(names), (r.question, r.answer, len(names))


def test_intersection_matches_a_title_with_its_subtitle(rc_questions: list[QARecord]) -> None:
    # audit: "Which tracks are listed in the “Track listing” section of both … “The Birth of Soul” and
    # “The Genius Hits the Road”?" → "Lonely Avenue and I'm Movin' On"
    asked = [r for r in rc_questions if r.type == "intersection" and _from(r, "The_Birth_of_Soul.html")
             and _from(r, "The_Genius_Hits_the_Road.html")]
    assert all("Swanee River Rock" in r.answer for r in asked), [(r.question, r.answer) for r in asked]


_NEXT = ("Next album", "Next single")
_PREV = ("Previous album", "Previous single")


def _url_index(pages: list[Page]) -> dict[str, str]:
    from synth.text import url_key

    return {url_key(u): p.url for p in pages for u in (p.url, p.final_url) if u}


def _chronology(pages: list[Page]) -> dict[str, dict[str, set[str]]]:
    """Per page URL, the page URLs its infobox chronology links as next and previous."""
    from synth.text import url_key

    index = _url_index(pages)
    out: dict[str, dict[str, set[str]]] = {p.url: {"next": set(), "prev": set()} for p in pages}
    for p in pages:
        for f in p.facts:
            side = "next" if f.key in _NEXT else "prev" if f.key in _PREV else None
            if side and f.links and url_key(f.links[0]) in index:
                out[p.url][side].add(index[url_key(f.links[0])])
    return out


def _step_target(pages: list[Page], url: str, side: str, value: str) -> tuple[str | None, str | None]:
    """(page, target page) of the chronology fact of ``url``'s page on ``side`` whose value names ``value``."""
    from synth.text import url_key

    index = _url_index(pages)
    a = index.get(url_key(url))
    page = next((p for p in pages if p.url == a), None)
    for f in page.facts if page else ():
        if f.key in (_NEXT if side == "next" else _PREV) and f.links and value.strip('"') in f.value:
            return a, index.get(url_key(f.links[0]))
    return a, None


def test_no_chronology_step_that_another_page_contradicts(rc_pages: list[Page],
                                                          rc_questions: list[QARecord]) -> None:
    # audit: "When was the album that Ray Charles released just before the studio album “Soul Meeting”
    # … recorded?" → 1952–1960 (The Genius Sings the Blues), and "I'm looking for a single released in
    # the early 1960s. The single … was followed by another single … country soul" → Unchain My Heart:
    # the pages give two answers to each
    chron = _chronology(rc_pages)
    step = re.compile(r"^(?P<a>.+?) — (?P<k>Next|Previous) (?:album|single): (?P<b>.+)$")
    steps = []  # (record, page, "next"|"prev", target page)
    for r in rc_questions:
        for e in r.evidence:
            if (m := step.match(e.text)):
                side = "next" if m["k"] == "Next" else "prev"
                steps.append((r, side, *_step_target(rc_pages, e.url, side, m["b"])))
        for c in r.constraints:
            if c.relation in ("next", "previous") and c.evidence_url:
                side = "next" if c.relation == "next" else "prev"
                steps.append((r, side, *_step_target(rc_pages, c.evidence_url, side, c.value)))
    bad = []
    for r, side, a, b in steps:
        if a is None or b is None:
            continue
        back = "prev" if side == "next" else "next"
        # everything any page says sits on that side of a, and on the other side of b
        claims_a = chron[a][side] | {u for u, c in chron.items() if a in c[back]}
        claims_b = chron[b][back] | {u for u, c in chron.items() if b in c[side]}
        if claims_a - {b} or claims_b - {a}:
            bad.append((r.type, r.question[:100], r.answer, a.rsplit("/", 1)[-1], side, b.rsplit("/", 1)[-1]))
    assert steps  # chronology steps are asked
    assert not bad, bad[:5]


def test_a_cover_version_is_not_its_artists_article(rc_questions: list[QARecord]) -> None:
    # audit: "What is the running time of the album that includes the third release listed in the
    # “Discography” section of the Wikipedia article on the second cover version listed in the “Cover
    # versions” section of … “Busted (Johnny Cash song)”?"
    bad = [r.question for r in rc_questions if re.search(r"article on the \w+ cover version", r.question)]
    assert not bad, bad[:3]


def test_music_by_is_not_written_by(rc_questions: list[QARecord]) -> None:
    # audit: "A film was written by a singer born in the American South. … Who produced this film?"
    bad = [r.question for r in rc_questions for c in r.constraints
           if c.relation == "writer" and c.snippet.startswith("Music by")]
    assert not bad, bad[:3]


def _chronology_steps(pages: list[Page], records: list[QARecord]) -> list[tuple[QARecord, str, str | None, str | None]]:
    """Every chronology step a record takes: (record, "next"|"prev", page, target page), from its
    evidence lines ("X — Previous single: Y") and its constraints (relation next/previous)."""
    step = re.compile(r"^(?P<a>.+?) — (?P<k>Next|Previous) (?:album|single): (?P<b>.+)$")
    steps = []
    for r in records:
        for e in r.evidence:
            if (m := step.match(e.text)):
                side = "next" if m["k"] == "Next" else "prev"
                steps.append((r, side, *_step_target(pages, e.url, side, m["b"])))
        for c in r.constraints:
            if c.relation in ("next", "previous") and c.evidence_url:
                side = "next" if c.relation == "next" else "prev"
                steps.append((r, side, *_step_target(pages, c.evidence_url, side, c.value)))
    return steps


def test_chain_does_not_cross_to_another_artists_single(rc_pages: list[Page], rc_questions: list[QARecord]) -> None:
    # audit: "A single put on tape in the 1950s was followed by another single … On which label was the
    # first single released?" → Savoy: What'd I Say's "Previous single: Night Time Is the Right Time" is
    # Ray Charles's record, the page's infobox Nappy Brown's 1957 Savoy single (Ray Charles's was on
    # Atlantic)
    credit = {p.url: _credit(p) for p in rc_pages}
    steps = _chronology_steps(rc_pages, rc_questions)
    assert steps
    bad = [(r.type, r.question[:90], r.answer, a.rsplit("/", 1)[-1], b.rsplit("/", 1)[-1])
           for r, _, a, b in steps if a and b and credit.get(a) and credit.get(b) and not credit[a] & credit[b]]
    assert not bad, bad[:3]


_LIST_SEP = re.compile(r"\s*(?:/|&|,|;|\band\b)\s*")


def test_attribute_answer_is_not_one_of_several_values(rc_questions: list[QARecord]) -> None:
    # audit (pre-run 07:20): "Identify a live album lasting between 70 minutes and 72 minutes. … Who
    # produced this live album?" → Nesuhi Ertegün (Ray Charles Live: Producer: Nesuhi Ertegün / Zenas
    # Sears); no longer produced by 07:30
    bad = []
    for r in rc_questions:
        snippet = meta(r).get("answer_snippet", "")
        if r.type != "obfuscated" or ": " not in snippet:
            continue
        values = [v for v in _LIST_SEP.split(snippet.split(": ", 1)[1]) if v]
        if len(values) > 1 and r.answer in values:
            bad.append((r.question, r.answer, snippet))
    assert not bad, bad[:3]


def test_intersection_of_track_lists_compares_titles() -> None:
    # audit: "Which tracks are listed in the “Track listing” section of both … “Genius & Friends” and “Ray
    # Charles Anthology”?" → '"Busted" (Live) (Howard) with Willie Nelson and "America the Beautiful"
    # (Bates/Ward) with Alicia Keys'; both lists also have "You Are My Sunshine"
    pages = crawl(RC, ["/A/Genius_&_Friends.html"], "wikipedia", depth=1)
    asked = [r for r in questions(pages, NOT_OBFUSCATED) if r.type == "intersection" and _from(r, "Genius_&_Friends.html")
             and _from(r, "Ray_Charles_Anthology.html")]
    assert asked  # the pair is asked (today with the wrong answer)
    for r in asked:
        assert "You Are My Sunshine" in r.answer and "America the Beautiful" in r.answer, r.answer
        assert "(" not in r.answer and " with " not in r.answer, r.answer  # titles, not list lines


_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def test_a_range_is_not_described_by_its_first_year(rc_questions: list[QARecord]) -> None:
    # audit: "A singer … counts a compilation album put on tape in the late 1950s … Which compilation
    # album is it?" → Ray Charles in Concert (recorded 1958, 1959, 1962 and 1964); pre-run: "a box set
    # put on tape in the early 1950s" for The Birth of Soul (Recorded: 1952-1959)
    bad = []
    for r in rc_questions:
        if r.type != "obfuscated":
            continue
        for c in meta(r).get("query", {}).get("constraints", []):
            pred = c.get("pred") or {}
            if pred.get("op") != "year" or c.get("p") not in ("recorded", "released"):
                continue
            years = [int(y) for y in _YEAR.findall(c.get("value", ""))]
            if years and not all(pred["lo"] <= y <= pred["hi"] for y in years):
                bad.append((c["p"], c["value"], pred.get("lo"), pred.get("hi"), r.question[:90]))
    assert not bad, bad[:5]


# --- the obfuscated miner's entity graph (synth.graph) -----------------------------------------------
@pytest.fixture(scope="module")
def rc_graph(rc_pages: list[Page]):
    from synth.graph.entities import build_entity_graph

    return build_entity_graph(rc_pages)


def test_graph_music_by_is_a_composer_not_a_writer(rc_graph) -> None:
    # audit: "Try to track down an American film. The same film was written by a singer born in the
    # American South. … Who directed this film?" (Ray: "Music by: Craig Armstrong, Songs: Ray Charles"),
    # "… Who is credited as the writer of this film?" → Ennio Morricone (Love Affair: "Music by")
    film = next(e for e in rc_graph if e.url.endswith("/A/Ray_(film).html"))
    music = [(r, line) for r, _, line in film.rels if line.lower().startswith("music by")]
    assert music and all(r == "composer" for r, _ in music), music
    assert all(not a.snippet.lower().startswith("music by") for k, a in film.attrs.items() if k == "writer")


def _credit(page: Page) -> frozenset[str]:
    """Whose record the page's infobox describes: 'Single by Nappy Brown' → {'nappy brown'};
    'Studio album by Ray Charles and Milt Jackson' → {'ray charles', 'milt jackson'}."""
    t = next((f.value for f in page.facts if f.key == "Type"), "")
    if " by " not in t:
        return frozenset()
    names = re.split(r",|&|\band\b|\bft\.?\b|\bfeaturing\b|\bwith\b", t.split(" by ", 1)[1].lower())
    return frozenset(n.strip() for n in names if n.strip())


def test_graph_chronology_stays_with_one_artist(rc_pages: list[Page], rc_graph) -> None:
    # audit: "A single came right after another single produced by someone with the initials J. W. …
    # Who produced the single I have in mind?" → Stephen Sholes (What'd I Say's "Next single: I'm Moving
    # On" is Ray Charles's record; the page's infobox is Hank Snow's 1950 single), and "… which label
    # issued the single I have in mind?" → Savoy (Night Time Is the Right Time: Nappy Brown's single)
    credit = {p.url: _credit(p) for p in rc_pages}
    steps = [(e, r, rc_graph.entities[j]) for e in rc_graph for r, j, _ in e.rels if r in ("next", "previous")]
    assert steps
    crossing = [(e.name, r, t.name, credit.get(e.url), credit.get(t.url)) for e, r, t in steps
                if credit.get(e.url) and credit.get(t.url) and not credit[e.url] & credit[t.url]]
    assert not crossing, crossing


# --- E2HQA clues (synth.e2h.clues) --------------------------------------------------------------------
@pytest.fixture(scope="module")
def rc_clues(rc_pages: list[Page], tmp_path_factory) -> dict[str, list]:
    """Every clue the E2HQA engine finds about each crawled page, by page URL."""
    from pipelines.shards import ShardWriter
    from synth.e2h.clues import clues_for
    from synth.search import LocalSearchIndex

    folder = tmp_path_factory.mktemp("e2h-corpus")
    with ShardWriter(folder / "pages", Page) as w:
        w.write_all(rc_pages)
    out: dict[str, list] = {}
    with LocalSearchIndex.for_pages(folder / "pages", folder / "index") as index:
        for p in rc_pages:
            doc = index.doc(p.url)
            out[p.url] = clues_for(doc, index, answer="", exclude=set()) if doc is not None else []
    return out


def test_e2h_chronology_clue_stays_with_one_artist(rc_pages: list[Page], rc_clues: dict[str, list]) -> None:
    # audit: "On which record label was the previous single of the song whose next single is the 1950
    # country standard written by Hank Snow released?" → Savoy, and "When was the previous single of the
    # song whose next single is … released?" → 1957: both Nappy Brown's single, not Ray Charles's
    credit = {p.url: _credit(p) for p in rc_pages}
    bad, chronology = [], 0
    for url, clues in rc_clues.items():
        for c in clues:
            if c.is_relation and c.key in (*_NEXT, *_PREV):
                chronology += 1
                a, b = credit.get(c.entity_url, frozenset()), credit.get(c.evidence_url, frozenset())
                if a and b and not a & b:
                    bad.append((url.rsplit("/", 1)[-1], c.key, c.evidence_url.rsplit("/", 1)[-1], a, b))
    assert chronology  # chronology clues are made
    assert not bad, bad[:3]


def test_e2h_song_is_not_described_by_an_album_of_many_songs(rc_pages: list[Page],
                                                              rc_clues: dict[str, list]) -> None:
    # audit (ambiguous): "Which song is the B-side of the song from the previous album of the album
    # Dedicated to You …?" and "What is the running time of the song from the previous album of …?"
    from synth.text import url_key

    tracks = {url_key(p.url): sum(len(e.items) for e in p.enumerations if "track" in f"{e.label} {e.section}".lower())
              for p in rc_pages}
    index = {url_key(p.url): p for p in rc_pages}
    song_album = [(url, c) for url, clues in rc_clues.items() for c in clues
                  if c.is_relation and c.key == "Album" and c.kind == "forward_relation"]
    assert song_album
    bad = []
    for url, c in song_album:
        album = next((f.links[0] for f in index[url_key(url)].facts if f.key == "Album" and f.links), "")
        if tracks.get(url_key(album), 0) > 1 and c.resolves <= 1:
            bad.append((url.rsplit("/", 1)[-1], c.snippet, tracks[url_key(album)], c.resolves))
    assert not bad, bad[:3]


def test_e2h_chronology_clue_not_contradicted(rc_pages: list[Page], rc_clues: dict[str, list]) -> None:
    # audit (ambiguous): "Who wrote the previous single of the song I Can't Stop Loving You by …?" →
    # Percy Mayfield, and "Which album did Ray Charles release just after the next album of the album that
    # includes the next single of the song Unchain My Heart …?"
    from synth.text import url_key

    chron = _chronology(rc_pages)
    idx = _url_index(rc_pages)
    bad = []
    for clues in rc_clues.values():
        for c in clues:
            if not (c.is_relation and c.key in (*_NEXT, *_PREV) and c.resolves <= 1):
                continue
            a, b = idx.get(url_key(c.evidence_url)), idx.get(url_key(c.entity_url))
            if a is None or b is None or a == b:
                continue
            side = "next" if c.key in _NEXT else "prev"
            back = "prev" if side == "next" else "next"
            claims_a = chron[a][side] | {u for u, x in chron.items() if a in x[back]}
            claims_b = chron[b][back] | {u for u, x in chron.items() if b in x[side]}
            if claims_a - {b} or claims_b - {a}:
                bad.append((b.rsplit("/", 1)[-1], c.key, a.rsplit("/", 1)[-1]))
    assert not bad, bad[:5]


# --- the final audit (a42bd05, sheet hand-audit-issue16): count, intersection, multi_hop ------------
# Its case pages are kept apart (a site of its own, with Ray_Charles.html and the pages linking them),
# crawled from Ray_Charles.html at depth 2: added to the set above they would change what
# the earlier cases' runs mine.
RC2 = ("A_Man_and_His_Soul.html", "Come_Back_Baby.html", "Ray_Charles.html", "Ray_Charles_(album).html",
       "The_Best_of_Ray_Charles.html", "The_Birth_of_Soul.html", "The_Genius_Hits_the_Road.html",
       "What'd_I_Say.html", "What'd_I_Say_(album).html", "What'd_I_Say_(song).html")


@pytest.fixture(scope="module")
def rc2_pages() -> list[Page]:
    pages = crawl(RC2, ["/A/Ray_Charles.html"], "wikipedia", depth=2)
    assert len(pages) == len(RC2)
    return pages


@pytest.fixture(scope="module")
def rc2_questions(rc2_pages: list[Page]) -> list[QARecord]:
    return questions(rc2_pages)


def test_a_hop_through_a_row_of_many_names_is_not_taken(rc2_pages: list[Page], rc2_questions: list[QARecord]) -> None:
    # audit (ambiguous): "When was the album that includes the third release listed in the “Discography”
    # section of the Wikipedia article on the entry that the Wikipedia article “Come Back Baby” links under
    # “Recorded by” in its infobox released?" — the row names eleven artists (only Ray Charles is linked)
    from synth.miners.base import Graph, MineContext, Node
    from synth.miners.multi_hop import MultiHopMiner

    rejected: list[tuple[str, str]] = []
    ctx = MineContext(SynthConfig(), Counters(), lambda r: rejected.append((r.reason, r.detail)))
    graph = Graph(Node.from_page(p) for p in rc2_pages)
    node = graph.get(_page(rc2_pages, "Come_Back_Baby.html").url)
    edges = MultiHopMiner()._edges(graph, node, ctx)
    assert not [e for e in edges if e.via == "fact" and e.key == "Recorded by"], edges
    assert any(reason == "multi_valued_hop" and "Lowell Fulson" in detail for reason, detail in rejected)
    asked = [r for r in rc2_questions if r.type == "multi_hop" and "“Recorded by”" in r.question]
    assert not asked, [r.question for r in asked]


def test_two_forms_of_one_name_do_not_make_an_intersection(rc2_questions: list[QARecord]) -> None:
    # audit (ambiguous): "Besides Ray Charles, which credited people are listed in the “Personnel” section
    # of both … “The Best of Ray Charles” and “The Genius Hits the Road”?" left out the drummer, listed as
    # "Milton Turner" on one page and "Milt Turner" on the other (neither linked)
    for r in rc2_questions:
        if r.type != "intersection":
            continue
        m = meta(r)
        names = {x for side in (m["a"], m["b"]) for x in side["items"]}
        assert not ({"Milt Turner", "Milton Turner"} <= names), (r.question, r.answer)
    from synth.text import name_variants

    assert name_variants("Milt Turner – drums", "Milton Turner – drums")
    assert name_variants("Joe Bridgewater – trumpet", "Joseph Bridgewater – trumpet")
    assert not name_variants("Lee Harper – trumpet", "Ricky Harper – trumpet")
    assert not name_variants("Ray Charles", "Roy Charles")


def test_credited_people_are_people(rc2_pages: list[Page], rc2_questions: list[QARecord]) -> None:
    # audit (ambiguous): "How many credited people are listed in the “Personnel” section of … “Ray Charles
    # (album)”?" → 4: Ray Charles, The Ray Charles Orchestra, Jerry Wexler, Marvin Israel
    # (the one people count these pages gave since, The Genius Hits the Road's, is no longer asked
    # either: its section holds a second list, test_audit_final_sublists.py)
    rejects: list = []
    list(mine(rc2_pages, SynthConfig(), Counters(), rejects.append))
    assert [r for r in rejects if r.reason == "not_all_people" and r.url.endswith("/Ray_Charles_(album).html")
            and "Orchestra" in (r.detail or "")]
    asked = [r for r in rc2_questions if r.type == "count" and "people" in r.question]
    bad = [(r.question, r.answer) for r in asked if any("Orchestra" in it for it in meta(r)["items"])]
    assert not bad, bad


def test_an_intersection_answer_is_the_title_not_the_list_line(rc2_pages: list[Page],
                                                               rc2_questions: list[QARecord]) -> None:
    # audit (unnatural): "Which track is listed in the “Track listing” section of both … “A Man and His
    # Soul” and “What'd I Say (album)”?" → '"What'd I Say" [Live]' (the list line, with its tag)
    from synth.text import item_name

    asked = [r for r in rc2_questions if r.type == "intersection"]
    bad = [(r.question, r.answer) for r in asked if re.search(r"[\[\]\"“”]", r.answer)]
    assert not bad, bad
    assert item_name('"What\'d I Say" [Live] (Ray Charles) – 4:30') == "What'd I Say"
    # read as the title, the one shared track is named by the question ("… “What'd I Say (album)”"):
    # the pair is set aside, no longer asked with the list line as its answer
    case = [r.answer for r in asked if "“A Man and His Soul” and “What'd I Say (album)”" in r.question
            and "Track listing" in r.question]
    assert case == [], case
    rejected: list = []
    list(mine(rc2_pages, SynthConfig(), Counters(), rejected.append))
    assert any(r.reason == "shared_names_subject" and r.url.endswith("/A/A_Man_and_His_Soul.html")
               for r in rejected), sorted({r.reason for r in rejected})


def test_a_count_names_what_it_counts() -> None:
    # audit (unnatural): "How many physics are listed in the “Physics” section of the arXiv listing
    # “arXiv.org e-Print archive”?" → 13 (archives); "physics" is not a plural
    from synth.text import enum_noun, is_plural

    assert not is_plural("Physics") and not is_plural("Mathematics")
    assert is_plural("Lyrics") and is_plural("Topics")
    assert enum_noun("Physics", "Physics") == ""
    pages = crawl("arxiv", ["/"], "arxiv")
    asked = [r for r in questions(pages) if r.type == "count" and "“Physics”" in r.question]
    assert asked and not [r.question for r in asked if "many physics" in r.question], [r.question for r in asked]


def test_credited_people_shared_are_people() -> None:
    # the run of the fixes above (Ray Charles depth 3) still kept "Besides Ray Charles, which credited
    # people are listed in the “Personnel” section of both … “Ray Charles in Person” and “Yes Indeed! (Ray
    # Charles album)”?" → "Marcus Belgrave, John Hunt, David Newman, Edgar Willis and The Raelets": a vocal
    # group is not a person (the class of test_credited_people_are_people, in an intersection)
    # with The Raelettes' page, which both lists link ("The Raelets" / "The Raeletts"): one entity
    pages = crawl(("Ray_Charles_in_Person.html", "The_Raelettes.html", "Yes_Indeed!_(Ray_Charles_album).html"),
                  ["/A/Ray_Charles_in_Person.html", "/A/Yes_Indeed!_(Ray_Charles_album).html", "/A/The_Raelettes.html"],
                  "wikipedia")
    assert len(pages) == 3
    asked = [r for r in questions(pages) if r.type == "intersection" and "people" in r.question]
    assert not [(r.question, r.answer) for r in asked if "Raelet" in r.answer]
    # the group is set aside and named, as the pages' subject is
    assert all(r.question.startswith("Besides Ray Charles and The Raelets, ") for r in asked), \
        [r.question for r in asked]
    # (since the strict audit the pair is not asked at all: In Person's Personnel section credits two more
    # players in a note paragraph after its list, test_audit_final3.py)
    rejects: list = []
    list(mine(pages, SynthConfig(), Counters(), rejects.append))
    assert asked or [r for r in rejects if r.reason == "section_incomplete" and "Personnel" in (r.detail or "")]
