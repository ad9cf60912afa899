"""Facts of any other page: lists and tables under headings, ``dl`` key/value pairs and two-column
key/value tables. (A generic page that looks like MediaWiki is read as wikipedia by the dispatcher,
``crawlers.facts``.)"""

from __future__ import annotations

import re

import lxml.html

from crawlers.facts_common import Structure, _classes, _Ctx, _norm, _strip_label, _text
from crawlers.facts_sections import (
    _container_skipped,
    _content_root,
    _lead_description,
    _rows,
    _SectionWalker,
)
from schemas.records import Fact


def read(doc: lxml.html.HtmlElement, ctx: _Ctx) -> Structure:
    s = Structure()
    h1 = doc.xpath("//h1")
    og = doc.xpath("//meta[@property='og:title']/@content")
    title = _norm(doc.findtext(".//title") or "")
    s.subject = (_text(h1[0]) if h1 else "") or (_norm(og[0]) if og else "") or re.split(r"\s+[-–—|]\s+", title)[0]
    root = _content_root(doc)
    s.description = _lead_description(root)
    facts: list[Fact] = []
    for dl in root.iter("dl"):
        if _container_skipped(dl):
            continue
        key = ""
        for c in dl:
            if not isinstance(c.tag, str):
                continue
            if c.tag == "dt":
                key = _strip_label(_text(c))
            elif c.tag == "dd" and key:
                val = _text(c)
                if val and len(key) <= 60:
                    facts.append(Fact(key=key, value=val, links=ctx.links(c), source="dl"))
                key = ""
    for table in root.iter("table"):
        if _container_skipped(table) and "infobox" not in _classes(table):
            continue
        rows = _rows(table)
        kv = [r for r in rows if len([c for c in r if isinstance(c.tag, str)]) == 2
              and r[0].tag == "th" and r[1].tag == "td"]
        if len(kv) >= 2 and len(kv) >= 0.6 * len(rows):
            for r in kv:
                key = _strip_label(_text(r[0]))
                val = _text(r[1])
                if key and val and len(key) <= 60:
                    facts.append(Fact(key=key, value=val, links=ctx.links(r[1]), source="infobox"))
    s.facts = facts
    s.enumerations = _SectionWalker(ctx, root).run()
    return s
