"""COMPARISON (multi-source): one fact from each of two pages reached from two different roots,
combined by the program. The question needs both pages; the answer is computed here:

- ``date``: two dated events ("the release of the album X", "the submission of the first version of
  the arXiv paper Y"); the answer is the date of the earlier (or later) one.
- ``number``: the same measured attribute of two subjects (population, elevation, running time,
  stars...), same unit; the answer is the value of the larger one.
- ``total``: two enumerations of the same kind of thing (tracks, authors...), with no item in common;
  the answer is the number of items of both together.

The answer is a value, never one of the two names the question gives (a two-way choice is a coin
toss, and the question would contain its answer). Both pages' facts travel as evidence (URL + snippet)
and each page's click path from its own root goes in the slots. Drops (counted): ``unparseable_value``
(a date or quantity the program cannot read), ``tie`` (equal values, or dates the shared precision
cannot order), ``unit_mismatch``, ``overlapping_items`` (a total would be ambiguous),
``total_out_of_range``, ``comparison_cap``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from schemas.records import Candidate, Enumeration, Evidence, Fact
from synth.miners.base import (
    Graph,
    MineContext,
    Node,
    enum_ambiguous,
    enum_sublists,
    lang,
    make_candidate,
    merge_paths,
)
from synth.miners.count import enumeration_evidence
from synth.miners.single_hop import askable, entity_slots, fact_evidence
from synth.text import (
    chart_items,
    clean,
    compare_dates,
    enum_noun,
    item_key,
    norm,
    parse_date,
    parse_measure,
)
from synth.volatile import volatile_enumeration

# date keys → the event they date ({e}: how the subject is named)
DATE_EVENTS: dict[str, str] = {
    "released": "the release of {e}", "release date": "the release of {e}", "born": "the birth of {e}",
    "died": "the death of {e}", "founded": "the founding of {e}", "established": "the founding of {e}",
    "formed": "the formation of {e}", "submitted": "the submission of the first version of {e}",
    "last revised": "the latest revision of {e}", "published": "the publication of {e}",
    "publication date": "the publication of {e}", "first aired": "the first broadcast of {e}",
    "premiered": "the premiere of {e}", "opened": "the opening of {e}", "first lit": "the first lighting of {e}",
    "automated": "the automation of {e}", "independence": "the independence of {e}",
    "constructed": "the construction of {e}",
}
# measured attributes that compare across subjects (the key without a "(2021)" qualifier)
NUMBER_KEYS = frozenset({"population", "elevation", "height", "length", "area", "basin size", "stars",
                         "forks", "watchers", "commits", "contributors", "releases", "branches", "tracks"})
_NO_TOTAL_KINDS = {"navbox", "versions", "languages", "subjects"}
_QUALIFIER = re.compile(r"\s*\([^()]*\)\s*$")


def number_family(key: str) -> str:
    """'Population (2021)' → 'population'; '' when the key is not a comparable quantity."""
    k = _QUALIFIER.sub("", key.strip().lower()).strip()
    return k if k in NUMBER_KEYS else ""


def quantity_text(value: str) -> str:
    """The quantity as shown, without a parenthesised conversion: '34 m (112 ft)' → '34 m'."""
    return clean(value).split(" (", 1)[0].strip()


@dataclass
class _Side:
    node: Node
    family: str
    kind: str  # date | number | total
    shown: str  # the value as the answer states it
    value: object  # parsed value (date tuple + precision, (number, unit), or item count)
    fact: Fact | None = None
    enum: Enumeration | None = None
    keys: set[str] = field(default_factory=set)  # item keys (total)

    @property
    def key(self) -> str:
        return self.fact.key if self.fact is not None else (self.enum.label if self.enum else "")


class ComparisonMiner:
    name: ClassVar[str] = "comparison"

    def mine(self, graph: Graph, ctx: MineContext) -> Iterator[Candidate]:
        cfg = ctx.cfg
        if cfg.max_comparisons <= 0:
            return
        families: dict[str, list[_Side]] = defaultdict(list)
        for node in graph:
            if not node.name or not graph.path_to(node.url):
                continue
            for side in self._sides(node, ctx):
                families[side.family].append(side)
        made = 0
        used: dict[tuple[str, str], int] = defaultdict(int)
        for family in sorted(families):
            sides = sorted(families[family], key=lambda s: ctx.rank("cmp-side", family, s.node.url, s.key))
            per_family = 0
            for i, a in enumerate(sides):
                for b in sides[i + 1:]:
                    # the cap counts per family: dates cannot use up a page before its quantities
                    if used[(a.node.url, family)] >= cfg.max_comparisons_per_page:
                        break
                    if used[(b.node.url, family)] >= cfg.max_comparisons_per_page or not self._pairable(a, b, cfg):
                        continue
                    pair = (family, a.node.url, a.key, b.node.url, b.key)
                    if made >= cfg.max_comparisons or per_family >= cfg.max_comparisons_per_family:
                        ctx.reject("comparison_cap", pair, url=a.node.url)
                        continue
                    cand = self._candidate(graph, a, b, ctx)
                    if cand is None:
                        continue
                    made += 1
                    per_family += 1
                    used[(a.node.url, family)] += 1
                    used[(b.node.url, family)] += 1
                    yield cand

    # ------------------------------------------------------------------------------------------
    @staticmethod
    def _pairable(a: _Side, b: _Side, cfg) -> bool:
        if a.node.url == b.node.url or norm(a.node.name) == norm(b.node.name):
            return False
        return not (cfg.comparison_cross_root and a.node.root_url == b.node.root_url)

    def _sides(self, node: Node, ctx: MineContext) -> Iterator[_Side]:
        cfg = ctx.cfg
        for fact in node.facts:
            low = fact.key.strip().lower()
            fam = number_family(fact.key)
            if low not in DATE_EVENTS and not fam:
                continue
            answer, why = askable(node, fact, cfg)
            if why:
                continue  # single_hop counts these drops already
            payload = {"page": node.url, "key": fact.key, "value": fact.value}
            if low in DATE_EVENTS:
                parsed = parse_date(answer)
                if parsed is None:
                    ctx.reject("unparseable_value", ("date", node.url, fact.key), url=node.url, payload=payload,
                               detail=f"date {answer!r}")
                    continue
                yield _Side(node, "date", "date", answer, parsed, fact=fact)
            else:
                shown = quantity_text(fact.value)
                parsed = parse_measure(shown)
                if parsed is None:
                    ctx.reject("unparseable_value", ("number", node.url, fact.key), url=node.url,
                               payload=payload, detail=f"quantity {fact.value!r}")
                    continue
                yield _Side(node, f"number:{fam}", "number", shown, parsed, fact=fact)
        for enum in node.enumerations:
            if (enum.kind in _NO_TOTAL_KINDS or enum.incomplete or enum_ambiguous(node, enum) or enum_sublists(node, enum)
                    or volatile_enumeration(enum, node.url)):
                continue  # a volatile list is counted (mine/dropped/volatile) by the count miner
            noun = "charts" if chart_items(enum.items) else enum_noun(enum.label, enum.section)
            keys = {item_key(it) for it in enum.items}
            keys.discard("")
            if not noun or len(keys) != len(enum.items) or not cfg.min_count <= len(enum.items) <= cfg.max_count:
                continue
            yield _Side(node, f"total:{enum.kind}:{noun}", "total", str(len(enum.items)), len(enum.items),
                        enum=enum, keys=keys)

    def _candidate(self, graph: Graph, a: _Side, b: _Side, ctx: MineContext) -> Candidate | None:
        cfg = ctx.cfg
        pair = (a.family, a.node.url, a.key, b.node.url, b.key)
        payload = {"a": {"page": a.node.url, "key": a.key, "value": a.shown},
                   "b": {"page": b.node.url, "key": b.key, "value": b.shown}}
        if a.kind == "date":
            order = compare_dates(a.value, b.value)  # type: ignore[arg-type]
            if order is None:
                ctx.reject("tie", pair, url=a.node.url, payload=payload, detail=f"{a.shown} vs {b.shown}")
                return None
            pick = "earlier" if ctx.rank("cmp-pick", pair) < ctx.rank("cmp-pick-2", pair) else "later"
            winner = a if (order < 0) == (pick == "earlier") else b
            answer = winner.shown
        elif a.kind == "number":
            (x, ux), (y, uy) = a.value, b.value  # type: ignore[misc]
            if ux != uy:
                ctx.reject("unit_mismatch", pair, url=a.node.url, payload=payload, detail=f"{ux!r} vs {uy!r}")
                return None
            if x == y:
                ctx.reject("tie", pair, url=a.node.url, payload=payload, detail=f"{a.shown} vs {b.shown}")
                return None
            pick, winner = "larger", (a if x > y else b)
            answer = winner.shown
        else:
            if a.keys & b.keys:
                ctx.reject("overlapping_items", pair, url=a.node.url, payload=payload,
                           detail=f"{len(a.keys & b.keys)} items on both lists")
                return None
            total = int(a.value) + int(b.value)  # type: ignore[call-overload]
            if total > cfg.max_count:
                ctx.reject("total_out_of_range", pair, url=a.node.url, payload=payload, detail=str(total))
                return None
            pick, winner, answer = "total", None, str(total)
        if winner is not None and norm(a.shown) == norm(b.shown):
            ctx.reject("tie", pair, url=a.node.url, payload=payload, detail="same value as shown")
            return None

        def side(s: _Side) -> dict:
            out = {"url": s.node.url, "root": s.node.root_url, "path": graph.path_to(s.node.url) or [s.node.url],
                   "entity": entity_slots(s.node), "key": s.key, "value": s.shown}
            if s.enum is not None:
                out.update(label=s.enum.label, section=s.enum.section, kind=s.enum.kind,
                           noun="charts" if chart_items(s.enum.items) else enum_noun(s.enum.label, s.enum.section),
                           items=list(s.enum.items))
            return out

        def ev(s: _Side) -> Evidence:
            return fact_evidence(s.node, s.fact) if s.fact is not None else enumeration_evidence(s.node, s.enum)

        sa, sb = side(a), side(b)
        slots = {"kind": a.kind, "family": a.family.split(":", 1)[-1], "pick": pick, "a": sa, "b": sb,
                 "winner": "" if winner is None else ("a" if winner is a else "b"), "answer": answer,
                 "cross_root": a.node.root_url != b.node.root_url}
        return make_candidate(
            type="comparison", miner=self.name, root_url=a.node.root_url,
            source_urls=[a.node.url, b.node.url], golden_path=merge_paths(sa["path"], sb["path"]),
            evidence=[ev(a), ev(b)], answer=answer, hops=2, language=lang(a.node),
            subject=f"{a.node.name} / {b.node.name}", relation=f"{pick} {a.family.split(':')[-1]}", slots=slots,
        )
