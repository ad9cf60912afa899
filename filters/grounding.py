"""The answer is in, or computed from, the cited evidence; computed answers are recomputed.

The miners put re-verification data in ``QARecord.meta_json``:
  count        {"items": [...], "label", "section", "page"}       answer == len(items), items in evidence
  intersection {"a": {"url","label","items"}, "b": {...}, "shared": [...]}   intersection recomputed
  single_hop   {"key", "value", "page"}                          answer from the value, in evidence
  multi_hop    {"path": [...], "fact": {"page","key","value"}}   answer from the fact value, in evidence
  comparison   {"kind", "pick", "a": {"url","root","value"[,"items"]}, "b": {...}, "winner"}
                                                                 values re-read and re-compared
  proposed     {"a": {"url","quotes"}, "b": {...}}               quotes are the evidence, answer in them
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
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
        # items are compared by entity: the keys the miner resolved ('David "Fathead" Newman' and
        # "David Newman", an item linked to a page: synth.miners.base.Graph.entity_key) when given,
        # else their own text; each side's own wording must show in its evidence
        names, other = _keyed(a), _keyed(b)
        keys = set(other) & set(names)
        shared = {norm_answer(names[k]) for k in keys}
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
        for side, shown in ((a, names), (b, other)):
            text = _scope(ev, side.get("url"))
            for k in sorted(keys):
                if not _in_text(shown[k], text):
                    return drop("item_not_in_evidence", f"{shown[k][:80]} @ {side.get('url')}")
        return KEEP


def _keyed(side: dict) -> dict[str, str]:
    """{entity key: the item as the side shows it}: the side's "keys" (parallel to "items") when
    the miner gave them, else each item's normalised text."""
    items = [str(i) for i in side["items"]]
    keys = side.get("keys")
    if not (isinstance(keys, list) and len(keys) == len(items) and all(isinstance(k, str) and k for k in keys)):
        keys = [norm_answer(i) for i in items]
    out: dict[str, str] = {}
    for k, i in zip(keys, items, strict=True):
        out.setdefault(k, i)
    return out


# --- multi-source comparison ------------------------------------------------------------------------
# An independent reading of the compared values (not synth.text's parser): dates through
# datetime.strptime with the formats pages use, quantities by their leading number and unit.
_DATE_FORMATS = (("%d %B %Y", 3), ("%d %b %Y", 3), ("%B %d, %Y", 3), ("%b %d, %Y", 3), ("%Y-%m-%d", 3),
                 ("%B %Y", 2), ("%b %Y", 2))


def read_date(text: str) -> tuple[tuple[int, ...], int] | None:
    """(date parts, precision) of "19 April 2013", "Aug 2, 2023", "March 2009", "1187"; else None."""
    s = " ".join(str(text).replace("Sept ", "Sep ").replace(".", "").split())
    if re.fullmatch(r"\d{3,4}", s):
        return (int(s),), 1
    for fmt, precision in _DATE_FORMATS:
        try:
            d = datetime.strptime(s, fmt)
        except ValueError:
            continue
        return (d.year, d.month, d.day)[:precision], precision
    return None


def read_quantity(text: str) -> tuple[float, str] | None:
    """(number, unit) of "812,400", "34 m (112 ft)", "46:05" (seconds); else None."""
    s = " ".join(str(text).split()).split(" (", 1)[0]
    m = re.fullmatch(r"(?:(\d+):)?(\d{1,2}):(\d{2})", s)
    if m:
        return int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + int(m.group(3)), "s"
    m = re.fullmatch(r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*([A-Za-z%²2]*)", s)
    if not m:
        return None
    return float(m.group(1).replace(",", "") + ("." + m.group(2) if m.group(2) else "")), m.group(3).replace("²", "2")


@register
class ComparisonRecheck(Filter):
    """COMPARISON: two pages under two roots; each side's value is in its page's evidence; the values
    are re-read and re-compared (dates: earlier/later, quantities: larger, lists: the total), and the
    answer is what that comparison gives (the winner's value, or the sum)."""

    name: ClassVar[str] = "comparison_recheck"
    order: ClassVar[int] = 34
    applies_to: ClassVar[frozenset[str]] = frozenset({"comparison"})
    reasons: ClassVar[tuple[str, ...]] = (
        "missing_meta", "too_few_sources", "same_root", "value_not_in_evidence", "unparseable_value",
        "unit_mismatch", "tie", "winner_mismatch", "answer_mismatch", "overlapping_items",
        "item_not_in_evidence", "recount_mismatch",
    )

    def check(self, record: QARecord) -> Verdict:
        meta = load_meta(record.meta_json)
        a, b, kind = meta.get("a"), meta.get("b"), meta.get("kind")
        if not (isinstance(a, dict) and isinstance(b, dict) and kind in ("date", "number", "total")):
            return drop("missing_meta", "meta_json needs 'kind', 'a' and 'b'")
        if not a.get("url") or a.get("url") == b.get("url") or not {a["url"], b["url"]} <= set(record.source_urls):
            return drop("too_few_sources", f"{a.get('url')} / {b.get('url')}")
        if a.get("root") and a.get("root") == b.get("root"):
            return drop("same_root", str(a.get("root")))
        ev = evidence_by_url(record)
        if kind == "total":
            return self._total(record, a, b, ev)
        for side in (a, b):
            if not _in_text(str(side.get("value", "")), ev.get(side["url"], "")):
                return drop("value_not_in_evidence", f"{side.get('value')!r} @ {side['url']}")
        if kind == "date":
            va, vb = read_date(a.get("value", "")), read_date(b.get("value", ""))
            if va is None or vb is None:
                return drop("unparseable_value", f"{a.get('value')!r} / {b.get('value')!r}")
            n = min(va[1], vb[1])
            if va[0][:n] == vb[0][:n]:
                return drop("tie", f"{a.get('value')} / {b.get('value')}")
            a_first = va[0][:n] < vb[0][:n]
            pick = meta.get("pick")
            if pick not in ("earlier", "later"):
                return drop("missing_meta", f"pick {pick!r}")
            winner = "a" if a_first == (pick == "earlier") else "b"
        else:
            qa, qb = read_quantity(a.get("value", "")), read_quantity(b.get("value", ""))
            if qa is None or qb is None:
                return drop("unparseable_value", f"{a.get('value')!r} / {b.get('value')!r}")
            if qa[1] != qb[1]:
                return drop("unit_mismatch", f"{qa[1]!r} / {qb[1]!r}")
            if qa[0] == qb[0]:
                return drop("tie", f"{a.get('value')} / {b.get('value')}")
            winner = "a" if qa[0] > qb[0] else "b"
        if meta.get("winner") and meta["winner"] != winner:
            return drop("winner_mismatch", f"claimed {meta['winner']}, recomputed {winner}")
        side = a if winner == "a" else b
        if not answers_equal(str(record.answer), str(side.get("value", ""))):
            return drop("answer_mismatch", f"answer {record.answer!r}, winner's value {side.get('value')!r}")
        return KEEP

    @staticmethod
    def _total(record: QARecord, a: dict, b: dict, ev: dict[str, str]) -> Verdict:
        ia, ib = a.get("items"), b.get("items")
        if not (isinstance(ia, list) and isinstance(ib, list) and ia and ib):
            return drop("missing_meta", "a total needs the 'items' of both sides")
        ka, kb = {norm_answer(str(x)) for x in ia}, {norm_answer(str(x)) for x in ib}
        if len(ka) != len(ia) or len(kb) != len(ib) or ka & kb:
            return drop("overlapping_items", "an item is listed twice")
        for side, items in ((a, ia), (b, ib)):
            for item in items:
                if not _in_text(str(item), ev.get(side["url"], "")):
                    return drop("item_not_in_evidence", f"{str(item)[:80]} @ {side['url']}")
        n = parse_int(str(record.answer))
        if n is None or n != len(ia) + len(ib):
            return drop("recount_mismatch", f"answer {record.answer!r} != {len(ia)} + {len(ib)}")
        return KEEP


# --- LLM page-pair proposals ------------------------------------------------------------------------
@register
class ProposalGrounded(Filter):
    """PROPOSED: quotes from two different pages are the evidence (as ``meta`` recorded them), and the
    proposed answer is in them. (That each quote occurs in its page's text was checked by the writer,
    which had the text; the quotes' page-text hashes travel in ``meta``.)"""

    name: ClassVar[str] = "proposal_grounded"
    order: ClassVar[int] = 35
    applies_to: ClassVar[frozenset[str]] = frozenset({"proposed"})
    reasons: ClassVar[tuple[str, ...]] = ("missing_meta", "one_page_only", "evidence_mismatch", "answer_not_in_evidence")

    def check(self, record: QARecord) -> Verdict:
        meta = load_meta(record.meta_json)
        a, b = meta.get("a"), meta.get("b")
        if not (isinstance(a, dict) and isinstance(b, dict)
                and isinstance(a.get("quotes"), list) and isinstance(b.get("quotes"), list)):
            return drop("missing_meta", "meta_json needs 'a' and 'b' with 'quotes'")
        ev = evidence_by_url(record)
        if a.get("url") == b.get("url") or not (a.get("url") in ev and b.get("url") in ev):
            return drop("one_page_only", f"{a.get('url')} / {b.get('url')}")
        for side in (a, b):
            for q in side["quotes"]:
                if not contains_phrase(ev[side["url"]], norm_text(str(q))):
                    return drop("evidence_mismatch", f"{str(q)[:80]} @ {side['url']}")
        if not _in_text(str(record.answer), " \n ".join(ev.values())):
            return drop("answer_not_in_evidence", str(record.answer)[:100])
        return KEEP
