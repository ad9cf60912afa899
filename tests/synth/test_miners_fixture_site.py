"""The fixture site, offline: every type is mined and worded, every kept record passes an
independent recheck against the HTML files, and the designed facts (FACTS.md) come out exactly."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from itertools import pairwise
from urllib.parse import urldefrag, urljoin

import lxml.html
import pytest
from dateutil.parser import parse as dateparse

from pipelines.counters import Counters
from schemas.records import QARecord, Reject
from synth.assemble import to_record
from synth.config import SynthConfig
from synth.mine import mine
from synth.text import contains, item_key, norm
from synth.writers.template import TemplateWriter
from tests.synth.conftest import BASE, FileSite, page_text

W = f"{BASE}/wiki/"
ABS = f"{BASE}/arxiv/abs/"


def synthesize(pages, cfg: SynthConfig) -> tuple[list[QARecord], list[Reject], Counters]:
    counters, rejects = Counters(), []
    cands = list(mine(pages, cfg, counters, rejects.append))
    w = TemplateWriter()
    created = datetime(2026, 1, 1, tzinfo=UTC)
    recs = [to_record(x, writer_name=w.name, prompt_version=w.prompt_version, run_id="t", created_at=created)
            for x in w.write(cands) if x.ok]
    return recs, rejects, counters


@pytest.fixture(scope="module")
def default_run(fixture_pages):
    return synthesize(fixture_pages, SynthConfig())


@pytest.fixture(scope="module")
def wide_run(fixture_pages):
    """Caps lifted so that every designed path and pair is present."""
    return synthesize(fixture_pages, SynthConfig(max_paths_per_start=400, max_paths_per_target=100,
                                                 max_candidates_per_page=10_000, max_facts_per_page=50))


def on_page(page: tuple[str, str], value: str) -> bool:
    """``value`` shown on a page given as (normalised text, the same without spaces); inline markup
    such as km<sup>2</sup> may split a word."""
    v = norm(value)
    return bool(v) and (f" {v} " in page[0] or v.replace(" ", "") in page[1])


class Recheck:
    """Checks a record against the site's HTML files, not against the miners' data."""

    def __init__(self, fs: FileSite) -> None:
        self.fs = fs
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
            self._links[src] = {self.fs.canonical(urldefrag(urljoin(src, a.get("href") or ""))[0])
                                for a in doc.iter("a")}
        return dst in self._links[src]

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


def test_every_type_is_mined_and_every_record_rechecks(default_run, fixture_site) -> None:
    recs, rejects, counters = default_run
    by_type = Counter(r.type for r in recs)
    assert set(by_type) == {"count", "multi_hop", "intersection", "single_hop", "comparison", "obfuscated"}
    assert len(recs) >= 20 and min(by_type.values()) >= 5
    check = Recheck(fixture_site)
    failures = [(why, r.question) for r in recs if (why := check(r))]
    assert failures == []
    # the German article is read but not asked about
    assert any(r.reason == "unsupported_language" and "/de/" in r.url for r in rejects)
    assert counters.get("mine/dropped/unsupported_language") == 1


def _find(recs, type_, **meta_eq):
    out = []
    for r in recs:
        if r.type != type_:
            continue
        meta = json.loads(r.meta_json)
        if all(meta.get(k) == v for k, v in meta_eq.items()):
            out.append(r)
    return out


def test_designed_counts(wide_run) -> None:
    recs, rejects, _ = wide_run
    got = {(json.loads(r.meta_json)["page"].removeprefix(BASE), json.loads(r.meta_json)["label"]): r.answer
           for r in recs if r.type == "count"}
    expected = {
        ("/wiki/Mira_Volkova.html", "Studio albums"): "7",
        ("/wiki/Mira_Volkova.html", "Live albums"): "3",
        ("/wiki/Mira_Volkova.html", "Instruments"): "4",
        ("/wiki/Mira_Volkova.html", "Awards and nominations"): "5",
        ("/wiki/Northern_Glass.html", "Personnel"): "5",
        ("/wiki/Northern_Glass.html", "Track listing"): "10",
        ("/wiki/The_Driftwood_Choir.html", "Former members"): "3",
        ("/wiki/Dunmoor.html", "Districts"): "6",
        ("/wiki/Tamsel_River.html", "Cities"): "3",
        ("/arxiv/abs/2401.00002.html", "authors"): "4",
        ("/github/acme/widgetflow/", "Features"): "5",
        ("/github/acme/widgetflow/", "Checkpoint stores"): "4",
    }
    assert {k: got.get(k) for k in expected} == expected
    # counts the live site changes are not asked: each is a counted "volatile" drop (issue 16)
    volatile = {("/wiki/The_Driftwood_Choir.html", "Current members"), ("/arxiv/abs/2401.00003.html", "versions"),
                ("/github/acme/widgetflow/", "topics"), ("/github/acme/widgetflow/contributors.html", "contributors"),
                ("/github/acme/widgetflow/releases.html", "releases")}
    assert not volatile & set(got)
    dropped = {(r.url.removeprefix(BASE), json.loads(r.payload_json).get("label")) for r in rejects
               if r.reason == "volatile" and r.stage == "mine"}
    assert volatile <= dropped


def test_designed_intersections(wide_run) -> None:
    recs, _, _ = wide_run
    shared = {frozenset((json.loads(r.meta_json)["a"]["url"].removeprefix(BASE),
                         json.loads(r.meta_json)["b"]["url"].removeprefix(BASE))): json.loads(r.meta_json)["shared"]
              for r in recs if r.type == "intersection"}
    assert sorted(shared[frozenset({"/wiki/Northern_Glass.html", "/wiki/The_Lantern_Years.html"})]) == [
        "Hanna Voss", "Liv Asker", "Mira Volkova"]
    assert sorted(shared[frozenset({"/wiki/Salt_and_Signal.html", "/wiki/The_Lantern_Years.html"})]) == [
        "Elena Marsh", "Mira Volkova"]
    assert sorted(shared[frozenset({"/arxiv/abs/2401.00001.html", "/arxiv/abs/2401.00002.html"})]) == [
        "Lena Okafor", "Tobias Reinholt"]


def test_designed_paths(wide_run) -> None:
    recs, _, _ = wide_run
    paths = {tuple(u.removeprefix(W) for u in r.source_urls): r for r in recs if r.type == "multi_hop"}
    # the producer of her third studio album (Jonas Brandt) … born in Halverstad
    r = paths[("Mira_Volkova.html", "Northern_Glass.html", "Jonas_Brandt.html")]
    assert r.hops == 3 and r.golden_path[-3:] == [W + "Mira_Volkova.html", W + "Northern_Glass.html",
                                                 W + "Jonas_Brandt.html"]
    assert "Jonas Brandt" not in r.question and "Northern Glass" not in r.question
    fact = json.loads(r.meta_json)["fact"]
    assert (fact["key"], r.answer) in {("Born", "2 June 1976"), ("Birthplace", "Halverstad, Norvania"),
                                       ("Years active", "1998–present")} or fact["page"] == W + "Jonas_Brandt.html"
    # the mayor of her birthplace (Petra Lind), through two infobox links
    r = paths[("Mira_Volkova.html", "Kestrel_Bay.html", "Petra_Lind.html")]
    assert r.question.startswith(("When was the mayor of the birthplace of Mira Volkova",
                                  "Where was the mayor of the birthplace of Mira Volkova",
                                  "What is listed under", "In which years was the mayor",
                                  "Who is", "What is")), r.question
    # the founder of the studio where Salt and Signal was recorded: four pages
    assert ("Salt_and_Signal.html", "Saltmarsh_Studios.html", "Elena_Marsh.html", "Ostenfeld.html") in paths


def test_the_project_filters_keep_the_records(default_run, fixture_pages) -> None:
    """The validity chain (filters/, another module's work) re-verifies every record independently;
    only its prompt-injection screen may drop records."""
    filters = pytest.importorskip("filters")
    recs, _, _ = default_run
    links = {p.url: {lk.url for lk in p.out_links} for p in fixture_pages}
    drops: list[Reject] = []
    chain = filters.FilterChain(filters.build_filters(filters.FilterConfig(), links=links), Counters(), drops.append)
    kept = list(chain.run(recs))
    # the injection screen also fires on the paper titled "Prompt Injection in the Wild" (its call)
    assert {d.reason.split("/")[0] for d in drops} <= {"injection"}, [(d.reason, d.detail) for d in drops]
    assert len(kept) >= 0.8 * len(recs)
