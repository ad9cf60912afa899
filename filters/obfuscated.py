"""Re-check of obfuscated questions from their constraint set (a program re-verifies the answer).

The miner records the question as data: ``QARecord.constraints`` (triples with variables, the exact
value behind each obfuscated object, evidence URL and snippet) and, in ``meta_json``, the query the
solver proved unique (predicates per constraint, the binding of each variable, what is asked). This
filter checks, without the crawl:

- ``no_query``: the meta has no query, or it does not match ``constraints`` one to one;
- ``constraint_fails``: an exact value, re-parsed, does not satisfy its obfuscated predicate;
- ``value_not_in_snippet`` / ``snippet_not_in_evidence`` / ``evidence_not_in_sources``: a constraint is
  not backed by the cited page line;
- ``too_few_pages``: the constraints come from fewer than two pages;
- ``single_chain``: the shape is a chain (no node with ≥ 3 edges and no cycle) or is disconnected;
- ``not_unique``: the solver's recorded result is not exactly one answer (one match, or for a name asked the
  target and its namesakes);
- ``answer_mismatch``: the answer is not the bound target's name (or the asked attribute's value);
- ``forbidden_in_question`` / ``constraint_not_stated``: the wording names a crawled title, a subgraph
  entity or the answer, or leaves a constraint out.
"""

from __future__ import annotations

import json
from typing import ClassVar

from filters.base import KEEP, Filter, Verdict, drop, register
from schemas.records import QARecord
from synth.graph.entities import _KEY_TO, _parse_attr, record_types
from synth.graph.sample import connected, shape_ok
from synth.graph.values import holds
from synth.text import contains, norm
from synth.writers.obfuscated import states


def _parsed(vkind: str, key: str, value: str) -> object:
    if vkind in ("nationality", "name"):  # a name cue is re-checked on the target's name itself
        return value
    if vkind == "type":  # "Live album": the sort of album its type row names
        return record_types(value)
    if vkind == "label":
        return _parse_attr("label", "label", value)
    if vkind == "place" and ";" in value and key == "birthplace":  # "Born: date; place"
        return _parse_attr("place", key, value.split(";", 1)[1]) or _parse_attr("place", key, value)
    return _parse_attr(vkind, key, value)


@register
class ObfuscatedRecheck(Filter):
    name: ClassVar[str] = "obfuscated_recheck"
    order: ClassVar[int] = 36
    applies_to: ClassVar[frozenset[str]] = frozenset({"obfuscated"})
    reasons: ClassVar[tuple[str, ...]] = (
        "no_query", "constraint_fails", "value_not_in_snippet", "snippet_not_in_evidence",
        "evidence_not_in_sources", "too_few_pages", "single_chain", "not_unique", "answer_mismatch",
        "forbidden_in_question", "constraint_not_stated",
    )

    def check(self, record: QARecord) -> Verdict:
        try:
            meta = json.loads(record.meta_json or "{}")
        except ValueError:
            return drop("no_query", "meta_json is not JSON")
        query = meta.get("query") or {}
        cons = query.get("constraints") or []
        if not cons or len(cons) != len(record.constraints) or "?x" not in (query.get("vars") or {}):
            return drop("no_query", f"{len(cons)} query constraints, {len(record.constraints)} recorded")
        sources = set(record.source_urls)
        evidence = {(e.url, e.text) for e in record.evidence}
        for q, rc in zip(cons, record.constraints, strict=True):
            if (q["s"], q["p"]) != (rc.subject, rc.relation) or q["url"] != rc.evidence_url:
                return drop("no_query", f"constraint {rc.subject} {rc.relation} differs from the query")
            if rc.evidence_url not in sources:
                return drop("evidence_not_in_sources", rc.evidence_url)
            if (rc.evidence_url, rc.snippet) not in evidence:
                return drop("snippet_not_in_evidence", rc.snippet[:200])
            if not rc.value or not (contains(rc.snippet, rc.value) or norm(rc.value) in norm(rc.snippet)):
                return drop("value_not_in_snippet", f"{rc.value!r} not in {rc.snippet[:200]!r}")
            if q["t"] == "attr" and q["p"] == "name" and \
                    norm(rc.value) != norm((meta.get("names") or {}).get(q["s"], "")):
                return drop("constraint_fails", f"name cue on {rc.value!r}, not on {q['s']}'s name")
            if q["t"] == "attr":
                vkind = q.get("vkind") or (_KEY_TO.get(q["p"]) or ("", ""))[0]
                if not holds(q["pred"], _parsed(vkind, q["p"], rc.value)):
                    return drop("constraint_fails", f"{rc.subject} {rc.relation} {rc.object!r}: value {rc.value!r}")
            elif rc.object != q.get("o"):
                return drop("no_query", f"relation object {rc.object!r} is not {q.get('o')!r}")
        if len({rc.evidence_url for rc in record.constraints}) < 2:
            return drop("too_few_pages")
        if not connected(query) or not shape_ok(query):
            return drop("single_chain", meta.get("shape", ""))
        solver = meta.get("solver") or {}
        ask = meta.get("ask") or {}
        # one answer: one match, or (a name asked) the target and namesakes of it; anything else asked of the
        # target needs the target alone
        if solver.get("answers", solver.get("matches")) != 1 or (ask.get("what") != "name" and solver.get("matches") != 1):
            return drop("not_unique", json.dumps(solver)[:200])
        if ask.get("what") == "attr":
            snip = meta.get("answer_snippet", "")
            if not snip or not contains(snip, record.answer):
                return drop("answer_mismatch", f"{record.answer!r} not in {snip[:200]!r}")
        elif norm((meta.get("names") or {}).get("?x", "")) != norm(record.answer):
            return drop("answer_mismatch", f"{record.answer!r} is not ?x = {(meta.get('names') or {}).get('?x')!r}")
        for f in [record.answer, *record.aliases, *meta.get("forbidden", [])]:
            if f and contains(record.question, f):
                return drop("forbidden_in_question", f)
        for q in cons:
            if not states(record.question, q):
                return drop("constraint_not_stated", f"{q['s']} {q['p']}")
        return KEEP
