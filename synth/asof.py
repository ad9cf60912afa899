"""When an answer holds: the ``as_of`` date of a record and where it came from (``as_of_source``).

A page's date is the date the page itself states, else the day it was fetched:

- ``page_version``: an arXiv abstract page's latest version date (its "Submission history");
- ``page_modified``: a Wikipedia page's last-modified footer (``Page.date`` of the wikipedia profile);
- ``page_date``: any other date the page states (``Page.date`` read by the site profile, except on
  :data:`UNDATED_SITES`; an arXiv listing's day: "new listings for Thursday, 3 February 2011", a
  recent listing's latest day heading);
- ``fetched``: none of these: the UTC day ``Page.fetched_at``.

A record built from several pages is as of the latest of their dates (its answer can be no older
than its newest source), with that page's source. :class:`AsOfIndex` keeps one small entry per page
(url → date, source), filled while the mining stage streams the pages, and stamps candidates and
records by their ``source_urls``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

from schemas.records import Candidate, Enumeration, Page, QARecord
from synth.text import url_key

AS_OF_SOURCES: tuple[str, ...] = ("page_version", "page_modified", "page_date", "fetched")
# sites whose ``Page.date`` is not a date the page states of itself: htmldate's reading of a GitHub
# repository page is a date in its README (adbar/htmldate's page: "2016-12-23" from a usage example)
UNDATED_SITES: frozenset[str] = frozenset({"github"})

_DMY = re.compile(r"\b(\d{1,2})\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?,?\s+(\d{4})\b")
# an arXiv listing (/list/<archive>/new|recent|pastweek|YYMM): its "new listings for <day>" heading, or
# the day headings of a recent listing ("### Thu, 3 Feb 2011 (showing 2 of 2 entries)")
_LISTING_URL = re.compile(r"/list/[^/?#]+/(?:new|recent|pastweek|\d{2,4})\b")
_LISTING = re.compile(r"listings for\s+(?:[A-Z][a-z]+,\s+)?(\d{1,2}\s+[A-Z][a-z]+\s+\d{4})")
_DAY_HEADING = re.compile(r"^#+\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,\s+(\d{1,2}\s+[A-Z][a-z]+\s+\d{4})", re.M)
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"), start=1)}


@dataclass(frozen=True)
class AsOf:
    """A date and where it came from (one of :data:`AS_OF_SOURCES`)."""

    date: date
    source: str


def _dmy(text: str) -> date | None:
    """The first "1 Apr 2007" / "3 February 2011" date in ``text`` (None when there is none)."""
    m = _DMY.search(text or "")
    if not m:
        return None
    try:
        return date(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
    except ValueError:
        return None


def _iso(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def version_date(enumerations: Iterable[Enumeration | dict]) -> date | None:
    """The latest version date of an arXiv submission history ("[v2] Tue, 3 Mar 2015 ... (9 KB)")."""
    found: list[date] = []
    for e in enumerations:
        kind = e.get("kind") if isinstance(e, dict) else e.kind
        items = e.get("items") if isinstance(e, dict) else e.items
        if kind != "versions":
            continue
        found.extend(d for d in (_dmy(item) for item in items or ()) if d is not None)
    return max(found) if found else None


def listing_date(url: str, text: str) -> date | None:
    """The day an arXiv listing page states (None for other pages)."""
    if not text or not _LISTING_URL.search(url or ""):
        return None
    if (m := _LISTING.search(text[:3000])) and (d := _dmy(m.group(1))) is not None:
        return d
    days = [d for d in (_dmy(m.group(1)) for m in _DAY_HEADING.finditer(text)) if d is not None]
    return max(days) if days else None


def page_as_of(*, site: str, date_str: str | None, fetched_at: datetime, enumerations: Iterable = (),
               text: str = "", url: str = "") -> AsOf:
    """The date a page states (see the module docstring for the order), else its fetch day."""
    if (v := version_date(enumerations)) is not None:
        return AsOf(v, "page_version")
    if (d := _iso(date_str)) is not None and site not in UNDATED_SITES:
        return AsOf(d, "page_modified" if site == "wikipedia" else "page_date")
    if (d := listing_date(url, text)) is not None:
        return AsOf(d, "page_date")
    day = fetched_at.date() if fetched_at.tzinfo is None else fetched_at.astimezone(UTC).date()
    return AsOf(day, "fetched")


def of_page(page: Page) -> AsOf:
    return page_as_of(site=page.site, date_str=page.date, fetched_at=page.fetched_at,
                      enumerations=page.enumerations, text=page.text, url=page.url)


def latest(dates: Iterable[AsOf | None]) -> AsOf | None:
    """The latest of the dates (on a tie, the first source in :data:`AS_OF_SOURCES` order)."""
    def rank(a: AsOf) -> int:
        return AS_OF_SOURCES.index(a.source) if a.source in AS_OF_SOURCES else len(AS_OF_SOURCES)

    best: AsOf | None = None
    for d in dates:
        if d is None:
            continue
        if best is None or d.date > best.date or (d.date == best.date and rank(d) < rank(best)):
            best = d
    return best


T = TypeVar("T", Candidate, QARecord)


class AsOfIndex:
    """Page dates by URL (canonical and final URL, loosely normalised like the mining graph)."""

    def __init__(self) -> None:
        self._by_key: dict[str, AsOf] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    def add(self, urls: Iterable[str], as_of: AsOf) -> None:
        for u in urls:
            if u:
                self._by_key.setdefault(url_key(u), as_of)

    def add_page(self, page: Page) -> AsOf:
        a = of_page(page)
        self.add((page.url, page.final_url), a)
        return a

    def get(self, url: str) -> AsOf | None:
        return self._by_key.get(url_key(url))

    def for_urls(self, urls: Iterable[str]) -> AsOf | None:
        """The latest date of the pages among ``urls`` that the index knows (None: none of them)."""
        return latest(self.get(u) for u in urls)

    def watch(self, pages: Iterable[Page] | Callable[[], Iterable[Page]]):
        """The same page source, recording each page's date as it streams past."""
        if callable(pages):
            return lambda: self._tap(pages())
        return self._tap(pages)

    def _tap(self, pages: Iterable[Page]) -> Iterator[Page]:
        for page in pages:
            self.add_page(page)
            yield page

    def stamp(self, item: T, *, also: Iterable[AsOf | None] = ()) -> T:
        """``item`` with ``as_of``/``as_of_source`` of its latest source page (and ``also``), unchanged
        when none is known."""
        a = latest([self.for_urls(item.source_urls), *also])
        if a is None:
            return item
        return item.model_copy(update={"as_of": a.date, "as_of_source": a.source})

    @classmethod
    def from_pages_folder(cls, folder: Path) -> AsOfIndex:
        """The index of a run's ``pages/`` shards, read in batches of the few columns it needs."""
        import pyarrow.parquet as pq

        from pipelines.shards import shard_paths

        index = cls()
        cols = ["url", "final_url", "site", "date", "fetched_at", "enumerations", "text"]
        for path in shard_paths(folder):
            f = pq.ParquetFile(path)
            names = set(f.schema_arrow.names)
            for batch in f.iter_batches(batch_size=512, columns=[c for c in cols if c in names]):
                for row in batch.to_pylist():
                    a = page_as_of(site=row.get("site") or "", date_str=row.get("date"),
                                   fetched_at=row["fetched_at"], enumerations=row.get("enumerations") or (),
                                   text=row.get("text") or "", url=row["url"])
                    index.add((row["url"], row.get("final_url") or ""), a)
        return index


def stamp_e2h(record: QARecord, index: AsOfIndex, seed_record: QARecord | None = None) -> QARecord:
    """An E2HQA record as of the latest date of its pages known to ``index`` (the corpus run's pages)
    and of its seed record; a record none of whose pages is known (web search evidence, a seeds file)
    is as of the day it was made."""
    also = []
    if seed_record is not None and seed_record.as_of is not None:
        also.append(AsOf(seed_record.as_of, seed_record.as_of_source or "fetched"))
    out = index.stamp(record, also=also)
    if out.as_of is None:
        out = out.model_copy(update={"as_of": out.created_at.astimezone(UTC).date(), "as_of_source": "fetched"})
    return out
