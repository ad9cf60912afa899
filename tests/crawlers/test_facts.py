"""Structured facts from real-shaped HTML: MediaWiki (Kiwix 2015 and current skin), arXiv abstract
and listing pages, GitHub repository pages (2019 and current layout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.facts import Structure, extract_structure, first_sentence, split_values

HTML = Path(__file__).resolve().parents[1] / "fixtures" / "html"
KIWIX = "http://127.0.0.1:8765/wiki-raycharles-2015/A/"


def load(name: str) -> str:
    return (HTML / name).read_text(encoding="utf-8")


def facts(s: Structure) -> dict[str, str]:
    return {f.key: f.value for f in s.facts}


def links(s: Structure) -> dict[str, list[str]]:
    return {f.key: f.links for f in s.facts}


def enum(s: Structure, label: str, section: str | None = None):
    found = [e for e in s.enumerations if e.label == label and (section is None or e.section == section)]
    assert len(found) == 1, [(e.label, e.section) for e in s.enumerations]
    return found[0]


# ------------------------------------------------------------------------------------------------
# MediaWiki, Kiwix 2015 dump (album page)

@pytest.fixture(scope="module")
def album() -> Structure:
    return extract_structure(load("wiki_album_kiwix.html"), KIWIX + "The_Genius_of_Ray_Charles.html", "wikipedia")


def test_kiwix_album_subject_and_description(album: Structure) -> None:
    assert album.error == ""
    assert album.subject == "The Genius of Ray Charles"
    assert album.description == ("The Genius of Ray Charles is the sixth studio album by American recording "
                                 "artist Ray Charles, released in 1959 by Atlantic Records.")


def test_kiwix_album_infobox_rows_with_links(album: Structure) -> None:
    f = facts(album)
    assert f["Type"] == "Studio album by Ray Charles"
    assert links(album)["Type"] == [KIWIX + "Ray_Charles.html"]
    assert f["Released"] == "October 1959"
    assert f["Recorded"] == "May 6 and June 23, 1959; at 6 West Recording in New York City"
    assert f["Genre"] == "Swingin' pop, traditional pop, rhythm and blues"  # citation marks dropped
    assert f["Length"] == "37:58"
    assert f["Label"] == "Atlantic" and links(album)["Label"] == [KIWIX + "Atlantic_Records.html"]
    assert f["Producer"] == "Nesuhi Ertegün, Jerry Wexler"


def test_kiwix_album_chronology_previous_next(album: Structure) -> None:
    f = facts(album)
    assert f["Previous album"] == "What'd I Say"
    assert links(album)["Previous album"] == [KIWIX + "What'd_I_Say_(album).html"]
    assert f["Next album"] == "Ray Charles in Person"
    assert links(album)["Next album"] == [KIWIX + "Ray_Charles_in_Person.html"]  # fragment removed


def test_kiwix_album_multivalued_infobox_fields(album: Structure) -> None:
    genre = enum(album, "Genre")
    assert genre.kind == "infobox" and genre.items == ["Swingin' pop", "traditional pop", "rhythm and blues"]
    assert enum(album, "Producer").items == ["Nesuhi Ertegün", "Jerry Wexler"]


def test_kiwix_album_lists_under_headings(album: Structure) -> None:
    side1 = enum(album, "Side one", "Track listing › Side one")
    assert side1.kind == "list"
    assert side1.items == [
        '"Let the Good Times Roll" (Sam Theard, Fleecie Moore) – 2:53',
        '"It Had to Be You" (Gus Kahn, Isham Jones) – 2:45',
        '"Alexander\'s Ragtime Band" (Irving Berlin) – 2:53',
    ]
    assert side1.item_links == [KIWIX + "Let_the_Good_Times_Roll_(Louis_Jordan_song).html", "", ""]
    assert len(enum(album, "Side two", "Track listing › Side two").items) == 2
    # personnel in a two-column layout table; a nested list is not an item of its own
    p1 = enum(album, "Side one", "Personnel › Side one")
    assert p1.items[0] == "Ray Charles - piano and vocals"
    assert p1.item_links[0] == KIWIX + "Ray_Charles.html"
    assert p1.item_links[3] == KIWIX + "David_%22Fathead%22_Newman.html"
    assert len(p1.items) == 5
    p2 = enum(album, "Side two", "Personnel › Side two")
    assert p2.items == ["Ray Charles - piano and vocals", "Allen Hanlon - guitar",
                        "Harry Lookofsky - concertmaster", "Ralph Burns - arranger"]


def test_kiwix_album_skips_references_external_links_and_ratings_box(album: Structure) -> None:
    sections = {e.section for e in album.enumerations}
    assert not any(s.startswith(("References", "External links", "Critical reception")) for s in sections)


def test_kiwix_navbox_groups(album: Structure) -> None:
    live = enum(album, "Live albums")
    assert live.kind == "navbox" and live.section == "Ray Charles navigation box"
    assert live.items == ["Ray Charles at Newport", "Ray Charles in Person", "Live in Japan"]
    assert live.item_links == [KIWIX + "Ray_Charles_at_Newport.html", KIWIX + "Ray_Charles_in_Person.html", ""]


def test_canonicalize_hook_applies_to_fact_and_item_links() -> None:
    s = extract_structure(load("wiki_album_kiwix.html"), KIWIX + "The_Genius_of_Ray_Charles.html", "wikipedia",
                          canonicalize=lambda u: u.replace("127.0.0.1:8765", "canon.test"))
    assert links(s)["Label"] == ["http://canon.test/wiki-raycharles-2015/A/Atlantic_Records.html"]
    assert enum(s, "Live albums").item_links[0].startswith("http://canon.test/")


# ------------------------------------------------------------------------------------------------
# MediaWiki, current skin (artist page), read through site="generic" too

@pytest.mark.parametrize("site", ["wikipedia", "generic"])
def test_modern_mediawiki_artist(site: str) -> None:
    s = extract_structure(load("wiki_artist_modern.html"), "https://en.wikipedia.org/wiki/Elsa_Marlow", site)
    assert s.subject == "Elsa Marlow"
    assert s.description == 'Elisabeth Anne "Elsa" Marlow (born 2 April 1961) is an English jazz singer and pianist from Hull.'
    f = facts(s)
    assert f["Born"] == "2 April 1961; Hull, England"  # hidden ISO date and "(age 62)" left out
    assert f["Birthplace"] == "Hull, England"
    assert links(s)["Birthplace"] == ["https://en.wikipedia.org/wiki/Hull"]
    assert f["Years active"] == "1982–present"
    assert enum(s, "Genres").items == ["Jazz", "soul", "bossa nova"]
    assert enum(s, "Genres").item_links == ["https://en.wikipedia.org/wiki/Jazz",
                                            "https://en.wikipedia.org/wiki/Soul_music", ""]
    assert enum(s, "Instruments").items == ["Vocals", "piano", "flugelhorn"]
    assert enum(s, "Labels").items == ["Blue Note", "Verve"]
    studio = enum(s, "Studio albums", "Discography › Studio albums")
    assert studio.items == ["Harbour Songs (1984)", "Night Ferry (1987)", "Blue Hour (1991)"]
    assert studio.item_links == ["https://en.wikipedia.org/wiki/Harbour_Songs", "",
                                 "https://en.wikipedia.org/wiki/Blue_Hour_(album)"]
    assert enum(s, "Live albums").items == ["Live at Ronnie's (1993)", "Paris Nights (2001)"]
    # a table with a rowspan: one item per row, from the "Award" column
    awards = enum(s, "Awards")
    assert awards.kind == "table"
    assert awards.items == ["Jazz Prize – Vocalist", "Jazz Prize – Album", "Critics Poll – Singer"]
    # See also, references, the TOC and the category links are not enumerations
    assert {e.label for e in s.enumerations} == {"Genres", "Instruments", "Labels", "Studio albums",
                                                 "Live albums", "Awards"}
    assert enum(s, "Studio albums", "Elsa Marlow navigation box").items == ["Harbour Songs", "Night Ferry", "Blue Hour"]


# ------------------------------------------------------------------------------------------------
# arXiv

def test_arxiv_abstract_page() -> None:
    s = extract_structure(load("arxiv_abs.html"), "https://arxiv.org/abs/0704.0688", "arxiv")
    assert s.subject == "Strong Spherical Asymptotics for Rotor-Router Aggregation and the Divisible Sandpile"
    assert s.description == "The rotor-router model is a deterministic analogue of random walk."
    f = facts(s)
    assert f["arXiv ID"] == "0704.0688"
    assert f["Authors"] == "Lionel Levine, Yuval Peres"
    assert f["First author"] == "Lionel Levine"
    assert f["Submitted"] == "5 Apr 2007"
    assert f["Last revised"] == "14 Oct 2008"
    assert f["Primary subject"] == "Probability (math.PR)"
    assert f["Latest version"] == "v5"
    assert f["Submitted by"] == "Lionel Levine"
    assert f["Journal reference"].startswith("Potential Analysis 30, no. 1 (Jan. 2009), 1--27.")
    assert f["Related DOI"] == "https://doi.org/10.1007/s11118-008-9104-6"  # tooltip text left out
    assert enum(s, "authors").items == ["Lionel Levine", "Yuval Peres"]
    assert enum(s, "subjects").items == ["Probability (math.PR)", "Statistical Mechanics (cond-mat.stat-mech)",
                                         "Mathematical Physics (math-ph)", "Combinatorics (math.CO)"]
    versions = enum(s, "versions")
    assert versions.items == ["[v1] Thu, 5 Apr 2007 08:09:21 UTC (523 KB)", "[v2] Fri, 11 May 2007 00:03:18 UTC (771 KB)",
                              "[v3] Thu, 27 Sep 2007 23:24:01 UTC (772 KB)", "[v4] Wed, 28 Nov 2007 23:41:46 UTC (773 KB)",
                              "[v5] Tue, 14 Oct 2008 19:43:07 UTC (774 KB)"]
    assert versions.item_links[0] == "https://arxiv.org/abs/0704.0688v1" and versions.item_links[4] == ""


def test_arxiv_listing_page() -> None:
    s = extract_structure(load("arxiv_listing.html"), "https://arxiv.org/list/math.NT/new", "arxiv")
    assert s.subject == "Number Theory (new submissions)"  # /list/math.NT/recent is "Number Theory" too
    new = enum(s, "New submissions")
    assert new.kind == "papers"
    assert new.items == ["On the parity of partition functions", "Gaps between zeros of the zeta function"]
    assert new.item_links == ["https://arxiv.org/abs/1102.0001", "https://arxiv.org/abs/1102.0002"]
    assert enum(s, "Cross submissions").items == ["Symmetric roots and admissible pairing"]


# ------------------------------------------------------------------------------------------------
# GitHub

def test_github_repository_current_layout() -> None:
    s = extract_structure(load("github_repo.html"), "https://github.com/nimbus-labs/tidepool", "github")
    assert s.subject == "nimbus-labs/tidepool"
    assert s.description == "Streaming joins for event logs"
    f = facts(s)
    assert {k: f[k] for k in ("Stars", "Forks", "Watchers", "Commits", "Branches", "Releases", "Contributors",
                              "Open issues", "Open pull requests", "License", "Primary language",
                              "Latest release")} == {
        "Stars": "4518", "Forks": "312", "Watchers": "61", "Commits": "1207", "Branches": "9", "Releases": "11",
        "Contributors": "3", "Open issues": "27", "Open pull requests": "4", "License": "Apache-2.0",
        "Primary language": "Rust", "Latest release": "v0.11.2"}
    assert enum(s, "topics").items == ["streaming", "kafka", "rust"]
    assert enum(s, "topics").item_links[0] == "https://github.com/topics/streaming"
    assert enum(s, "languages").items == ["Rust 88.0%", "Python 12.0%"]
    assert not [e for e in s.enumerations if e.kind == "contributors"]  # avatars only: the counter is the fact
    assert enum(s, "Supported sources", "README › Supported sources").items == ["Kafka", "Kinesis", "Pulsar",
                                                                                "Plain files"]
    assert enum(s, "Benchmarks").items == ["Inner", "Left"]  # table inside a custom element


def test_github_repository_2019_layout() -> None:
    s = extract_structure(load("github_repo_2019.html"), "https://github.com/quillsoft/datewise", "github")
    assert s.subject == "quillsoft/datewise"
    f = facts(s)
    assert {k: f[k] for k in ("Stars", "Forks", "Watchers", "Commits", "Branches", "Releases", "Contributors",
                              "License", "Primary language")} == {
        "Stars": "42", "Forks": "5", "Watchers": "3", "Commits": "231", "Branches": "2", "Releases": "4",
        "Contributors": "3", "License": "GPL-3.0", "Primary language": "Python"}
    assert enum(s, "topics").items == ["date-parser", "web-scraping"]
    assert enum(s, "languages").items == ["Python 97.5%", "Makefile 2.5%"]
    assert enum(s, "Features").items == ["Reads header meta elements", "Scans abbr and time elements",
                                         "Falls back to text heuristics"]


# ------------------------------------------------------------------------------------------------
# robustness and helpers

@pytest.mark.parametrize("html", [
    "", "   ", b"", "<html", "<<<>>>", "\x00\x01garbage", "<?xml version='1.0' encoding='utf-8'?><html><body><h1>x",
    "<table><tr><td rowspan='x999'>a<td colspan=-4>b</table>", b"\xff\xfe<html><body><ul><li>a</li></ul>",
    "<html><body>" + "<div>" * 3000 + "deep" + "</div>" * 3000 + "</body></html>",
])
@pytest.mark.parametrize("site", ["wikipedia", "arxiv", "github", "generic", "unknown-site"])
def test_never_raises_on_malformed_html(html: str | bytes, site: str) -> None:
    s = extract_structure(html, "http://127.0.0.1:8000/x.html", site)
    assert isinstance(s, Structure)


def test_empty_html_gives_empty_structure_with_reason() -> None:
    s = extract_structure("", "http://127.0.0.1:8000/x.html")
    assert s == Structure(error="empty document")


def test_a_failing_canonicalize_hook_drops_only_that_link() -> None:
    def hook(u: str) -> str:
        if "Atlantic" in u:
            raise ValueError("bad url")
        return u

    s = extract_structure(load("wiki_album_kiwix.html"), KIWIX + "The_Genius_of_Ray_Charles.html", "wikipedia",
                          canonicalize=hook)
    assert links(s)["Label"] == [] and links(s)["Type"] == [KIWIX + "Ray_Charles.html"]


def test_split_values_respects_brackets() -> None:
    assert split_values("Jazz, soul (Atlantic, ABC); blues") == ["Jazz", "soul (Atlantic, ABC)", "blues"]


def test_first_sentence_skips_abbreviations() -> None:
    assert first_sentence("Ray Charles was born in Albany, Georgia, U.S. He moved to Florida.") == (
        "Ray Charles was born in Albany, Georgia, U.S. He moved to Florida.")
    assert first_sentence("Dr. Who is a show about a doctor. It started in 1963.") == (
        "Dr. Who is a show about a doctor.")


# ------------------------------------------------------------------------------------------------
# one-pass lookups: the same elements as the XPath expressions they replace

def _fixture_pages() -> list[Path]:
    from crawlqa.devserver import FIXTURE_SITE

    return [HTML / "arxiv_abs.html", HTML / "arxiv_listing.html", HTML / "wiki_artist_modern.html",
            *sorted((FIXTURE_SITE / "arxiv" / "abs").glob("*.html"))]


def test_arxiv_parts_are_what_the_xpath_expressions_find() -> None:
    import lxml.html

    from crawlers.profiles.arxiv_facts import _ARXIV_PARTS, _arxiv_parts

    checked = 0
    for path in _fixture_pages():
        doc = lxml.html.document_fromstring(path.read_text(encoding="utf-8"))
        parts = _arxiv_parts(doc)
        for name, (tag, cls) in _ARXIV_PARTS.items():
            assert parts[name] == doc.xpath(f"//{tag}[contains(@class,'{cls}')]"), (path.name, name)
            checked += len(parts[name])
    assert checked > 20  # the abstract pages have every part


def test_title_metas_are_the_first_ones_with_content() -> None:
    from trafilatura.utils import load_html

    from crawlers.extract import _title_metas

    page = ("<html><head><meta name='citation_title'><meta name='citation_title' content=' '>"
            "<meta name='citation_title' content='Second'><meta property='og:title' content='OG'>"
            "</head><body><meta property='og:title' content='late'><p>x</p><p>y</p></body></html>")
    assert _title_metas(load_html(page)) == {"citation_title": " ", "og:title": "OG"}
    for path in _fixture_pages():
        tree = load_html(path.read_text(encoding="utf-8"))
        want = {}
        for key, xp in (("citation_title", '//meta[@name="citation_title"]/@content'),
                        ("og:title", '//meta[@property="og:title"]/@content')):
            if found := tree.xpath(xp):
                want[key] = str(found[0])
        assert _title_metas(tree) == want, path.name


def test_text_helpers_match_their_regular_expression_forms() -> None:
    """``_norm`` (str.split) and ``_tidy`` (skips its substitutions when nothing matches) give what
    the plain regular expressions give, on random strings of whitespace, letters and punctuation."""
    import random
    import re

    from crawlers.facts_common import _OPEN_SPACE, _SPACE_PUNCT, _norm, _tidy
    from crawlers.profiles.base import anchor_text

    rng = random.Random(3)
    chars = [" ", " ", "\t", "\n", "\xa0", "\u2003", "\x1c", "a", "b", "(", ")", "[", "]", ",", ".", ";", "?"]
    for _ in range(20_000):
        s = "".join(rng.choice(chars) for _ in range(rng.randint(0, 14)))
        norm = re.sub(r"\s+", " ", s.replace("\xa0", " ")).strip()
        assert _norm(s) == norm, repr(s)
        assert _tidy(s) == _OPEN_SPACE.sub(r"\1", _SPACE_PUNCT.sub(r"\1", norm)), repr(s)
    a = __import__("lxml.html").html.fragment_fromstring("<a href='x'> Ray\xa0 <b>Charles</b>\n</a>")
    assert anchor_text(a) == "Ray Charles"
