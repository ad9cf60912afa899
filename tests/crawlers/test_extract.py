"""Extraction of one page (main text, metadata, structure) and the worker pool's failure modes."""

from __future__ import annotations

import os
import re
import time

import pytest

import crawlers.facts
from crawlers.extract import Extracted, extract_page, first_sentence, subject_from_title
from crawlers.pool import make_pool, outcome
from crawlqa.devserver import FIXTURE_SITE

BASE = "http://127.0.0.1:8765"


def page(path: str, site: str = "wikipedia", **kw) -> tuple[dict, Extracted | None]:
    html = (FIXTURE_SITE / path.lstrip("/")).read_text(encoding="utf-8")
    res = extract_page(html, BASE + path, site, **kw)
    return res, Extracted.unpack(res["data"]) if res.get("data") else None


def test_article_text_keeps_tables_and_lists_as_markdown() -> None:
    res, ex = page("/wiki/Mira_Volkova.html")
    assert res["ok"], res
    assert ex.title == "Mira Volkova" and ex.subject == "Mira Volkova"
    assert ex.language == "en"
    assert ex.description.startswith("Mira Elise Volkova (born 14 March 1984) is a Norvanian singer-songwriter")
    assert "| Birth name | Mira Elise Volkova |" in ex.text  # infobox as a markdown table
    assert "### Studio albums\n\n- *Salt and Signal* (2009)\n- *Paper Harbour* (2011)" in ex.text  # a list
    assert "| 2013 | Norvanian Music Prize – Album of the Year | *Northern Glass* | Won |" in ex.text
    for chrome in ("View history", "Random article", "Privacy policy"):
        assert chrome not in ex.text
    assert ex.facts and ex.enumerations  # crawlers.facts was called


def test_german_page_is_detected_as_german() -> None:
    res, ex = page("/wiki/de/Kestrel_Bay.html")
    assert res["ok"] and ex.language == "de"


def test_arxiv_abstract_metadata() -> None:
    res, ex = page("/arxiv/abs/2401.00001.html", site="arxiv")
    assert res["ok"]
    assert ex.title == "Crawling for Questions: Mining Verifiable Multi-Hop QA from Hyperlinked Corpora"
    assert ex.date == "2024-01-02"
    kinds = {e["kind"] for e in ex.enumerations}
    assert {"authors", "subjects"} <= kinds


def test_wikipedia_date_is_the_revision_date_of_the_footer() -> None:
    _res, ex = page("/wiki/Mira_Volkova.html")  # "This page was last edited on 3 March 2024, at 10:12."
    assert ex.date == "2024-03-03"
    _res, de = page("/wiki/de/Kestrel_Bay.html")  # "... zuletzt am 3. März 2024 um 10:12 Uhr bearbeitet."
    assert de.date == "2024-03-03"
    html = (FIXTURE_SITE / "wiki/Mira_Volkova.html").read_text(encoding="utf-8")
    dump = re.sub(r'<li id="footer-info-lastmod">.*?</li>',  # the 2008 static HTML dumps' footer
                  '<li id="f-credits">This page was last modified 15:05, 7 June 2008 by Wikipedia user '
                  '<a href="User_Lisatwo.html">Lisatwo</a>.</li>', html)
    assert dump != html
    assert Extracted.unpack(extract_page(dump, BASE + "/wiki/Mira_Volkova.html", "wikipedia")["data"]).date == "2008-06-07"


def test_wikipedia_page_without_footer_has_no_date_rather_than_a_date_from_the_article() -> None:
    # A Kiwix article has no revision footer; the dates in its markup are the subject's, not the page's.
    html = ("<html><head><title>Ray Charles</title></head><body><div id='mw-content-text'><h1>Ray Charles</h1>"
            "<table class='infobox'><tr><th>Died</th><td>June 10, 2004<span style='display:none'>"
            "(<span class='dday deathdate'>2004-06-10</span>)</span></td></tr></table>"
            f"<p>{'Ray Charles Robinson was an American singer-songwriter, musician, and composer. ' * 4}</p>"
            "</div></body></html>")
    generic = Extracted.unpack(extract_page(html, BASE + "/A/Ray_Charles.html", "generic")["data"])
    wiki = Extracted.unpack(extract_page(html, BASE + "/A/Ray_Charles.html", "wikipedia")["data"])
    assert generic.date == "2004-06-10"  # htmldate's reading of the markup: the death date
    assert wiki.date is None


def test_too_little_text_is_a_reject_with_the_numbers() -> None:
    res, _ex = page("/wiki/Hollow_Point_Festival.html")
    assert (res["ok"], res["reason"]) == (False, "too_little_text")
    assert "< 200" in res["detail"]


def test_no_text_at_all() -> None:
    res = extract_page("<html><head><title>x</title></head><body></body></html>", BASE + "/e", "generic")
    assert (res["ok"], res["reason"]) == (False, "too_little_text")


def test_garbage_never_raises() -> None:
    for junk in ("", "\x00\x01\x02", "<<<>>>", "<html><body>" * 5000):
        res = extract_page(junk, BASE + "/junk", "generic")
        assert res["ok"] is False and res["reason"] in {"too_little_text", "extract_failed"}


def test_a_failing_facts_extractor_does_not_cost_the_page(monkeypatch) -> None:
    def boom(*_a, **_k):
        raise RuntimeError("facts exploded")

    monkeypatch.setattr(crawlers.facts, "extract_structure", boom)
    res, ex = page("/wiki/Mira_Volkova.html")
    assert res["ok"] and "facts exploded" in ex.facts_error and ex.facts == []
    assert ex.subject == "Mira Volkova"  # fallbacks from the title and the text
    assert ex.description.startswith("Mira Elise Volkova")


def test_helpers() -> None:
    assert subject_from_title("Kaia Renner - Norvapedia") == "Kaia Renner"
    assert subject_from_title("[2401.00001] Crawling for Questions") == "Crawling for Questions"
    assert first_sentence("# T\n\n| a | b |\n\n**Ray** was a singer.[1] He played piano.") == "Ray was a singer."


@pytest.mark.slow
def test_pool_timeout_and_dead_worker_are_rejects() -> None:
    pool = make_pool(1, initializer=None)
    try:
        slow = pool.schedule(time.sleep, args=(30,), timeout=0.5)
        dead = pool.schedule(os._exit, args=(3,), timeout=10)
        html = (FIXTURE_SITE / "wiki/Mira_Volkova.html").read_text(encoding="utf-8")
        fine = pool.schedule(extract_page, args=(html, BASE + "/wiki/Mira_Volkova.html", "wikipedia"), timeout=30)
        t0 = time.monotonic()
        assert outcome(slow, 0.5)["reason"] == "extract_timeout"
        assert time.monotonic() - t0 < 10  # killed, not waited for
        got = outcome(dead, 10)
        assert got["reason"] == "extract_failed" and "worker died" in got["detail"]
        assert outcome(fine, 30)["ok"] is True  # the pool replaced its workers
    finally:
        pool.stop()
        pool.join()


def test_plain_element_classes_change_nothing_in_the_extraction() -> None:
    """``warm_up`` makes trafilatura's parser build plain ``HtmlElement``s (lxml's C class lookup
    instead of ``lxml.html``'s Python callback); every fixture page extracts exactly as before."""
    import lxml.html
    from trafilatura.utils import HTML_PARSER, load_html

    from crawlers.extract import _plain_html_elements

    pages = sorted(FIXTURE_SITE.rglob("*.html"))
    assert len(pages) > 40
    form = "<html><body><form><input name='q'></form><p>one</p><p>two</p></body></html>"

    def run() -> list:
        out = []
        for p in pages:
            res = extract_page(p.read_text(encoding="utf-8", errors="replace"), BASE + "/" + p.name,
                               "arxiv" if "arxiv" in p.parts else "github" if "github" in p.parts else "wikipedia")
            out.append((res["ok"], res["reason"], Extracted.unpack(res["data"]) if res.get("data") else None))
        return out

    HTML_PARSER.set_element_class_lookup(lxml.html.HtmlElementClassLookup())  # lxml.html's own
    try:
        assert type(load_html(form).find(".//input")) is lxml.html.InputElement
        before = run()
        _plain_html_elements()
        assert type(load_html(form).find(".//input")) is lxml.html.HtmlElement
        after = run()
    finally:
        HTML_PARSER.set_element_class_lookup(lxml.html.HtmlElementClassLookup())
    assert after == before
    assert sum(ok for ok, _r, _e in after) > 30
