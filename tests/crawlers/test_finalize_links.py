"""Links of facts and list items go through the crawl's redirects (issue 16: one entity, two
names): on the real Kiwix pages, "David Newman – tenor saxophone" in the personnel of "Ray Charles at
Newport" links the redirect stub ``David_Newman_(jazz_musician).html``, which leads to
``David_"Fathead"_Newman.html``; the page records the link to the article, so the miners see one
person."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crawlers.urls import canonicalize
from crawlqa.devserver import serve

from .conftest import run_crawl

pytestmark = pytest.mark.slow

D = Path(__file__).resolve().parents[1] / "fixtures" / "html" / "issue16"


def test_item_links_to_a_redirect_stub_name_the_article(tmp_path) -> None:
    a = tmp_path / "site" / "A"
    a.mkdir(parents=True)
    shutil.copy(D / "Ray_Charles_at_Newport.html", a / "Ray_Charles_at_Newport.html")
    shutil.copy(D / "David_Newman_(jazz_musician).html", a / "David_Newman_(jazz_musician).html")  # the stub
    shutil.copy(D / "David_Fathead_Newman.html", a / 'David_"Fathead"_Newman.html')
    with serve(tmp_path / "site") as site:
        got = run_crawl(site, [site.url + "/A/Ray_Charles_at_Newport.html"], tmp_path / "out", max_depth=1)
    newman = canonicalize(site.url + "/A/David_%22Fathead%22_Newman.html")
    assert newman in {p["url"] for p in got.pages}
    newport = got.page(canonicalize(site.url + "/A/Ray_Charles_at_Newport.html"))
    personnel = next(e for e in newport["enumerations"] if e["label"] == "Personnel")
    links = dict(zip(personnel["items"], personnel["item_links"], strict=True))
    assert links["David Newman – tenor saxophone"] == newman
