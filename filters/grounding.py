"""The answer is in, or computed from, the cited evidence; computed answers are recomputed.

The miners put re-verification data in ``QARecord.meta_json``:
  count        {"items": [...], "label", "section", "page"}       answer == len(items), items in evidence
  intersection {"a": {"url","label","items"}, "b": {...}, "shared": [...]}   intersection recomputed
  single_hop   {"key", "value", "page"}                          answer from the value, in evidence
  multi_hop    {"path": [...], "fact": {"page","key","value"}}   answer from the fact value, in evidence
"""

from __future__ import annotations

from collections import defaultdict
from typing import ClassVar

from filters.base import KEEP, Filter, Verdict, drop, register
from filters.text import (
    answer_is_set,
    answer_items,
    answers_equal,
    contains_phrase,
    load_meta,
    norm_answer,
    norm_text,
    parse_int,
)
from schemas.records import QARecord


def evidence_by_url(record: QARecord) -> dict[str, str]:
    """Normalised evidence text per URL (several snippets of one page are joined)."""
    parts: dict[str, list[str]] = defaultdict(list)
    for e in record.evidence:
        parts[e.url].append(norm_text(e.text))
    return {u: " \n ".join(t) for u, t in parts.items()}


def _in_text(item: str, text_norm: str) -> bool:
    return contains_phrase(text_norm, norm_text(item)) or contains_phrase(text_norm, norm_answer(item))


def _from_value(answer: str, value: str) -> bool:
    """The answer is the fact's value, or a part of it (a date out of "4 April 1976 (age 47)")."""
    return answers_equal(answer, value) or _in_text(answer, norm_text(value))


def _scope(ev: dict[str, str], page: object) -> str:
    """Evidence of ``page`` when the record has evidence from it, else all evidence."""
    if isinstance(page, str) and page in ev:
        return ev[page]
    return " \n ".join(ev.values())


@register
class Grounded(Filter):
    """An extracted answer (single/multi-hop, E2H) appears in the evidence (of the fact's page)."""

    name: ClassVar[str] = "grounded"
    order: ClassVar[int] = 40
    applies_to: ClassVar[frozenset[str]] = frozenset({"single_hop", "multi_hop", "e2h"})
    reasons: ClassVar[tuple[str, ...]] = ("answer_mismatch", "answer_not_in_evidence")

    def check(self, record: QARecord) -> Verdict:
        meta = load_meta(record.meta_json)
        fact = meta.get("fact") if record.type == "multi_hop" else meta
        page = None
        if isinstance(fact, dict):
            page = fact.get("page")
            value = fact.get("value")
            if value is not None and str(value).strip() and not _from_value(str(record.answer), str(value)):
                return drop("answer_mismatch", f"answer {record.answer!r} not in fact value {value!r}"[:200])
        text = _scope(evidence_by_url(record), page)
        answer = str(record.answer)
        if _in_text(answer, text):
            return KEEP
        items = answer_items(answer)
        if len(items) > 1 and all(contains_phrase(text, i) for i in items):
            return KEEP
        return drop("answer_not_in_evidence", answer[:100])


@register
class CountRecount(Filter):
    """COUNT: an integer answer equal to the number of listed items, each item in the evidence."""

    name: ClassVar[str] = "count_recount"
    order: ClassVar[int] = 30
    applies_to: ClassVar[frozenset[str]] = frozenset({"count"})
    reasons: ClassVar[tuple[str, ...]] = (
        "missing_meta", "not_integer", "empty_count", "recount_mismatch", "duplicate_items",
        "item_not_in_evidence",
    )

    def check(self, record: QARecord) -> Verdict:
        meta = load_meta(record.meta_json)
        items = meta.get("items")
        if not isinstance(items, list) or not all(isinstance(i, str | int | float) for i in items):
            return drop("missing_meta", "meta_json has no 'items' list")
        n = parse_int(str(record.answer))
        if n is None:
            return drop("not_integer", str(record.answer)[:50])
        if not items:
            return drop("empty_count")
        if n != len(items):
            return drop("recount_mismatch", f"answer {n} != {len(items)} items")
        normed = [norm_answer(str(i)) for i in items]
        if len(set(normed)) != len(normed):
            dup = next(x for x in normed if normed.count(x) > 1)
            return drop("duplicate_items", dup[:100])
        text = _scope(evidence_by_url(record), meta.get("page"))
        for item in items:
            if not _in_text(str(item), text):
                return drop("item_not_in_evidence", str(item)[:100])
        return KEEP


@register
class IntersectionRecount(Filter):
    """INTERSECTION: recompute the shared items of the two lists; the answer states them (or their count)."""

    name: ClassVar[str] = "intersection_recount"
    order: ClassVar[int] = 31
    applies_to: ClassVar[frozenset[str]] = frozenset({"intersection"})
    reasons: ClassVar[tuple[str, ...]] = (
        "missing_meta", "too_few_sources", "shared_mismatch", "empty_intersection",
        "recount_mismatch", "answer_mismatch", "item_not_in_evidence",
    )

    def check(self, record: QARecord) -> Verdict:
        meta = load_meta(record.meta_json)
        a, b = meta.get("a"), meta.get("b")
        if not (isinstance(a, dict) and isinstance(b, dict)
                and isinstance(a.get("items"), list) and isinstance(b.get("items"), list)):
            return drop("missing_meta", "meta_json needs 'a' and 'b' with 'items'")
        if a.get("url") == b.get("url") or len(set(record.source_urls)) < 2:
            return drop("too_few_sources", f"{a.get('url')} / {b.get('url')}")
        names: dict[str, str] = {}
        for i in a["items"]:
            names.setdefault(norm_answer(str(i)), str(i))
        shared = {norm_answer(str(i)) for i in b["items"]} & set(names)
        claimed = meta.get("shared")
        if isinstance(claimed, list) and {norm_answer(str(i)) for i in claimed} != shared:
            return drop("shared_mismatch", f"claimed {len(claimed)}, recomputed {len(shared)}")
        if not shared:
            return drop("empty_intersection")
        n = parse_int(str(record.answer))
        if n is not None:
            if n != len(shared):
                return drop("recount_mismatch", f"answer {n} != {len(shared)} shared items")
        elif not answer_is_set(str(record.answer), shared):
            return drop("answer_mismatch", str(record.answer)[:100])
        ev = evidence_by_url(record)
        for side in (a, b):
            text = _scope(ev, side.get("url"))
            for s in sorted(shared):
                if not _in_text(names[s], text):
                    return drop("item_not_in_evidence", f"{names[s][:80]} @ {side.get('url')}")
        return KEEP
