"""``as_of``: the date a page states (arXiv version, MediaWiki footer, a listing's day), else the
fetch day; a record is as of the latest date of its source pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawlers.extract import extract
from pipelines.counters import Counters
from schemas.records import Page
from synth.asof import AsOf, AsOfIndex, latest, of_page, page_as_of
from synth.assemble import to_record
from synth.config import SynthConfig
from synth.mine import mine
from synth.writers.template import TemplateWriter

HTML = Path(__file__).resolve().parents[1] / "fixtures" / "html"
FETCHED = datetime(2026, 12, 6, 7, 4, tzinfo=UTC)


def _page(url: str, site: str, html_file: str) -> Page:
    x = extract((HTML / html_file).read_text(encoding="utf-8"), url, site)
    assert x is not None
    return Page(id="p", url=url, final_url=url, root_url=url, depth=0, status=200, content_type="text/html",
                fetched_at=FETCHED, title=x.title, text=x.text, date=x.date, site=site,
                enumerations=x.enumerations)


def test_arxiv_abstract_is_as_of_its_latest_version() -> None:
    # the page's Submission history runs [v1] Thu, 5 Apr 2007 … [v5] Tue, 14 Oct 2008
    page = _page("https://arxiv.org/abs/0704.0688", "arxiv", "arxiv_abs.html")
    assert of_page(page) == AsOf(date(2008, 10, 14), "page_version")


def test_arxiv_listing_is_as_of_the_day_it_lists() -> None:
    page = _page("https://arxiv.org/list/math.NT/new", "arxiv", "arxiv_listing.html")
    assert page.date is None
    assert of_page(page) == AsOf(date(2011, 2, 3), "page_date")


def test_recent_listing_is_as_of_its_latest_day_heading() -> None:
    text = ("# Mathematics\n\nTotal of 5 entries\n\n### Thu, 3 Feb 2011 (showing 2 of 2 entries )\n\n"
            "### Wed, 2 Feb 2011 (showing 1 of 1 entries )\n\n### Mon, 31 Jan 2011\n")
    got = page_as_of(site="generic", date_str=None, fetched_at=FETCHED, text=text,
                     url="http://127.0.0.1:8000/list/math/recent")
    assert got == AsOf(date(2011, 2, 3), "page_date")
    # the same headings on a page that is not a listing are not its date
    assert page_as_of(site="generic", date_str=None, fetched_at=FETCHED, text=text,
                      url="http://127.0.0.1:8000/blog/") == AsOf(date(2026, 12, 6), "fetched")


def test_wikipedia_footer_date_is_page_modified_other_sites_page_date() -> None:
    assert page_as_of(site="wikipedia", date_str="2015-03-02", fetched_at=FETCHED) == \
        AsOf(date(2015, 3, 2), "page_modified")
    assert page_as_of(site="generic", date_str="2024-05-01", fetched_at=FETCHED) == AsOf(date(2024, 5, 1), "page_date")


def test_github_page_date_is_not_trusted() -> None:
    # htmldate dates adbar/htmldate's repository page 2016-12-23: a date in a README usage example
    assert page_as_of(site="github", date_str="2016-12-23", fetched_at=FETCHED) == AsOf(date(2026, 12, 6), "fetched")


def test_kiwix_page_without_footer_is_as_of_its_utc_fetch_day() -> None:
    page = _page("http://127.0.0.1:8765/wiki-raycharles-2015/A/The_Genius_of_Ray_Charles.html", "wikipedia",
                 "wiki_album_kiwix.html")
    assert page.date is None
    assert of_page(page) == AsOf(date(2026, 12, 6), "fetched")
    late_evening = datetime(2026, 12, 6, 22, 30, tzinfo=timezone(timedelta(hours=-5)))  # 03:30 UTC next day
    assert page_as_of(site="wikipedia", date_str=None, fetched_at=late_evening) == AsOf(date(2026, 12, 7), "fetched")


def test_latest_takes_the_newest_date_and_prefers_a_stated_one_on_a_tie() -> None:
    a, b = AsOf(date(2010, 1, 1), "page_version"), AsOf(date(2012, 1, 1), "fetched")
    assert latest([a, None, b]) == b
    assert latest([AsOf(date(2012, 1, 1), "fetched"), AsOf(date(2012, 1, 1), "page_modified")]).source == \
        "page_modified"
    assert latest([None]) is None


def test_index_resolves_final_and_loose_urls() -> None:
    idx = AsOfIndex()
    idx.add(["http://h/a/index.html", "http://h/b"], AsOf(date(2020, 1, 1), "page_date"))
    assert idx.get("http://h/a/") == AsOf(date(2020, 1, 1), "page_date")
    assert idx.get("http://h/b/") == AsOf(date(2020, 1, 1), "page_date")
    assert idx.for_urls(["http://h/zzz"]) is None


@pytest.mark.parametrize("dated", [True, False])
def test_mined_records_are_as_of_their_latest_source_page(fixture_pages: list[Page], dated: bool) -> None:
    # give each page a distinct date (or none: then the fetch day), mine and write them, and check
    # every record against the pages it names
    pages = []
    for i, p in enumerate(fixture_pages):
        upd = {"fetched_at": FETCHED + timedelta(days=i)}
        if dated:
            upd.update(date=(date(2001, 1, 1) + timedelta(days=37 * i)).isoformat(), site="generic")
        pages.append(p.model_copy(update=upd))
    expect = {p.url: of_page(p) for p in pages}  # the fixture's arXiv abstracts keep their version dates
    assert {a.source for a in expect.values()} == ({"page_date", "page_version"} if dated else {"page_version", "fetched"})
    cands = list(mine(pages, SynthConfig(), Counters(), lambda r: None))
    assert cands
    created = datetime(2026, 1, 1, tzinfo=UTC)
    records = [to_record(w, writer_name="template", prompt_version="t", run_id="r", created_at=created)
               for w in TemplateWriter().write(cands) if w.ok]
    assert records
    multi = 0
    for r in records:
        want = max((expect[u] for u in r.source_urls), key=lambda a: a.date)
        assert (r.as_of, r.as_of_source) == (want.date, want.source), (r.type, r.source_urls)
        multi += len({expect[u].date for u in r.source_urls}) > 1
    assert multi > 0  # some records have sources of different dates: the latest one was taken


def test_record_of_a_candidate_without_dates_falls_back_to_the_run_start(fixture_pages: list[Page]) -> None:
    cands = list(mine(fixture_pages[:5], SynthConfig(), Counters(), lambda r: None))
    bare = [c.model_copy(update={"as_of": None, "as_of_source": ""}) for c in cands]
    created = datetime(2026, 2, 3, 4, 5, tzinfo=UTC)
    recs = [to_record(w, writer_name="template", prompt_version="t", run_id="r", created_at=created)
            for w in TemplateWriter().write(bare) if w.ok]
    assert recs and all(r.as_of == date(2026, 2, 3) and r.as_of_source == "fetched" for r in recs)


def test_e2h_records_are_as_of_their_latest_page_or_seed(tmp_path: Path) -> None:
    from crawlqa.devserver import FIXTURE_SITE
    from pipelines.e2h import run_e2h
    from pipelines.run import RunDir
    from pipelines.shards import ShardWriter, iter_records
    from schemas.ids import qa_id
    from schemas.records import Evidence, QARecord
    from synth.e2h.config import E2HConfig
    from synth.e2h.pages import pages_from_files

    base, w = "http://127.0.0.1:8765", "http://127.0.0.1:8765/wiki/"
    corpus = RunDir(tmp_path, "crawl").create()
    pages = pages_from_files(FIXTURE_SITE, sorted((FIXTURE_SITE / "wiki").glob("*.html")), base)
    # every page states a different day (a Wikipedia footer); the seed pages the earliest ones
    dated = [p.model_copy(update={"date": (date(2015, 1, 1) + timedelta(days=i)).isoformat(), "site": "wikipedia"})
             for i, p in enumerate(sorted(pages, key=lambda p: p.url))]
    day = {p.url: date.fromisoformat(p.date) for p in dated}
    with ShardWriter(corpus.sub("pages"), Page, relative_to=corpus.path) as sw:
        sw.write_all(dated)

    def seed(q: str, a: str, page: str, ev: str, as_of: date) -> QARecord:
        url = w + page + ".html"
        return QARecord(id=qa_id("single_hop", q, a, [url]), type="single_hop", question=q, answer=a,
                        root_url=w + "index.html", source_urls=[url], golden_path=[w + "index.html", url],
                        evidence=[Evidence(url=url, text=ev)], hops=1, writer="template", prompt_version="v1",
                        run_id="crawl", created_at=FETCHED, as_of=as_of, as_of_source="page_modified")

    far = date(2030, 1, 1)  # a seed newer than every page: the record keeps the seed's date
    seeds = [seed("When was Northern Glass released?", "19 April 2013", "Northern_Glass",
                  "Released: 19 April 2013", date(2015, 1, 1)),
             seed("When was Jonas Brandt born?", "2 June 1976", "Jonas_Brandt", "Born: 2 June 1976", far)]
    with ShardWriter(corpus.sub("qa"), QARecord, relative_to=corpus.path) as sw:
        sw.write_all(seeds)
    run = RunDir(tmp_path, "e2h").create()
    run_e2h(run, seeds=None, corpus=corpus, cfg=E2HConfig(rounds=2), counters=Counters(), run_id="e2h",
            created_at=FETCHED)
    drafts = {d.candidate_id: d for d in iter_records(run.sub("drafts"), QARecord)}
    assert set(drafts) == {s.id for s in seeds}
    ng = drafts[seeds[0].id]
    assert ng.as_of == max(day[u] for u in ng.source_urls) and ng.as_of > date(2015, 1, 1)
    assert ng.as_of_source == "page_modified"
    assert drafts[seeds[1].id].as_of == far
