"""PROPOSAL: page pairs (A links to B) for the LLM writer's free-form proposals (as in WebDancer's
CRAWLQA: the model reads two linked pages and proposes a question that needs both, with an answer
and verbatim quotes from each page).

The program cannot compute the answer here: the candidate carries the two pages' clipped texts as
evidence and an empty answer; ``synth.writers.llm.LLMWriter`` asks the model and keeps a proposal
only when its quotes occur in the pages and contain the answer. At most ``max_proposals`` pairs are
mined per run (0 by default: the offline template writer cannot propose), so the number of proposal
calls per run is capped here. Each page is in at most one pair; pairs are picked in seeded order.
Counters: ``mine/proposal/pairs`` (pairs available), ``mine/proposal/picked``. Pages are skipped
without a reject (they are not candidates of anything): no subject, text shorter than
``min_proposal_text_chars``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from schemas.records import Candidate, Evidence
from synth.miners.base import Graph, MineContext, Node, lang, make_candidate, merge_paths
from synth.miners.single_hop import entity_slots
from synth.text import norm


class ProposalMiner:
    name: ClassVar[str] = "proposal"

    def mine(self, graph: Graph, ctx: MineContext) -> Iterator[Candidate]:
        cfg = ctx.cfg
        if cfg.max_proposals <= 0:
            return

        langs = {x.lower() for x in cfg.languages}  # [] = every language (as in synth.mine)

        def usable(n: Node | None) -> bool:
            return (n is not None and bool(n.name) and len(n.text) >= cfg.min_proposal_text_chars
                    and (not langs or lang(n) in langs))

        pairs: list[tuple[str, Node, Node, str]] = []
        for a in graph:
            if not usable(a) or not graph.path_to(a.url):
                continue
            seen: set[str] = set(graph.path_to(a.url))  # a page on the way to A is no new page
            for url, anchor in a.out_links:
                b = graph.get(url)
                if not usable(b) or b.url in seen or norm(b.name) == norm(a.name):
                    continue
                seen.add(b.url)
                pairs.append((ctx.rank("proposal", a.url, b.url), a, b, anchor))
        ctx.counters.inc("mine/proposal/pairs", len(pairs))
        used: set[str] = set()
        picked = 0
        for _, a, b, anchor in sorted(pairs, key=lambda p: p[0]):
            if picked >= cfg.max_proposals:
                break
            if a.url in used or b.url in used:
                continue
            used.update((a.url, b.url))
            picked += 1
            ctx.counters.inc("mine/proposal/picked")
            yield self._candidate(graph, a, b, anchor)

    @staticmethod
    def _candidate(graph: Graph, a: Node, b: Node, anchor: str) -> Candidate:
        pa = graph.path_to(a.url) or [a.url]
        golden = merge_paths(pa, [*pa, b.url])

        def side(n: Node, path: list[str]) -> dict:
            return {"url": n.url, "root": n.root_url, "path": path, "entity": entity_slots(n),
                    "text_chars": len(n.text)}

        slots = {"a": side(a, pa), "b": side(b, golden), "anchor": anchor}
        return make_candidate(
            type="proposed", miner="proposal", root_url=a.root_url, source_urls=[a.url, b.url],
            golden_path=golden, evidence=[Evidence(url=a.url, text=a.text), Evidence(url=b.url, text=b.text)],
            answer="", hops=2, language=lang(a), subject=f"{a.name} / {b.name}", relation="proposed", slots=slots,
        )
