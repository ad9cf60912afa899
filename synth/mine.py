"""The mining stage: pages of one run → candidates (evidence + program-computed answer).

One pass over the pages builds a compact graph (subject, facts, enumerations, out-links per page;
never the text or HTML); every configured miner then reads the graph. Output is deterministic:
candidates de-duplicated by id, capped per page, sorted by id. Every drop is a ``Reject`` (stage
``mine``) and a counter ``mine/dropped/<reason>``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from pipelines.counters import Counters
from schemas.records import Candidate, Page, Reject
from synth.asof import AsOfIndex
from synth.config import SynthConfig
from synth.graph.entities import page_extras
from synth.miners import MINERS
from synth.miners.base import Graph, MineContext, Node
from synth.text import clip_text

PageSource = Iterable[Page] | Callable[[], Iterable[Page]]


def build_graph(pages: PageSource, ctx: MineContext) -> Graph:
    """The compact page graph; pages in a language the templates do not serve keep only their links."""
    graph = Graph()
    langs = {lang.lower() for lang in ctx.cfg.languages}
    # page pair proposals need the text: clipped to the prompt budget, and only when they are on
    keep_text = ctx.cfg.max_proposals > 0 and "proposal" in ctx.cfg.miners
    seen_text: dict[tuple[str, bytes], str] = {}  # (site, digest of the text) → the first page's URL
    for page in pages() if callable(pages) else pages:
        ctx.counters.inc("mine/pages")
        node = Node.from_page(page)
        node.extras = page_extras(page)  # the obfuscated family's lead genres and second infoboxes
        if page.text.strip() and page.status < 400:
            digest = (node.site, hashlib.blake2b(page.text.encode(), digest_size=16).digest())
            first = seen_text.setdefault(digest, page.url)
            if first != page.url and graph.get(first) is not None:
                # the same page under another URL (a query variant): mined once, links to it resolve
                ctx.reject("duplicate_text", page.url, url=page.url, detail=f"same extracted text as {first}")
                graph.alias(page.url, graph.get(first))
                continue
        if keep_text:
            node.text = clip_text(page.text, ctx.cfg.proposal_text_chars)
        if page.status >= 400:
            ctx.reject("bad_status", page.url, url=page.url, detail=str(page.status))
            continue
        code = (node.language or "").split("-")[0].lower()
        if code and langs and code not in langs:
            ctx.reject("unsupported_language", page.url, url=page.url,
                       detail=f"page language {node.language!r}; templates serve {sorted(langs)}")
            node.facts, node.enumerations = [], []
        graph.add(node)
    return graph


def _primary(c: Candidate) -> str:
    """The page a candidate is mostly about (the answer's page)."""
    if c.type == "multi_hop":  # the answer's page; a proposal or comparison counts on its first page
        return c.source_urls[-1]
    return c.source_urls[0] if c.source_urls else c.root_url


def mine(
    pages: PageSource, cfg: SynthConfig, counters: Counters, reject: Callable[[Reject], None]
) -> Iterator[Candidate]:
    """Candidates of every configured miner, de-duplicated, capped per page, sorted by id."""
    unknown = [m for m in cfg.miners if m not in MINERS]
    if unknown:
        raise ValueError(f"unknown miner(s) {unknown}; known: {sorted(MINERS)}")
    ctx = MineContext(cfg, counters, reject)
    dates = AsOfIndex()  # each page's as_of date, recorded as the pages stream into the graph
    graph = build_graph(dates.watch(pages), ctx)
    counters.inc("mine/graph_pages", len(graph))
    found: dict[str, Candidate] = {}
    for name in cfg.miners:
        for c in MINERS[name]().mine(graph, ctx):
            if c.id in found:
                ctx.reject("duplicate_candidate", c.id, url=_primary(c))
                continue
            found[c.id] = c
    by_page: dict[str, list[Candidate]] = defaultdict(list)
    for c in found.values():
        by_page[_primary(c)].append(c)
    kept: list[Candidate] = []
    order = {t: i for i, t in enumerate(cfg.miners)}
    own_budget = {"obfuscated": cfg.obfuscated_max_per_page}  # families that do not compete for a page's cap
    for url in sorted(by_page):
        cands = [c for c in by_page[url] if c.type not in own_budget]
        for t, budget in own_budget.items():
            mine_t = sorted((c for c in by_page[url] if c.type == t), key=lambda c: ctx.rank("cap", c.id))
            for c in mine_t[budget:]:
                ctx.reject("page_cap", c.id, url=url, detail=f"{len(mine_t)} {t} candidates for the page")
            kept.extend(mine_t[:budget])
        # round-robin over types so one miner cannot crowd the others out of a page
        seen: dict[str, int] = defaultdict(int)
        ranked = []
        for c in sorted(cands, key=lambda c: (order.get(c.miner, 99), ctx.rank("cap", c.id))):
            ranked.append((seen[c.type], order.get(c.miner, 99), c))
            seen[c.type] += 1
        ranked.sort(key=lambda t: (t[0], t[1], ctx.rank("cap", t[2].id)))
        for _, _, c in ranked[cfg.max_candidates_per_page:]:
            ctx.reject("page_cap", c.id, url=url, detail=f"{len(cands)} candidates for the page")
        kept.extend(c for _, _, c in ranked[: cfg.max_candidates_per_page])
    for c in sorted(kept, key=lambda c: c.id):
        counters.inc("mine/candidates")
        counters.inc(f"mine/candidates/{c.type}")
        yield dates.stamp(c)
