"""Site profiles: chosen by URL or by the root page, and which links each one follows."""

from __future__ import annotations

import sys
import textwrap

import lxml.html
import pytest

import crawlers.profiles as profiles
from crawlers.profiles import all_profiles, get_profile, profile_for, sniff_profile
from crawlqa.devserver import FIXTURE_SITE

BASE = "http://127.0.0.1:8765"


def _links(name: str, path: str) -> list[tuple[str, str, str | None]]:
    p = get_profile(name)
    url = BASE + path
    html = (FIXTURE_SITE / path.lstrip("/")).read_text(encoding="utf-8")
    return [(u, t, p.follow(u, url)) for u, t in p.extract_links(lxml.html.fromstring(html), url)]


def test_registry_finds_every_profile_file() -> None:
    names = [p.name for p in all_profiles()]
    assert names[-1] == "generic"
    assert {"wikipedia", "arxiv", "github", "generic"} <= set(names)


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://en.wikipedia.org/wiki/Ray_Charles", "wikipedia"),
        ("https://en.m.wikipedia.org/wiki/Ray_Charles", "wikipedia"),
        (BASE + "/wiki/index.html", "wikipedia"),
        ("https://arxiv.org/abs/2401.00001", "arxiv"),
        (BASE + "/arxiv/list/cs.CL/new.html", "arxiv"),
        ("https://github.com/scrapy/scrapy", "github"),
        (BASE + "/github/acme/widgetflow/", "github"),
        ("https://gist.github.com/x", "generic"),
        ("https://example.com/blog/", "generic"),
    ],
)
def test_profile_by_url(url: str, name: str) -> None:
    assert profile_for(url).name == name


def test_sniff_recognises_a_kiwix_dump_and_an_arxiv_mirror() -> None:
    kiwix = '<html><body class="mw-body mediawiki"><div id="mw-content-text"></div></body></html>'
    assert sniff_profile(kiwix).name == "wikipedia"
    arxiv = '<html><head><title>arXiv.org e-Print archive</title></head></html>'
    assert sniff_profile(arxiv).name == "arxiv"
    assert sniff_profile("<html><head><title>My blog</title></head></html>") is None


def test_wikipedia_follows_article_links_only() -> None:
    links = _links("wikipedia", "/wiki/Kaia_Renner.html")
    followed = {u for u, _t, why in links if why is None}
    assert BASE + "/wiki/Ostenfeld.html" in followed
    assert BASE + "/wiki/Driftwood_Choir.html" in followed  # a redirect stub: the crawler collapses it
    every = " ".join(u for u, _t, _w in links)
    for chrome in ("Special:", "Talk:", "Help:", "Category:", "action=edit", "action=history",
                   "#cite_note", "Norvapedia:"):
        assert chrome not in " ".join(followed)
    assert "#cite_note" not in every and "action=edit" not in every  # not even extracted
    assert {w for _u, _t, w in links if w} <= {"wiki_namespace", "not_article"}


def test_wikipedia_keeps_anchor_text_and_language_versions() -> None:
    links = _links("wikipedia", "/wiki/Kestrel_Bay.html")
    followed = [(u, t) for u, t, why in links if why is None]
    assert (BASE + "/wiki/de/Kestrel_Bay.html", "Deutsch") in followed
    assert all(t for _u, t in followed if "Petra_Lind" in _u)


def test_wikipedia_rules_on_real_urls() -> None:
    w = get_profile("wikipedia")
    page = "https://en.wikipedia.org/wiki/Ray_Charles"
    assert w.follow("https://en.wikipedia.org/wiki/Quincy_Jones", page) is None
    assert w.follow("https://en.wikipedia.org/wiki/AC/DC", page) is None
    assert w.follow("https://en.wikipedia.org/wiki/Mission:_Impossible", page) is None
    assert w.follow("https://en.wikipedia.org/wiki/File:Ray.jpg", page) == "wiki_namespace"
    assert w.follow("https://en.wikipedia.org/wiki/User_talk:Someone", page) == "wiki_namespace"
    assert w.follow("https://en.wikipedia.org/w/index.php?title=Ray_Charles&action=history", page)
    assert w.follow("https://de.wikipedia.org/wiki/Ray_Charles", page) == "not_article"
    kiwix = "http://127.0.0.1:8765/wiki-raycharles-2015/A/Ray_Charles.html"
    assert w.follow("http://127.0.0.1:8765/wiki-raycharles-2015/A/Quincy_Jones.html", kiwix) is None
    assert w.follow("http://127.0.0.1:8765/wiki-raycharles-2015/-/s/style.css", kiwix) == "not_article"


def test_arxiv_rules() -> None:
    a = get_profile("arxiv")
    page = "https://arxiv.org/list/cs.CL/new"
    assert a.follow("https://arxiv.org/abs/2401.00001", page) is None
    assert a.follow("https://arxiv.org/abs/2401.00001v2", page) == "arxiv_version"
    assert a.follow("https://arxiv.org/abs/hep-th/9901001v1", page) == "arxiv_version"
    assert a.follow("https://arxiv.org/a/okafor_l_1", page) is None
    assert a.follow("https://arxiv.org/search/cs?searchtype=author&query=Okafor,+L", page) is None
    assert a.follow("https://arxiv.org/pdf/2401.00001", page) == "non_content"
    assert a.follow("https://arxiv.org/list/cs/recent", page) is None
    assert a.follow("https://info.arxiv.org/help", page) == "offsite_section"
    links = _links("arxiv", "/arxiv/list/cs.CL/new.html")
    followed = {u for u, _t, why in links if why is None}
    assert {BASE + f"/arxiv/abs/2401.0000{i}.html" for i in range(1, 8)} <= followed
    assert BASE + "/arxiv/a/okafor_l.html" in followed


def test_github_rules() -> None:
    g = get_profile("github")
    page = "https://github.com/acme/widgetflow"
    for ok in ("https://github.com/acme/widgetflow/releases", "https://github.com/acme/widgetflow/issues/12",
               "https://github.com/acme", "https://github.com/topics/etl",
               "https://github.com/acme/widgetflow/graphs/contributors"):
        assert g.follow(ok, page) is None, ok
    for bad in ("https://github.com/acme/widgetflow/blob/main/setup.py", "https://github.com/login",
                "https://github.com/acme/widgetflow/stargazers", "https://github.com/acme/widgetflow/pulls"):
        assert g.follow(bad, page) == "non_content", bad


def test_generic_skips_media_and_account_pages() -> None:
    g = get_profile("generic")
    assert g.follow("https://example.com/post/1", "https://example.com/") is None
    assert g.follow("https://example.com/logo.png", "https://example.com/") == "media"
    assert g.follow("https://example.com/login", "https://example.com/") == "non_content"
    assert g.follow("https://example.com/report.pdf", "https://example.com/") is None  # a counted non_html


def test_adding_a_profile_is_adding_one_file(tmp_path, monkeypatch) -> None:
    (tmp_path / "recipes.py").write_text(textwrap.dedent('''
        from crawlers.profiles.base import Profile

        class RecipesProfile(Profile):
            name = "recipes"
            priority = 50

            def matches(self, url):
                return "recipes.example" in url

        PROFILE = RecipesProfile()
    '''))
    monkeypatch.setattr(profiles, "__path__", [*profiles.__path__, str(tmp_path)])
    all_profiles.cache_clear()
    try:
        assert profile_for("https://recipes.example/soup").name == "recipes"
    finally:
        all_profiles.cache_clear()
        sys.modules.pop("crawlers.profiles.recipes", None)
