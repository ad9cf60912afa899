"""Multi-source questions are what they claim: a real click path, a consistent E2H lineage."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import ClassVar

from filters.base import KEEP, Filter, Verdict, drop, register
from filters.config import FilterConfig
from filters.text import load_meta, norm_text
from schemas.records import QARecord


@register
class MultiHopPath(Filter):
    """MULTI-HOP: >= 2 distinct sources, and every step of the golden path is a real link.

    ``links`` maps a page URL to its out-link URLs (built from the pages shards). Without it the
    link check is skipped (the other checks still run). ``meta.path`` steps must follow the golden
    path, and the fact must come from a page on it.
    """

    name: ClassVar[str] = "multi_hop"
    order: ClassVar[int] = 32
    applies_to: ClassVar[frozenset[str]] = frozenset({"multi_hop"})
    reasons: ClassVar[tuple[str, ...]] = (
        "too_few_sources", "path_too_short", "broken_link", "path_mismatch", "fact_off_path",
    )

    def __init__(self, links: Mapping[str, set[str]] | None = None) -> None:
        self.links = links

    @classmethod
    def from_config(cls, cfg: FilterConfig, *, links: Mapping[str, set[str]] | None = None) -> MultiHopPath:
        return cls(links)

    def check(self, record: QARecord) -> Verdict:
        if len({u for u in record.source_urls if u}) < 2:
            return drop("too_few_sources", f"{len(set(record.source_urls))} distinct")
        path = record.golden_path
        if len(path) < 2:
            return drop("path_too_short", f"{len(path)} pages")
        if self.links is not None:
            for a, b in itertools.pairwise(path):
                out = self.links.get(a)
                if out is None:
                    return drop("broken_link", f"{a} not crawled")
                if b not in out:
                    return drop("broken_link", f"{a} -> {b}")
        meta = load_meta(record.meta_json)
        steps = meta.get("path")
        if isinstance(steps, list) and steps:
            pairs = [(s.get("from"), s.get("to")) for s in steps if isinstance(s, dict)]
            golden = list(itertools.pairwise(path))
            # the steps are the golden path's hops (the whole path, or its tail when it starts at the root)
            if len(pairs) != len(steps) or not pairs or pairs != golden[len(golden) - len(pairs):]:
                return drop("path_mismatch", f"meta path {pairs[:3]} vs golden {golden[:3]}")
        fact = meta.get("fact")
        if isinstance(fact, dict) and fact.get("page") and fact["page"] not in path:
            return drop("fact_off_path", str(fact["page"]))
        return KEEP


@register
class E2HLineage(Filter):
    """E2H: a lineage exists, its rounds chain (each round starts from the previous question) and
    it ends at the shipped question; every round's evidence page is among the sources."""

    name: ClassVar[str] = "e2h_lineage"
    order: ClassVar[int] = 33
    applies_to: ClassVar[frozenset[str]] = frozenset({"e2h"})
    reasons: ClassVar[tuple[str, ...]] = ("no_lineage", "lineage_broken", "lineage_source_missing")

    def check(self, record: QARecord) -> Verdict:
        steps = sorted(record.lineage, key=lambda s: s.round)
        if not steps:
            return drop("no_lineage")
        for prev, nxt in itertools.pairwise(steps):
            if norm_text(prev.question_after) != norm_text(nxt.question_before):
                return drop("lineage_broken", f"round {prev.round} -> {nxt.round}")
        if norm_text(steps[-1].question_after) != norm_text(record.question):
            return drop("lineage_broken", "last round does not end at the question")
        sources = set(record.source_urls)
        for s in steps:
            if s.evidence_url and s.evidence_url not in sources:
                return drop("lineage_source_missing", s.evidence_url)
        return KEEP
