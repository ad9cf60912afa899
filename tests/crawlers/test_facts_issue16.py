"""Fact parsing defects of issue 16, each on a real corpus page (trimmed copies in
tests/fixtures/html/issue16, taken from ../shared/corpus: Ray Charles 2015 Kiwix dump, arXiv)."""

from __future__ import annotations

from pathlib import Path

from crawlers.facts import extract_structure, split_values
from crawlers.profiles.arxiv_facts import latex_quotes
from crawlers.profiles.wikipedia_facts import chronology_owner

D = Path(__file__).resolve().parents[1] / "fixtures" / "html" / "issue16"
KIWIX = "http://127.0.0.1:8765/A/"
ARXIV = "http://127.0.0.1:8766/"


def wiki(name: str):
    return extract_structure((D / name).read_bytes(), KIWIX + name, "wikipedia")


def facts(s) -> dict[str, str]:
    return {f.key: f.value for f in s.facts}


def test_the_chronology_says_whose_releases_it_walks() -> None:
    # "Soul Brothers" is credited to Ray Charles and Milt Jackson; its chronology is Ray Charles's
    s = wiki("Soul_Brothers.html")
    f = facts(s)
    assert f["Type"] == "Studio album by Ray Charles, Milt Jackson"
    assert f["Chronology"] == "Ray Charles"
    assert f["Previous album"] == "Yes Indeed!" and f["Next album"] == "What'd I Say"
    assert next(x for x in s.facts if x.key == "Chronology").links == [KIWIX + "Ray_Charles.html"]


def test_chronology_owner_from_the_header() -> None:
    assert chronology_owner("Ray Charles singles chronology") == "Ray Charles"
    assert chronology_owner("The Beatles US singles chronology") == "The Beatles"
    assert chronology_owner("James Brown charting singles chronology") == "James Brown"
    assert chronology_owner('David "Fathead" Newman chronology') == 'David "Fathead" Newman'
    assert chronology_owner("chronology") == ""


def test_a_name_suffix_stays_with_the_name() -> None:
    # "Writer(s): Robert Sharp, Jr., Teddy Powell" is two writers, not three
    s = wiki("Unchain_My_Heart_(song).html")
    writers = next(e for e in s.enumerations if e.label == "Writer(s)")
    assert writers.items == ["Robert Sharp, Jr.", "Teddy Powell"]
    assert split_values("A. Smith, Sr., B. Jones, III, C") == ["A. Smith, Sr.", "B. Jones, III", "C"]
    assert split_values("Jr., Smith") == ["Jr.", "Smith"]  # nothing to glue a leading suffix to


def test_award_lists_with_ceremony_header_lines_are_not_counted() -> None:
    # "77th Academy Awards:" over a nested list is a header line, not an award: the pre-fix reader
    # counted 24 "Won" and 20 "Nominations" entries, header lines included
    html = (D / "List_of_accolades_received_by_Ray_(film).html").read_text(encoding="utf-8")
    assert "77th Academy Awards:" in html
    s = wiki("List_of_accolades_received_by_Ray_(film).html")
    assert not any(it.endswith(":") for e in s.enumerations for it in e.items)
    assert not [e.label for e in s.enumerations if e.label in ("Won", "Nominations")]


def test_a_single_author_paper_has_no_first_author() -> None:
    s = extract_structure((D / "arxiv_abs_0704.0003.html").read_bytes(), ARXIV + "abs/0704.0003", "arxiv")
    f = facts(s)
    assert f["Authors"] == "Hongjun Pan"
    assert "First author" not in f and "Last author" not in f


def test_latex_quotes_in_titles_become_typographic() -> None:
    s = extract_structure((D / "arxiv_abs_0704.0112.html").read_bytes(), ARXIV + "abs/0704.0112", "arxiv")
    assert s.subject == ("Placeholder Substructures III: A Bit-String-Driven \u201cRecipe Theory\u201d for "
                         "Infinite-Dimensional Zero-Divisor Spaces")
    assert facts(s)["Title"] == s.subject
    assert latex_quotes("The ``Gauge'' theory") == "The \u201cGauge\u201d theory"
    assert latex_quotes("Smith''s lemma") == "Smith''s lemma"  # an odd '' is left alone


def test_an_arxiv_listing_counts_papers_not_day_headers() -> None:
    # the page says "Total of 5 entries"; its day headers ("Mon, 31 Jan 2011" has no paper) are no items
    html = (D / "arxiv_list_math_recent.html").read_text(encoding="utf-8")
    assert "Total of 5 entries" in html
    s = extract_structure(html, ARXIV + "list/math/recent", "arxiv")
    assert {e.label: len(e.items) for e in s.enumerations} == {
        "Thu, 3 Feb 2011": 2, "Wed, 2 Feb 2011": 1, "Tue, 1 Feb 2011": 1, "Fri, 28 Jan 2011": 1}
    assert all(e.kind == "papers" for e in s.enumerations)


def test_an_arxiv_listing_that_disagrees_with_its_total_gives_no_count() -> None:
    html = (D / "arxiv_list_math_recent.html").read_text(encoding="utf-8").replace(
        "Total of 5 entries", "Total of 7 entries")
    assert extract_structure(html, ARXIV + "list/math/recent", "arxiv").enumerations == []


def test_an_arxiv_section_shown_in_part_gives_no_count() -> None:
    html = (D / "arxiv_list_math_recent.html").read_text(encoding="utf-8")
    assert "(showing 2 of 2 entries )" in html
    html = html.replace("(showing 2 of 2 entries )", "(showing 2 of 9 entries )")
    labels = [e.label for e in extract_structure(html, ARXIV + "list/math/recent", "arxiv").enumerations]
    assert "Thu, 3 Feb 2011" not in labels


def test_an_arxiv_listing_is_recognised_as_arxiv() -> None:
    from crawlers.profiles import sniff_profile

    html = (D / "arxiv_list_math_recent.html").read_text(encoding="utf-8")
    assert "<title>Mathematics" in html and sniff_profile(html).name == "arxiv"


def test_query_variants_arxiv_shows_are_one_page() -> None:
    """The links of real arXiv pages: ``?context=`` on an abstract page and ``?skip=0&show=50`` on a
    listing are the page itself; a later page of the listing (``skip=2``) is another page."""
    import lxml.html

    from crawlers.urls import canonicalize

    def hrefs(name: str, page: str) -> list[str]:
        doc = lxml.html.document_fromstring((D / name).read_bytes())
        doc.make_links_absolute(page)
        return [a.get("href") for a in doc.iter("a") if a.get("href")]

    abs_page = "https://arxiv.org/abs/0704.0003"
    context = [h for h in hrefs("arxiv_abs_0704.0003.html", abs_page) if "/abs/0704.0003?context=" in h]
    assert context and {canonicalize(h) for h in context} == {abs_page}
    listing = "https://arxiv.org/list/math/recent"
    variants = [h for h in hrefs("arxiv_list_math_recent.html", listing) if h.startswith(listing + "?")]
    assert canonicalize(listing + "?skip=0&show=50") == listing
    assert listing + "?skip=0&show=50" in variants
    assert canonicalize(listing + "?skip=2&show=50") == listing + "?show=50&skip=2"
    # the same shapes on a local mirror; other queries and other sites keep theirs
    assert canonicalize("http://127.0.0.1:8766/abs/0704.0003?context=physics") == "http://127.0.0.1:8766/abs/0704.0003"
    assert canonicalize("https://example.com/abs/x?context=1") == "https://example.com/abs/x?context=1"
    assert canonicalize("https://arxiv.org/prevnext?id=0704.0003&function=next&context=physics.gen-ph") == (
        "https://arxiv.org/prevnext?context=physics.gen-ph&function=next&id=0704.0003")


def test_a_note_across_a_chart_table_is_no_entry() -> None:
    html = (D / "Modern_Sounds_in_Country_and_Western_Music.html").read_text(encoding="utf-8")
    assert "denotes a release that did not chart" in html
    s = wiki("Modern_Sounds_in_Country_and_Western_Music.html")
    singles = next(e for e in s.enumerations if e.label == "Singles")
    assert singles.items == ['"Born to Lose"', '"Careless Love"', '"I Can\'t Stop Loving You"', '"You Don\'t Know Me"']


def test_a_tracks_note_is_no_track() -> None:
    html = (D / "Ray_Charles_Live.html").read_text(encoding="utf-8")
    assert "tracks 1-10 live at Newport Jazz Festival 1958" in html
    tracks = next(e for e in wiki("Ray_Charles_Live.html").enumerations if e.label == "Track listing")
    assert len(tracks.items) == 16 and tracks.items[0] == '"Hot Rod" (Charles) – 3:43'
    assert not [t for t in tracks.items if t.lower().startswith("tracks")]


def test_a_closing_and_is_not_part_of_the_last_name() -> None:
    # "Producer: Herb Abramson, Ahmet Ertegün, and Jerry Wexler"
    producers = next(e for e in wiki("The_Birth_of_Soul.html").enumerations if e.label == "Producer")
    assert producers.items == ["Herb Abramson", "Ahmet Ertegün", "Jerry Wexler"]


def test_an_arxiv_listing_is_named_with_its_period() -> None:
    from crawlers.profiles.arxiv_facts import listing_period

    html = (D / "arxiv_list_math_recent.html").read_text(encoding="utf-8")
    assert extract_structure(html, ARXIV + "list/math/recent", "arxiv").subject == "Mathematics (recent submissions)"
    assert listing_period("https://arxiv.org/list/cs/new") == "new submissions"
    assert listing_period("https://arxiv.org/list/gr-qc/2009-06") == "June 2009"
    assert listing_period("https://arxiv.org/abs/0704.0003") == ""


def test_old_mediawiki_edit_links_are_not_part_of_headings() -> None:
    # 2008 static dumps write "[edit]" as <span class="editsection">: "edit] External links" was a
    # heading, so the external links were counted as a list of the article
    name = "wiki2008_Cardonald_railway_station.html"
    s = extract_structure((D / name).read_bytes(), "http://127.0.0.1:8767/en/articles/c/a/r/" + name, "wikipedia")
    assert s.subject == "Cardonald railway station"
    assert not [e.label for e in s.enumerations if "edit]" in e.label or "edit]" in e.section]
    assert not [e.label for e in s.enumerations if e.section.startswith(("External links", "See also"))]


def test_a_catalogue_number_is_no_second_label() -> None:
    # "Label: ABC-Paramount 45-10330" (I Can't Stop Loving You): one label and its catalogue number
    s = wiki("I_Can't_Stop_Loving_You.html")
    assert facts(s)["Label"] == "ABC-Paramount, 45-10330"
    assert not [e for e in s.enumerations if e.label == "Label"]
    genius = wiki("Georgia_on_My_Mind.html")  # two real labels stay two
    assert next(e for e in genius.enumerations if e.label == "Label").items == [
        "ABC Records (USA)", "Stateside/EMI (UK & Europe)"]


def test_track_titles_are_the_entities_of_track_lists() -> None:
    from synth.text import item_key, item_name

    assert item_name('"You Are My Sunshine" (Davis/Mitchell) with Chris Isaak') == "You Are My Sunshine"
    assert item_key('"Swanee River Rock (Talkin\' \'Bout That River)" (Charles) – 2:18') == item_key(
        '"Swanee River Rock" (Charles) - 2:07')
    assert item_name('"Weird Al" Yankovic – accordion') == '"Weird Al" Yankovic'  # a name, not a title
