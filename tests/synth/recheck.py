"""An independent recheck of QA records against the HTML of the pages they came from (not against the
miners' data): the fixture-site test (tests/synth/test_miners_fixture_site.py) and the corpus bench
(bench/bench_synth_corpus.py) both check every kept record with :class:`Recheck`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from itertools import pairwise
from typing import Protocol
from urllib.parse import urldefrag, urljoin

import lxml.html
from dateutil.parser import parse as dateparse

from schemas.records import QARecord
from synth.text import contains, item_key, norm
from tests.synth.conftest import page_text


class Site(Protocol):
    def html(self, url: str) -> str: ...

    def canonical(self, url: str) -> str: ...


def _exact(url: str) -> str:
    return url


def on_page(page: tuple[str, str], value: str) -> bool:
    """``value`` shown on a page given as (normalised text, the same without spaces); inline markup
    such as km<sup>2</sup> may split a word."""
    v = norm(value)
    return bool(v) and (f" {v} " in page[0] or v.replace(" ", "") in page[1])


class Recheck:
    """Checks a record against the site's HTML files, not against the miners' data: ``Recheck(site)(record)``
    is ``""`` when the record holds up, else the reason it does not.

    ``site`` serves the saved pages (``html(url)``, ``canonical(url)``: the URL after redirects);
    ``key`` is how two URLs are compared when a page is said to link another (exact by default; the
    bench passes ``synth.text.url_key`` for crawled URLs whose percent-encoding differs from the hrefs').
    """

    def __init__(self, site: Site, key: Callable[[str], str] = _exact) -> None:
        self.fs = site
        self.key = key
        self._text: dict[str, tuple[str, str]] = {}
        self._links: dict[str, set[str]] = {}
        self._subject: dict[str, str] = {}

    def html(self, url: str) -> str:
        return self.fs.html(url + "index.html" if url.endswith("/") else url)

    def text(self, url: str) -> tuple[str, str]:
        if url not in self._text:
            t = norm(page_text(self.html(url)))
            self._text[url] = (f" {t} ", t.replace(" ", ""))
        return self._text[url]

    def subject(self, url: str) -> str:
        if url not in self._subject:
            self._subject[url] = lxml.html.document_fromstring(self.html(url)).findtext(".//h1") or ""
        return self._subject[url]

    def links(self, src: str, dst: str) -> bool:
        if src not in self._links:
            doc = lxml.html.document_fromstring(self.html(src))
            self._links[src] = {self.key(self.fs.canonical(urldefrag(urljoin(src, a.get("href") or ""))[0]))
                                for a in doc.iter("a")}
        return self.key(dst) in self._links[src]

    def __call__(self, r: QARecord) -> str:
        q, a, meta = r.question, r.answer, json.loads(r.meta_json)
        if not q.endswith("?") or re.search(r"\b(this page|the text|the passage|according to)\b", q, re.I):
            return "form"
        for u, v in zip(r.golden_path, r.golden_path[1:], strict=False):
            if not self.links(u, v) and r.type not in ("intersection", "comparison"):
                return "golden_path_not_a_click_path"
        if r.type == "comparison":
            return self.comparison(r)
        if r.type == "count":
            if int(a) != len(meta["items"]):
                return "count_mismatch"
            page = self.text(meta["page"])
            if not all(on_page(page, it) for it in meta["items"]):
                return "item_not_on_page"
            return "answer_in_question" if contains(q, a) else ""
        if r.type == "intersection":
            # items are compared by entity (the miner resolves links and aliases: 'David "Fathead" Newman'
            # and 'David Newman' linking one page are one person): its per-item keys, else the items' own
            def keyed(side: dict) -> dict[str, list[str]]:
                keys = side.get("keys") or []
                if len(keys) != len(side["items"]):
                    keys = [item_key(x) for x in side["items"]]
                out: dict[str, list[str]] = {}
                for k, x in zip(keys, side["items"], strict=True):
                    out.setdefault(k, []).append(x)
                return out

            ka, kb = keyed(meta["a"]), keyed(meta["b"])
            page_a, page_b = self.text(meta["a"]["url"]), self.text(meta["b"]["url"])
            for name in meta["shared"]:
                same = [k for k in ka.keys() & kb.keys() if norm(name) in {norm(x) for x in ka[k] + kb[k]}]
                if not same:
                    return "shared_not_in_both_lists"
                k = same[0]  # each side's own wording of the entity is on that side's page
                if not (any(on_page(page_a, x) for x in ka[k]) and any(on_page(page_b, x) for x in kb[k])):
                    return "shared_not_on_both_pages"
                if contains(q, name):
                    return "answer_in_question"
            return ""
        if r.type == "obfuscated":  # every constraint's exact value on its page, the answer on the target's
            if contains(q, a) or len({c.evidence_url for c in r.constraints}) < 2:
                return "answer_in_question_or_one_page"
            # a list row is stated as the parser joins it ("Herb Abramson, Ahmet Ertegün, Jerry Wexler" for
            # "Herb Abramson, Ahmet Ertegün, and Jerry Wexler"): each of its names is on the page
            if not all(on_page(self.text(c.evidence_url), c.value)
                       or all(on_page(self.text(c.evidence_url), v) for v in c.value.split(", "))
                       for c in r.constraints):
                return "constraint_value_not_on_page"
            target = r.source_urls[0]
            return "" if on_page(self.text(target), a) or contains(self.subject(target), a) else "answer_not_on_target"
        if contains(q, a):
            return "answer_in_question"
        if not any(contains(e.text, a) for e in r.evidence):
            return "answer_not_in_evidence"
        if r.type == "single_hop":
            return "" if on_page(self.text(meta["page"]), a) else "answer_not_on_page"
        if r.type == "multi_hop":
            if r.hops != len(r.source_urls) or r.hops < 2:
                return "hops"
            for step in meta["path"]:
                if not self.links(step["from"], step["to"]) or not on_page(self.text(step["from"]), step["anchor"]):
                    return "path_link_missing"
            target = meta["fact"]["page"]
            subject = self.subject(target)
            if subject and contains(q, subject) and not contains(r.source_urls[0], subject):
                return "names_target"
            return "" if on_page(self.text(target), a) else "answer_not_on_target"
        return "type"

    def comparison(self, r: QARecord) -> str:
        """Both pages' values re-read from the HTML text and re-compared with dateutil / a regex."""
        q, a, meta = r.question, r.answer, json.loads(r.meta_json)
        sa, sb = meta["a"], meta["b"]
        if sorted(r.source_urls) != sorted([sa["url"], sb["url"]]) or sa["url"] == sb["url"]:
            return "sources"
        if sa["root"] == sb["root"]:
            return "same_root"
        for s in (sa, sb):  # each page's own click path from its own root
            path = s["path"]
            if path[0] != s["root"] or path[-1] != s["url"] or not all(
                    self.links(u, v) for u, v in pairwise(path)):
                return "side_path"
            if not (set(path) <= set(r.golden_path)) or not contains(q, s["subject"]):
                return "side_not_named_or_not_on_golden_path"
        if meta["kind"] == "total":
            for s in (sa, sb):
                if not all(on_page(self.text(s["url"]), it) for it in s["items"]):
                    return "item_not_on_page"
            if {norm(x) for x in sa["items"]} & {norm(x) for x in sb["items"]}:
                return "overlap"
            return "" if int(a) == len(sa["items"]) + len(sb["items"]) else "total_mismatch"
        for s in (sa, sb):
            if not on_page(self.text(s["url"]), s["value"]):
                return "value_not_on_page"
            if contains(q, s["value"]):
                return "value_in_question"
        if meta["kind"] == "date":
            lo = [dateparse(s["value"], default=datetime(1, 1, 1)) for s in (sa, sb)]
            hi = [dateparse(s["value"], default=datetime(1, 12, 31)) for s in (sa, sb)]
            first = 0 if hi[0] < lo[1] else 1 if hi[1] < lo[0] else None
            if first is None:
                return "undecidable"
            win = first if meta["pick"] == "earlier" else 1 - first
        else:
            nums = [re.match(r"([\d,.:]+)\s*(\S*)", s["value"]) for s in (sa, sb)]
            vals = [sum(int(p) * 60 ** i for i, p in enumerate(reversed(m.group(1).split(":")))) if ":" in m.group(1)
                    else float(m.group(1).replace(",", "")) for m in nums]
            if nums[0].group(2) != nums[1].group(2) or vals[0] == vals[1]:
                return "incomparable"
            win = 0 if vals[0] > vals[1] else 1
        return "" if a == (sa, sb)[win]["value"] else "wrong_winner"
