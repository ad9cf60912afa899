"""What every miner shares: the compact page graph, the mining context, candidate construction.

The graph keeps, per page, only what the miners read (subject, facts, enumerations, out-links,
where it was reached from): never the text or the HTML, so a crawl of many pages fits in memory.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from pipelines.counters import Counters
from schemas.ids import reject_id, stable_hash
from schemas.records import Candidate, Enumeration, Evidence, Fact, Page, Reject
from synth.chronology import ReleaseOrder, step_noun
from synth.config import SynthConfig
from synth.text import clean, item_key, item_name, norm, page_ref, strip_quotes, url_key

_HYPHENATED = re.compile(r"\b[A-Za-z][\w.&']*(?:-[A-Za-z][\w.&']*)+")  # "ABC-Paramount", "Warner Bros.-Seven Arts"

@dataclass
class Node:
    """One page as the miners see it."""

    url: str
    root_url: str
    depth: int
    parent_url: str | None
    anchor_text: str | None
    site: str
    subject: str
    title: str
    description: str
    language: str
    facts: list[Fact]
    enumerations: list[Enumeration]
    out_links: list[tuple[str, str]]  # (url, anchor text)
    final_url: str = ""
    text: str = ""  # clipped main text, kept only when LLM page-pair proposals are on (see synth.mine)
    extras: dict | None = None  # lead prose and record infoboxes for the entity graph (synth.graph.entities.page_extras)

    @property
    def name(self) -> str:
        return strip_quotes(self.subject or self.title)

    @property
    def ref(self) -> str:
        """How a question names the page: 'the Wikipedia article “X”'."""
        return page_ref(self.site, self.name, self.url)

    def fact(self, key: str) -> Fact | None:
        return next((f for f in self.facts if f.key == key), None)

    @classmethod
    def from_page(cls, page: Page) -> Node:
        return cls(
            url=page.url, root_url=page.root_url, depth=page.depth, parent_url=page.parent_url,
            anchor_text=page.anchor_text, site=page.site or "generic", subject=clean(page.subject),
            title=clean(page.title), description=clean(page.description), language=page.language or "",
            facts=list(page.facts), enumerations=list(page.enumerations),
            out_links=[(lk.url, lk.text) for lk in page.out_links], final_url=page.final_url,
        )


class Graph:
    """Pages by URL (canonical and final URL, loosely normalised) with click paths from their root."""

    def __init__(self, nodes: Iterable[Node] = ()) -> None:
        self._aliases = None
        self._chrono = None
        self._hyphenated: frozenset[str] | None = None
        self.nodes: dict[str, Node] = {}
        self._by_key: dict[str, str] = {}
        self._paths: dict[str, list[str] | None] = {}
        for n in nodes:
            self.add(n)

    def add(self, node: Node) -> None:
        if node.url in self.nodes:
            return
        self.nodes[node.url] = node
        self._aliases = self._chrono = self._order = self._hyphenated = None
        for u in (node.url, node.final_url):
            if u:
                self._by_key.setdefault(url_key(u), node.url)

    def alias(self, url: str, node: Node) -> None:
        """Resolve ``url`` to ``node`` too (a page with the same text under another URL)."""
        self._by_key.setdefault(url_key(url), node.url)
        self._aliases = self._order = None

    def __len__(self) -> int:
        return len(self.nodes)

    def hyphenated_names(self) -> frozenset[str]:
        """Every hyphenated name ("ABC-Paramount") the pages' facts and lists write, lower-cased; built
        once, rebuilt after a page is added."""
        if self._hyphenated is None:
            self._hyphenated = frozenset(
                m.group(0).lower() for node in self
                for t in [*(f.value for f in node.facts), *(it for e in node.enumerations for it in e.items)]
                for m in _HYPHENATED.finditer(t))
        return self._hyphenated

    # -- entities: one key per entity, whatever name a page gives it ---------------------------
    _aliases: dict[str, set[str]] | None = None
    _names: dict[str, set[str]]

    def _alias_index(self) -> dict[str, set[str]]:
        """Name key → the pages it names: each page's own name and title (a nickname dropped:
        'David "Fathead" Newman' is also 'David Newman'), and the anchor texts of links to it of
        two words or more ("Fathead Newman"). Built once, on first use."""
        if self._aliases is not None:
            return self._aliases
        index: dict[str, set[str]] = defaultdict(set)
        for node in self.nodes.values():
            for name in (node.name, node.title):
                # 'David "Fathead" Newman' is "david newman" and "david fathead newman"
                for k in {item_key(name), norm(item_name(name))}:
                    if k:
                        index[k].add(node.url)
        anchors: dict[str, set[str]] = defaultdict(set)
        for node in self.nodes.values():
            for link, text in node.out_links:
                k = item_key(text or "")
                if len(k.split()) < 2:
                    continue
                dst = self.get(link)
                if dst is not None:
                    anchors[k].add(dst.url)
        for k, urls in anchors.items():
            index[k].update(urls)
        self._aliases = dict(index)
        self._names = defaultdict(set)
        for k, urls in self._aliases.items():
            if len(urls) == 1:
                self._names[next(iter(urls))].add(k)
        return self._aliases

    def entity_key(self, item: str, link: str = "") -> str:
        """The key of the entity an enumeration item names: the linked page's own name when the
        item links to a crawled page, else the one page an alias names, else the item's name."""
        node = self.get(link) if link else None
        if node is not None and node.name:
            return item_key(node.name) or item_key(item)
        k = item_key(item)
        urls = self._alias_index().get(k) if k else None
        if urls and len(urls) == 1:
            target = self.nodes[next(iter(urls))]
            return item_key(target.name) or k
        return k

    def names_of(self, node: Node) -> set[str]:
        """Every name key the crawl gives ``node`` (its name, title, nickname-free name, the anchor
        texts of links to it)."""
        self._alias_index()
        return {k for k in (item_key(node.name), item_key(node.title)) if k} | self._names.get(node.url, set())

    def root_of(self, node: Node) -> Node | None:
        return self.get(node.root_url)

    # -- chronology: what every page says comes before and after what ---------------------------
    _chrono: dict[tuple[str, str], set[str]] | None = None

    def _chronology(self) -> dict[tuple[str, str], set[str]]:
        """(page URL, "next"|"prev") → the pages any crawled page places there: a page's own
        "Next album" row, and every page whose "Previous album" row names it (and vice versa)."""
        if self._chrono is not None:
            return self._chrono
        out: dict[tuple[str, str], set[str]] = defaultdict(set)
        for node in self.nodes.values():
            for f in node.facts:
                m = _CHRONO_ROW.match(f.key)
                if not m or not f.links:
                    continue
                dst = self.get(f.links[0])
                if dst is None or dst.url == node.url:
                    continue
                side = "next" if m.group(1).lower() == "next" else "prev"
                other = "prev" if side == "next" else "next"
                out[(node.url, side)].add(dst.url)
                out[(dst.url, other)].add(node.url)
        self._chrono = dict(out)
        return self._chrono

    def chronology_conflict(self, node: Node, key: str, dst: Node) -> str:
        """'' when every crawled page agrees that ``dst`` is ``node``'s ``key`` ("Next album") and
        nothing else the crawl states contradicts it (release dates, the artist's ordered record lists:
        :class:`synth.chronology.ReleaseOrder`), else what says otherwise (two answers: ambiguous)."""
        m = _CHRONO_ROW.match(key)
        if not m:
            return ""
        side = "next" if m.group(1).lower() == "next" else "prev"
        other = "prev" if side == "next" else "next"
        chron = self._chronology()
        here = chron.get((node.url, side), set()) - {dst.url}
        there = chron.get((dst.url, other), set()) - {node.url}
        if here:
            return f"another page places {sorted(here)[0]} {side} to {node.url}"
        if there:
            return f"another page places {sorted(there)[0]} {other} to {dst.url}"
        early, late = (node, dst) if side == "next" else (dst, node)
        return self.release_order().conflict(early, late, step_noun(key))

    _order: ReleaseOrder | None = None

    def release_order(self) -> ReleaseOrder:
        """The artists' records with the dates and ordered lists the crawl states (built once, on first
        use): what a chronology step must agree with besides the other pages' rows."""
        if self._order is None:
            self._order = ReleaseOrder(self)
        return self._order

    def __iter__(self) -> Iterator[Node]:
        for url in sorted(self.nodes):
            yield self.nodes[url]

    def get(self, url: str | None) -> Node | None:
        if not url:
            return None
        if url in self.nodes:
            return self.nodes[url]
        key = self._by_key.get(url_key(url))
        return self.nodes.get(key) if key else None

    def links(self, a: Node, b: Node) -> bool:
        """Whether page ``a`` links to page ``b`` (out-links, resolved through the URL index)."""
        for u, _ in a.out_links:
            n = self.get(u)
            if n is not None and n.url == b.url:
                return True
        return False

    def path_to(self, url: str) -> list[str]:
        """The click path from the page's root: the crawl's parent chain, else a BFS over out-links."""
        node = self.get(url)
        if node is None:
            return []
        if node.url in self._paths:
            return list(self._paths[node.url] or [])
        path = self._parent_chain(node) or self._bfs(node)
        self._paths[node.url] = path
        return list(path or [])

    def _parent_chain(self, node: Node) -> list[str] | None:
        chain = [node.url]
        seen = {node.url}
        cur = node
        while cur.parent_url:
            parent = self.get(cur.parent_url)
            if parent is None or parent.url in seen:
                return None
            chain.append(parent.url)
            seen.add(parent.url)
            cur = parent
        root = self.get(node.root_url)
        if root is None or cur.url != root.url:
            return None
        return chain[::-1]

    def _bfs(self, node: Node) -> list[str] | None:
        root = self.get(node.root_url)
        if root is None:
            return None
        prev: dict[str, str | None] = {root.url: None}
        queue = deque([root.url])
        while queue:
            u = queue.popleft()
            if u == node.url:
                out = []
                cur: str | None = u
                while cur is not None:
                    out.append(cur)
                    cur = prev[cur]
                return out[::-1]
            for link, _ in sorted(self.nodes[u].out_links):
                n = self.get(link)
                if n is not None and n.url not in prev:
                    prev[n.url] = u
                    queue.append(n.url)
        return None


_CHRONO_ROW = re.compile(r"^(previous|next)\s+\S", re.I)

RejectFn = Callable[[Reject], None]


@dataclass
class MineContext:
    """What a miner needs besides the graph: settings, counters and the reject sink."""

    cfg: SynthConfig
    counters: Counters
    reject_sink: RejectFn
    _seen_rejects: set[str] = field(default_factory=set)

    def reject(self, reason: str, key: object, *, url: str = "", detail: str = "", payload: dict | None = None) -> None:
        """Count a mining drop (``mine/dropped/<reason>``) and write it once as a ``Reject``."""
        record_id = stable_hash("mine", reason, key)
        rid = reject_id("mine", reason, record_id)
        if rid in self._seen_rejects:
            return
        self._seen_rejects.add(rid)
        self.counters.inc(f"mine/dropped/{reason}")
        self.reject_sink(Reject(
            id=rid, stage="mine", reason=reason, detail=detail[:2000], record_id=record_id, url=url,
            payload_json=json.dumps(payload or {}, ensure_ascii=False, default=str),
        ))

    def rank(self, *parts: object) -> str:
        """A seeded, deterministic sort key (sampling without randomness)."""
        return stable_hash(self.cfg.seed, *parts)


class Miner(Protocol):
    name: ClassVar[str]

    def mine(self, graph: Graph, ctx: MineContext) -> Iterable[Candidate]:
        """Candidates with program-computed answers; drops go to ``ctx.reject``."""
        ...


def make_candidate(
    *, type: str, miner: str, root_url: str, source_urls: list[str], golden_path: list[str],
    evidence: list[Evidence], answer: str, hops: int, language: str, subject: str, relation: str,
    slots: dict,
) -> Candidate:
    """A candidate whose id is ``stable_hash(type, evidence, answer)``."""
    ev = [e.model_dump() for e in evidence]
    return Candidate(
        id=stable_hash(type, ev, answer), type=type, miner=miner, root_url=root_url,
        source_urls=source_urls, golden_path=golden_path, evidence=evidence, answer=answer, hops=hops,
        language=language or "en", subject=subject, relation=relation,
        slots_json=json.dumps(slots, ensure_ascii=False, sort_keys=True),
    )


def lang(node: Node) -> str:
    return (node.language or "en").split("-")[0].lower()


def enum_ambiguous(node: Node, enum: Enumeration) -> bool:
    """Another enumeration of the page has the same label and section (a question could not tell)."""
    return sum(1 for e in node.enumerations if e.label == enum.label and e.section == enum.section) > 1


def enum_sublists(node: Node, enum: Enumeration) -> str:
    """The section of another list or table of the page that lies under this enumeration's own
    section ("Personnel › 1997 Rhino CD re-issue bonus track personnel" under "Personnel"), '' when
    none: "how many … are listed in the “Personnel” section" would then count one list or both."""
    if not enum.section or enum.kind not in ("list", "table"):
        return ""
    prefix = enum.section + " › "
    return next((e.section for e in node.enumerations
                 if e is not enum and e.kind in ("list", "table") and e.items and e.section.startswith(prefix)), "")


def merge_paths(*paths: list[str]) -> list[str]:
    """Click paths one after the other, without repeating a page already visited."""
    out: list[str] = []
    for p in paths:
        for u in p:
            if u not in out:
                out.append(u)
    return out


def mentions(texts: Iterable[str], keys: Iterable[str]) -> str:
    """The first name key (``Graph.names_of``) that occurs whole-word in one of ``texts``, or ''."""
    hay = [f" {norm(t)} " for t in texts if t]
    for k in keys:
        if k and any(f" {k} " in h for h in hay):
            return k
    return ""


def root_answer(graph: Graph, node: Node, answers: Iterable[str]) -> str:
    """The answer among ``answers`` that names the crawl's root entity (the page the crawl of
    ``node`` started from: "Ray Charles" in a Ray Charles crawl), or ''. A chain question whose
    answer is the root is trivial: every page of the crawl points at it."""
    root = graph.root_of(node)
    if root is None:
        return ""
    names = graph.names_of(root)
    for a in answers:
        if item_key(a) in names or norm(a) in names:
            return a
    return ""
