"""E2HQA questions a strict hand audit of the Ray Charles 2015 corpus found not correct (issue 16), one test per
class, on unchanged copies of the saved pages (``tests/fixtures/pages/wiki-raycharles-2015/A, via tests/saved_pages.py``, from the shared corpus):

* pages disagree on the answer: "When was the single “I Got a Woman” by the artist of the single A Fool for You
  released?" → 1954 (its infobox, Ray Charles's Discography), while Ray Charles discography's Atlantic singles
  table lists it under 1955 (a year cell spanning the rows of This Little Girl of Mine, A Fool for You …);
* a description must be unique over joint credits: "the song whose producer is Ahmet Ertegun" (It Should've Been
  Me) also fits Lonely Avenue, 'Producer(s): Ahmet Ertegün, Jerry Wexler';
* the attribute word must fit what the value dates: "Who wrote the song released in the mid-1890s?" read
  America the Beautiful's 'Published: 1895 (poem)', the poem's publication, as the song's release.

Found reading the kept rewrites of the seeds bench after those fixes (same pages):

* 'the artist of the song Crying Time': Buck Owens recorded the original version (1964), Ray Charles's single
  (its infobox) is a cover, so "… for the artist of the song from 1964 written by … Buck Owens" meant Owens;
* 'the rhythm and blues single written and released as a single by Ray Charles in 1955 on the Atlantic label'
  (This Little Girl of Mine) also fits A Fool for You (Released 1955, Writer(s): Ray Charles);
* 'the single written by someone with the initials A. E.' (Mess Around): The Birth of Soul credits "Heartbreaker"
  to '(Nugetre aka Ertegün)', a pseudonym and the name, Ahmet Ertegün in another track listing;
* "Which group first recorded the song produced by someone with the initials J. A. in May 1965?" (The Coasters):
  Joe Adams produced Ray Charles's single of Let's Go Get Stoned, whose infobox the page carries, not the
  Coasters' original;
* "… the album whose previous album is The Modern Sound of the singer whose labels include …": a later round
  replaced 'Betty Carter' inside the album title The Modern Sound of Betty Carter;
* "On which record label was the song whose B-side is the number written in 1940 by the artist of the album Genius
  Loves Company released?": the seed's 'by Ray Charles' now reads as the writer of Come Back Baby (Walter Davis);
* wording: "the musical directed by someone with the initials T. H." (Ray is 'a 2004 American musical biographical
  film focusing on …'), "the album whose producer is John Burk, Phil Ramone", "the film screenplay by …".
"""

from __future__ import annotations

import pytest

from pipelines.counters import Counters
from schemas.records import Evidence, Page
from synth.e2h.clues import Clue, clues_for, fact_holders, value_items
from synth.e2h.config import E2HConfig
from synth.e2h.engine import E2HEngine
from synth.e2h.obfuscate import date_qualifier
from synth.e2h.pages import pages_from_files
from synth.e2h.records import dated_items, stated_years
from synth.e2h.seeds import Seed
from synth.e2h.writers import TemplateE2HWriter, template_description
from synth.graph.values import holds
from synth.search import SearchRouter
from tests.saved_pages import saved_site

BASE = "http://127.0.0.1:8000"
NAMES = ("I_Got_a_Woman.html", "Ray_Charles_discography.html", "Ray_Charles.html", "A_Fool_for_You.html",
         "This_Little_Girl_of_Mine.html", "It_Should've_Been_Me_(Memphis_Curtis_song).html", "Lonely_Avenue.html",
         "America_the_Beautiful.html", "Ingredients_in_a_Recipe_for_Soul.html", "Crying_Time.html",
         "The_Birth_of_Soul.html", "Mess_Around.html", "Ray_Charles_(album).html",
         "Let's_Go_Get_Stoned_(R&B_song).html", "Ray_Charles_and_Betty_Carter.html", "Drown_in_My_Own_Tears.html",
         "Come_Back_Baby.html", "Ray_(film).html", "Genius_Loves_Company.html")
PAGES = saved_site(NAMES)  # the shared unchanged copies (tests/saved_pages.py)


def url(name: str) -> str:
    return f"{BASE}/A/{name}"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from pipelines.shards import ShardWriter
    from synth.search import LocalSearchIndex

    pages: list[Page] = list(pages_from_files(PAGES, [PAGES / "A" / n for n in NAMES], BASE))
    assert {p.url for p in pages} == {url(n) for n in NAMES}
    folder = tmp_path_factory.mktemp("e2h-final4")
    with ShardWriter(folder / "pages", Page) as w:
        w.write_all(pages)
    with LocalSearchIndex.for_pages(folder / "pages", folder / "index") as idx:
        yield idx


def clues(index, name: str) -> list[Clue]:
    doc = index.doc(url(name))
    assert doc is not None
    return clues_for(doc, index, answer="", exclude=set())


def engine(index, counters: Counters) -> E2HEngine:
    return E2HEngine(SearchRouter(index, None, "fallback"), TemplateE2HWriter(), E2HConfig(one_search_gate=False),
                     counters, run_id="test-run")


def test_a_year_cell_spanning_rows_dates_each_row(index) -> None:
    # '| 1955 | "I Got a Woman" | — | 1 |' then '|  | "Come Back" | — | 4 |' …: the HTML cell has rowspan=6
    items = {(t, y) for t, y, kind, plain in dated_items(index.body(url("Ray_Charles_discography.html")))
             if kind == "single" and plain}
    assert {("It Should've Been Me", 1954), ("Don't You Know", 1954), ("I Got a Woman", 1955),
            ("This Little Girl of Mine", 1955), ("A Fool for You", 1955), ("Lonely Avenue", 1956)} <= items
    # a row whose title carries a note may be another record: the 1965 '"I Got a Woman" (Part One)'
    noted = [(t, y) for t, y, _, plain in dated_items(index.body(url("Ray_Charles_discography.html"))) if not plain]
    assert ("I Got a Woman", 1965) in noted
    told = stated_years(index, url("I_Got_a_Woman.html"))
    assert (1955, url("Ray_Charles_discography.html")) in told  # the Atlantic singles table
    assert (1954, url("Ray_Charles.html")) in told  # '## Discography' list: '"I Got a Woman" (1954)'
    assert (1965, url("Ray_Charles_discography.html")) not in told
    # the artist's page: its Discography list dates records, its Filmography list films (no record of 1980)
    own = {(t, y) for t, y, _, _ in dated_items(index.body(url("Ray_Charles.html")))}
    assert ("I Got a Woman", 1954) in own and ("The Blues Brothers", 1980) not in own, own


def test_an_answer_the_pages_disagree_on_is_dropped_before_any_rewrite(index) -> None:
    counters = Counters()
    eng = engine(index, counters)
    q = "When was the single “I Got a Woman” by Ray Charles released?"
    sd = Seed("rc-igaw", q, "1954", evidence=(Evidence(url=url("I_Got_a_Woman.html"), text="Released: 1954"),),
              source_url=url("I_Got_a_Woman.html"))
    (out,) = eng.process([sd])
    assert out.record is None and out.failure is not None
    assert out.failure.reason == "value_conflict", out.failure
    assert "Ray_Charles_discography.html dates the record 1955, not 1954" in out.failure.detail
    assert counters.get("e2h/dropped/value_conflict") == 1
    assert counters.get("e2h/attempts/total") == 0  # no writer call was spent on it
    # a record every page dates alike stays a seed: A Fool for You, 1955 on its page, in the table, in a strip
    fool = Seed("rc-fool", "When was the single “A Fool for You” by Ray Charles released?", "1955",
                evidence=(Evidence(url=url("A_Fool_for_You.html"), text="Released: 1955"),),
                source_url=url("A_Fool_for_You.html"))
    assert eng._answer_disputed(fool, None) == ""


def test_a_release_date_clue_says_only_what_every_page_agrees_on(index) -> None:
    cs = clues(index, "I_Got_a_Woman.html")
    (exact,) = [c for c in cs if c.kind == "fact" and c.key == "Released"]
    assert "Ray_Charles_discography.html dates the record 1955, not 1954" in exact.ambiguity
    counters = Counters()
    assert engine(index, counters)._structural_ambiguity(exact)  # counted as an ambiguous attempt
    import json

    loose = [c for c in cs if c.kind == "obfuscated_fact" and c.relation == "released"]
    for c in loose:  # 'the mid-1950s' holds for both 1954 and 1955; 'the early 1950s' would not
        pred = json.loads(c.loose)["pred"]
        assert holds(pred, 1954) and holds(pred, 1955), c.predicate


def test_a_joint_credit_fits_the_description_of_a_single_credit(index) -> None:
    assert value_items("Ahmet Ertegün, Jerry Wexler", people=True) == {"ahmet ertegun", "jerry wexler"}
    (c,) = [c for c in clues(index, "It_Should've_Been_Me_(Memphis_Curtis_song).html")
            if c.kind == "fact" and c.key.startswith("Producer")]
    assert template_description(c) == "the song whose producer is Ahmet Ertegun"
    holders = fact_holders(index, c.key, c.value)
    assert "lonely avenue" in holders, holders  # 'Producer(s): Ahmet Ertegün, Jerry Wexler'
    why = engine(index, Counters())._structural_ambiguity(c)
    assert why.startswith(f"{len(holders | {'it should ve been me memphis curtis song'})} entities have "
                          "'Producer(s): Ahmet Ertegun'"), why
    # a producer no other row credits, alone or jointly, still describes one song
    (only,) = [c for c in clues(index, "I_Got_a_Woman.html") if c.kind == "fact" and c.key == "Length"]
    assert engine(index, Counters())._structural_ambiguity(only) == ""


def test_a_date_of_another_work_is_not_told_as_the_entitys_release(index) -> None:
    assert date_qualifier("1895 (poem)") == "(poem)"
    assert date_qualifier("January 20, 2009 (aged 75)") == ""
    cs = clues(index, "America_the_Beautiful.html")
    texts = [template_description(c) or "" for c in cs]
    assert not [t for t in texts if "released" in t or "1890s" in t], texts
    assert not [c for c in cs if c.kind == "obfuscated_fact" and c.key == "Published"], cs
    (pub,) = [c for c in cs if c.kind == "fact" and c.key == "Published"]
    assert pub.ambiguity == "the value is qualified (poem): it dates another work or part than the entity"
    # an unqualified publication row is worded by its own label, not as a release
    plain = Clue("fact", url("America_the_Beautiful.html"), url("America_the_Beautiful.html"), "Published: 1910",
                 key="Published", value="1910", type="song")
    assert template_description(plain) == "the song published in 1910"


def test_the_artist_of_a_covered_song_is_not_the_singles_artist_alone(index) -> None:
    artist = {template_description(c): c for c in clues(index, "Ray_Charles.html")
              if c.kind == "inverse_relation" and c.relation == "artist"}
    crying = artist["the artist of the song Crying Time"]
    assert crying.resolves >= 2 and crying.ambiguity.startswith(
        "its page says another artist recorded the song first: 'Owens recorded the original version"), crying
    assert engine(index, Counters())._structural_ambiguity(crying)
    # a single whose page says nothing of another recording still names its one artist
    fool = artist["the artist of the single A Fool for You"]
    assert fool.resolves == 1 and fool.ambiguity == "", fool


def test_a_sentence_with_a_year_is_unique_only_over_the_artists_records_of_that_year(index) -> None:
    (girl,) = [c for c in clues(index, "This_Little_Girl_of_Mine.html") if c.kind == "first_sentence"]
    assert template_description(girl) == ("the rhythm and blues single written and released as a single by Ray "
                                          "Charles in 1955 on the Atlantic label")
    # A Fool for You has a page (Released 1955); I Got a Woman, Blackjack, Greenbacks are listed under 1955
    assert girl.ambiguity == "4 other record(s) of the same artist are dated 1955 in the crawl (e.g. A Fool for You)"
    # a writer no other record of that year is credited to narrows it: It Should've Been Me (1954, Memphis Curtis)
    (isbm,) = [c for c in clues(index, "It_Should've_Been_Me_(Memphis_Curtis_song).html") if c.kind == "first_sentence"]
    assert "1954" in (template_description(isbm) or "") and isbm.ambiguity == "", isbm.ambiguity
    # a record by two artists: only their joint records of that year fit ('the 1961 album by Betty Carter and
    # Ray Charles' is not fitted by Ray Charles's own 1961 albums)
    (rcbc,) = [c for c in clues(index, "Ray_Charles_and_Betty_Carter.html") if c.kind == "first_sentence"]
    assert template_description(rcbc) == "the 1961 album by Betty Carter and Ray Charles" and rcbc.ambiguity == ""


def test_a_pseudonym_credit_counts_for_the_name_it_stands_for(index) -> None:
    from synth.e2h.obfuscate import credited_elsewhere

    assert '7. "Heartbreaker" (Nugetre aka Ertegün) - 2:51' in index.body(url("The_Birth_of_Soul.html"))
    assert "heartbreaker (The_Birth_of_Soul.html)" in credited_elsewhere(index, "Mess Around", "AE",
                                                                         writer="Ahmet Ertegün")
    mess = [template_description(c) for c in clues(index, "Mess_Around.html") if c.kind == "obfuscated_fact"]
    assert not [t for t in mess if t and "initials A. E." in t], mess


def test_a_question_about_the_first_recording_is_not_answered_through_a_later_recordings_rows(index) -> None:
    eng = engine(index, Counters())
    page = index.doc(url("Let's_Go_Get_Stoned_(R&B_song).html"))
    assert page is not None
    q = "Which group first recorded \"Let's Go Get Stoned\" in May 1965?"
    cs = clues_for(page, index, answer="The Coasters", exclude=set())
    by = {template_description(c): eng._other_recording(q, page, c) for c in cs}
    why = by["the song produced by someone with the initials J. A."]
    assert why.startswith("obfuscated_fact 'Producer(s): Joe Adams' is a row of one recording, and the question asks "
                          "of another (its page says another artist recorded the song first"), why
    assert by["the song whose producer is Joe Adams"]
    # the song's own credits still describe it; a question not about another recording takes every row
    writer = [c for c in cs if c.kind == "fact" and c.relation == "writer"]
    assert writer and all(eng._other_recording(q, page, c) == "" for c in writer)
    assert all(eng._other_recording("Who produced \"Let's Go Get Stoned\"?", page, c) == "" for c in cs)


def test_a_title_told_as_a_value_is_quoted_so_no_later_round_replaces_a_name_inside_it(index) -> None:
    from synth.e2h.entities import find_entities

    descs = [template_description(c) for c in clues(index, "Ray_Charles_and_Betty_Carter.html")
             if c.kind == "fact" and c.key == "Previous album"]
    assert "the album whose previous album is “The Modern Sound of Betty Carter”" in descs, descs
    q = "On what date did the saxophonist listed third under “Personnel” for the album whose previous album is " \
        "“The Modern Sound of Betty Carter” die?"
    eng = engine(index, Counters())
    assert not [sp for sp in find_entities(q, "January 29, 2009", eng.aliases, max_tokens=eng._alias_len)
                if sp.text == "Betty Carter"]


def test_a_page_whose_subject_runs_long_still_says_what_it_is(index) -> None:
    # issue 19 (survival): '"Drown in My Own Tears", originally credited as "I'll Drown in My Tears", is a blues song
    # written by Henry Glover.' has a 13-word subject: the page had no kind, so 'the blues song “Drown in My Own
    # Tears”' was a kind mismatch (no entity to replace) and the page had no typed clue
    from synth.e2h.entities import find_entities

    counters = Counters()
    eng = engine(index, counters)
    q = 'Who wrote the blues song "Drown in My Own Tears"?'
    (sp,) = find_entities(q, "Henry Glover", eng.aliases, max_tokens=eng._alias_len)
    assert eng._typed(q, sp) == sp and counters.get("e2h/entities/kind_mismatch") == 0
    descs = {template_description(c) for c in clues(index, "Drown_in_My_Own_Tears.html")}
    assert "the next single of the song Lonely Avenue" in descs, descs


def test_a_by_phrase_after_a_description_that_says_who_made_it_is_not_fluent(index) -> None:
    from synth.e2h.engine import Attempt, _State
    from synth.e2h.entities import find_entities
    from synth.e2h.writers import WriterOutput

    eng = engine(index, Counters())
    q = "On which record label was the song whose B-side is Come Back Baby by Ray Charles released?"
    (sp,) = [sp for sp in find_entities(q, "Atlantic", eng.aliases, max_tokens=eng._alias_len)
             if sp.text == "Come Back Baby"]
    page = index.doc(url("Come_Back_Baby.html"))
    (c,) = [c for c in clues_for(page, index, answer="Atlantic", exclude=set()) if c.kind == "fact" and c.key == "Written"]
    desc = template_description(c)
    assert desc == "the number written in 1940"
    st = _State(seed=Seed("x", q, "Atlantic"), question=q)
    q2 = q[:sp.start] + desc + q[sp.end:]
    reason, detail = eng._check_question(st, Attempt(sp, page, sp.text, c), desc, WriterOutput("k", q2))
    assert (reason, detail.split(":")[0]) == ("not_fluent", "'by' after 'the number written in 1940' reads as its "
                                                            "'written' clause"), detail
    # a release date before 'by <artist>' says what the artist did ('the album released in 2003 by Ray Charles')
    from synth.e2h.engine import _AUTHOR_PARTICIPLE

    assert _AUTHOR_PARTICIPLE.search("the album released in 2003") is None


def test_descriptions_word_the_kind_and_the_row_as_the_page_says(index) -> None:
    ray = {template_description(c) for c in clues(index, "Ray_(film).html")}
    assert "the film directed by Taylor Hackford" in ray and "the film with screenplay by James L. White" in ray, ray
    assert not [t for t in ray if t and t.startswith("the musical")], ray
    glc = {template_description(c) for c in clues(index, "Genius_Loves_Company.html")}
    assert "the album whose producers include John Burk, Phil Ramone" in glc, glc
    igaw = {template_description(c) for c in clues(index, "I_Got_a_Woman.html")}
    assert "the song whose writers include Ray Charles and Renald Richard" in igaw
    assert "the song whose producer is Jerry Wexler" in igaw  # one producer: singular
    assert "the song whose label is Atlantic 45-1050" in igaw
    from synth.e2h.writers import _fact_phrase

    label = Clue("fact", url("I_Got_a_Woman.html"), url("I_Got_a_Woman.html"), "Label: ABC-Paramount, 45-10330",
                 key="Label", value="ABC-Paramount, 45-10330", type="song")
    assert _fact_phrase(label) == "the song whose label is ABC-Paramount, 45-10330"  # a catalogue number, one label
