"""Facts of GitHub pages: a repository page's counters (stars, forks, watchers, commits, branches,
releases, contributors), licence, languages, topics, latest release (old and current page layouts);
releases and contributors pages; an issue or pull request. The profile is ``crawlers.profiles.github``."""

from __future__ import annotations

import re

import lxml.html

from crawlers.facts_common import Structure, _Ctx, _lines, _norm, _text, first_sentence
from crawlers.facts_sections import _SectionWalker
from crawlers.profiles.generic_facts import read as read_generic
from schemas.records import Enumeration, Fact

_COUNT = re.compile(r"([\d.,]+)\s*([kKmM]?)")


def _num(s: str) -> str:
    """'1,234' → '1234', '1.2k' → '1200'; '' when no number."""
    m = _COUNT.search(s or "")
    if not m:
        return ""
    raw, suffix = m.group(1).replace(",", ""), m.group(2).lower()
    try:
        val = float(raw)
    except ValueError:
        return ""
    if suffix == "k":
        val *= 1000
    elif suffix == "m":
        val *= 1_000_000
    return str(int(val))


def _github_name(doc: lxml.html.HtmlElement, ctx: _Ctx) -> tuple[str, str]:
    nwo = doc.xpath("//meta[@name='octolytics-dimension-repository_nwo']/@content")
    if nwo and "/" in nwo[0]:
        owner, name = nwo[0].strip().split("/", 1)
        return owner, name
    author = doc.xpath("//*[@itemprop='author']")
    name_el = doc.xpath("//strong[@itemprop='name']")
    if author and name_el:
        return _text(author[0]), _text(name_el[0])
    og = doc.xpath("//meta[@property='og:title']/@content")
    if og:
        m = re.search(r"([\w.-]+)/([\w.-]+)", re.sub(r"^GitHub\s*-\s*", "", og[0]))
        if m:
            return m.group(1), m.group(2)
    m = re.match(r"^https?://(?:www\.)?github\.com/([\w.-]+)/([\w.-]+)", ctx.page)
    if m:
        return m.group(1), m.group(2)
    return "", ""


def _github_page_kind(url: str, owner: str, name: str) -> str:
    """repo | releases | contributors | issue | other (the part of the URL after owner/name)."""
    m = re.search(rf"/{re.escape(owner)}/{re.escape(name)}(/.*)?$", url)
    rest = (m.group(1) or "") if m else "?"
    if rest in ("", "/", "/index.html", "/index.htm"):
        return "repo"
    if re.match(r"^/releases(\.html)?/?$", rest):
        return "releases"
    if re.match(r"^/(graphs/)?contributors(\.html)?/?$", rest):
        return "contributors"
    if re.match(r"^/(issues|pull)/\d+", rest):
        return "issue"
    return "other"


def read(doc: lxml.html.HtmlElement, ctx: _Ctx) -> Structure:
    owner, name = _github_name(doc, ctx)
    if not (owner and name):
        return read_generic(doc, ctx)
    s = Structure(subject=f"{owner}/{name}")
    kind = _github_page_kind(ctx.page, owner, name)
    facts: list[Fact] = []
    enums: list[Enumeration] = []
    about = doc.xpath("//*[@itemprop='about'] | //div[contains(@class,'BorderGrid-cell')]//p[contains(@class,'f4')]")
    desc = _text(about[0]) if about else ""
    if not desc:
        md = doc.xpath("//meta[@name='description']/@content | //meta[@property='og:description']/@content")
        desc = re.sub(r"\s+-\s+[\w.-]+/[\w.-]+$", "", _norm(md[0])) if md else ""
    if desc:
        s.description = first_sentence(desc)
    if kind == "issue":
        return _github_issue(doc, ctx, s)
    if kind == "releases":
        rel = _github_release_list(doc, ctx)
        if rel is not None:
            s.enumerations = [rel]
        return s
    if kind == "contributors":
        people = _github_contributors(doc, ctx, full_page=True)
        if people is not None:
            s.enumerations = [people]
        return s
    if kind != "repo":
        return read_generic(doc, ctx)

    facts.append(Fact(key="Repository", value=s.subject, source="meta"))
    facts.append(Fact(key="Owner", value=owner, source="meta"))
    if desc:
        facts.append(Fact(key="Description", value=desc, source="meta"))

    def counter(key: str, xps: list[str]) -> None:
        for xp in xps:
            for el in doc.xpath(xp):
                val = _num(el.get("title") or "") or _num(_text(el))
                if val:
                    facts.append(Fact(key=key, value=val, source="sidebar"))
                    return

    def icon(name_: str) -> str:
        return f"//*[.//*[contains(@class,'octicon-{name_}')]]/strong"

    def strong_before(word: str) -> str:
        return (f"//strong[following-sibling::text()[1][starts-with(normalize-space(translate(.,"
                f"'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')),'{word}')]]")

    counter("Stars", ["//*[@id='repo-stars-counter-star']", icon("star"),
                      "//a[contains(@href,'/stargazers')]//*[contains(@class,'Counter') or self::strong]",
                      "//a[contains(@href,'/stargazers')]"])
    counter("Forks", ["//*[@id='repo-network-counter']", icon("repo-forked"),
                      "//a[contains(@href,'/forks') or contains(@href,'/network/members')]//*[contains(@class,'Counter') or self::strong]",
                      "//a[contains(@href,'/network/members') or contains(@href,'/forks')]"])
    counter("Watchers", [icon("eye"), "//a[contains(@href,'/watchers')]//*[contains(@class,'Counter') or self::strong]",
                         "//a[contains(@href,'/watchers')]"])
    counter("Commits", ["//li[contains(@class,'commits')]//*[contains(@class,'num')]", strong_before("commit"),
                        "//a[contains(@href,'/commits')]//strong", "//a[contains(@href,'/commits')]"])
    counter("Branches", ["//a[contains(@href,'/branches')]//*[contains(@class,'num') or self::strong or contains(@class,'Counter')]",
                         strong_before("branch")])
    counter("Releases", ["//a[contains(@href,'releases') and not(contains(@href,'/tag/'))]//*[contains(@class,'num') or contains(@class,'Counter')]"])
    counter("Contributors", ["//a[contains(@href,'contributors')]//*[contains(@class,'num') or contains(@class,'Counter')]"])
    counter("Open issues", ["//a[substring(@href, string-length(@href) - 6) = '/issues']//*[contains(@class,'Counter')]"])
    counter("Open pull requests", ["//a[substring(@href, string-length(@href) - 5) = '/pulls']//*[contains(@class,'Counter')]"])

    lic = doc.xpath("//li[.//*[contains(@class,'octicon-law')]] | //*[contains(@class,'octicon-law')]/.."
                    " | //h3[normalize-space(.)='License']/following-sibling::*[1]")
    if lic:
        t = re.sub(r"(?i)\s*\blicen[cs]e\b", "", _text(lic[0])).strip(" ,") or _text(lic[0])
        if t:
            facts.append(Fact(key="License", value=t, source="sidebar"))

    tags = doc.xpath("//a[contains(@class,'topic-tag')]")
    topics: list[str] = []
    tlinks: list[str] = []
    for a in tags:
        t = _text(a)
        if t and t not in topics:
            topics.append(t)
            tlinks.append(ctx.resolve(a.get("href")))
    if topics:
        enums.append(Enumeration(kind="topics", label="topics", section="About", items=topics, item_links=tlinks))
        facts.append(Fact(key="Topics", value=", ".join(topics), source="sidebar"))

    langs = _github_languages(doc)
    if langs:
        enums.append(Enumeration(kind="languages", label="languages", section="Languages",
                                 items=[f"{n} {p}".strip() for n, p in langs], item_links=[""] * len(langs)))
        facts.append(Fact(key="Primary language", value=langs[0][0], source="sidebar"))

    latest = _github_latest_release(doc, ctx)
    if latest is not None:
        facts.append(latest)
    readme = doc.xpath("//article[contains(@class,'markdown-body')]")
    if readme:
        for e in _SectionWalker(ctx, readme[0]).run():
            e.section = f"README › {e.section}" if e.section else "README"
            enums.append(e)
    s.facts = facts
    s.enumerations = enums
    return s


def _github_latest_release(doc: lxml.html.HtmlElement, ctx: _Ctx) -> Fact | None:
    for xp in ("//a[contains(@href,'/releases/tag/')]",
               "//h2[.//a[contains(@href,'releases')]]/following-sibling::a[1]"):
        found = doc.xpath(xp)
        if found:
            tag = found[0].xpath(".//*[contains(@class,'css-truncate-target')]")
            lines = [_text(tag[0])] if tag else _lines(found[0])
            if lines and lines[0]:
                return Fact(key="Latest release", value=lines[0], source="sidebar")
    return None


def _github_contributors(doc: lxml.html.HtmlElement, ctx: _Ctx, *, full_page: bool) -> Enumeration | None:
    """Contributor logins: the contributors page's list, or the repository sidebar's avatars."""
    if full_page:
        anchors = [a for li in doc.xpath("//li[contains(@class,'contrib-person')] | //ol[contains(@class,'contrib-data')]/li")
                   for a in (li.xpath(".//h3//a") or li.xpath(".//a"))[:1]]
    else:
        anchors = doc.xpath("//h2[.//a[contains(@href,'contributors')]]/following-sibling::ul[1]//a")
    names: list[str] = []
    links: list[str] = []
    for a in anchors:
        n = (a.get("aria-label") or _text(a) or "").strip()
        if not n:
            img = a.find(".//img")
            n = (img.get("alt") or "").lstrip("@") if img is not None else ""
        if not n:
            n = (a.get("href") or "").rstrip("/").rsplit("/", 1)[-1]
        n = n.lstrip("@")
        if n and n not in names:
            names.append(n)
            links.append(ctx.resolve(a.get("href")))
    if len(names) < 1:
        return None
    return Enumeration(kind="contributors", label="contributors", section="Contributors", items=names,
                       item_links=links)


def _github_languages(doc: lxml.html.HtmlElement) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for li in doc.xpath("//*[contains(@class,'repository-lang-stats')]//li"):
        name = li.xpath(".//*[contains(concat(' ',normalize-space(@class),' '),' lang ')]")
        pct = li.xpath(".//*[contains(concat(' ',normalize-space(@class),' '),' percent ')]")
        n = _text(name[0]) if name else ""
        if n:
            out.append((n, _text(pct[0]).rstrip("%") + "%" if pct else ""))
    if out:
        return out
    heads = doc.xpath("//h2[normalize-space(.)='Languages']")
    if heads:
        ul = heads[0].xpath("following::ul[1]")
        for li in ul[0].xpath("./li") if ul else []:
            spans = [t for t in (_text(x) for x in li.xpath(".//span[not(.//span)]")) if t]
            if spans:
                out.append((spans[0], next((x for x in spans[1:] if x.endswith("%")), "")))
    if not out:
        for el in doc.xpath("//span[@itemprop='keywords'][@aria-label]"):
            parts = el.get("aria-label", "").rsplit(" ", 1)
            if parts[0]:
                out.append((parts[0], f"{parts[1]}%" if len(parts) > 1 else ""))
    return out


def _github_release_list(doc: lxml.html.HtmlElement, ctx: _Ctx) -> Enumeration | None:
    items: list[str] = []
    links: list[str] = []
    for el in doc.xpath("//a[contains(@href,'/releases/tag/')] | //section[contains(@aria-labelledby,'hd-')]/h2[1]"):
        t = _text(el)
        if t and t not in items:
            items.append(t)
            links.append(ctx.resolve(el.get("href")) if el.tag == "a" else "")
    if not items:
        return None
    return Enumeration(kind="releases", label="releases", section="Releases", items=items, item_links=links)


def _github_issue(doc: lxml.html.HtmlElement, ctx: _Ctx, s: Structure) -> Structure:
    repo = s.subject
    # the issue, never the repository, is the page's subject (its "State" is the issue's)
    which = re.search(r"/(issues|pull)/(\d+)", ctx.page)
    kind = "pull request" if which and which.group(1) == "pull" else "issue"
    if which:
        s.subject = f"{repo} {kind} #{which.group(2)}"
    title = (doc.xpath("//*[contains(@class,'js-issue-title')]") or doc.xpath("//h1[contains(@class,'gh-header-title')]")
             or doc.xpath("//bdi[@data-testid='issue-title']"))
    if title:
        t = re.sub(r"\s*#\d+$", "", _text(title[0]))
        num = re.search(r"#(\d+)", _text(title[0].getparent()) if title[0].getparent() is not None else "")
        if not which:
            s.subject = f"{repo} {kind} #{num.group(1)}" if num else t
        s.facts.append(Fact(key="Title", value=t, source="meta"))
    state = doc.xpath("//*[contains(@class,'State')][1]")
    if state and _text(state[0]):
        s.facts.append(Fact(key="State", value=_text(state[0]), source="meta"))
    meta = doc.xpath("//*[contains(@class,'gh-header-meta')]")
    if meta:
        mt = _text(meta[0])
        a = meta[0].xpath(".//a[contains(@class,'author')]")
        if a:
            s.facts.append(Fact(key="Opened by", value=_text(a[0]), source="meta"))
        m = re.search(r"(\d+)\s+comments?", mt)
        if m:
            s.facts.append(Fact(key="Comments", value=m.group(1), source="meta"))
        d = doc.xpath("//*[contains(@class,'gh-header-meta')]//relative-time")
        if d:
            s.facts.append(Fact(key="Opened", value=_text(d[0]), source="meta"))
    labels = [_text(x) for x in doc.xpath("//*[contains(@class,'IssueLabel') or contains(@class,'labels')]//a | //a[contains(@class,'IssueLabel')]")]
    labels = list(dict.fromkeys(x for x in labels if x))
    if labels:
        s.enumerations.append(Enumeration(kind="list", label="labels", section="Labels", items=labels,
                                          item_links=[""] * len(labels)))
    return s

