"""A written candidate → a ``QARecord`` with the provenance and the details filters re-verify.

``meta_json`` per type (what an independent checker needs, nothing more):

- count:        {"items": [...], "label", "section", "kind", "page": url}
- multi_hop:    {"path": [{"from": url, "to": url, "anchor": text}, ...],
                 "fact": {"page": url, "key", "value"}}
- intersection: {"a": {"url", "label", "items"}, "b": {...}, "shared": [...], "excluded": [...]}
                (items: the entities compared; "excluded": common items that name a page's subject,
                set aside by the question: "Besides Ray Charles, which …")
- single_hop:   {"key", "value", "page": url}
- comparison:   {"kind": "date"|"number"|"total", "pick": "earlier"|"later"|"larger"|"total",
                 "a": {"url", "root", "path", "subject", "key", "value", ["items"]}, "b": {...},
                 "winner": "a"|"b"|""} (each side's page, its click path from its own root, the fact)
- proposed:     {"kind": "proposed", "a": {"url", "subject", "quotes", "text_sha"}, "b": {...}}
                (quotes: the model's verbatim quotes, found in the page text the writer showed it)

plus ``miner`` and ``candidate_id``.
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlsplit

from schemas.ids import qa_id
from schemas.records import Candidate, QARecord
from synth.writers.base import Written


def difficulty(hops: int) -> int:
    """1 for one page, 2 for two, 3 for three or more."""
    return max(1, min(3, hops))


def meta_for(c: Candidate) -> dict:
    s = json.loads(c.slots_json or "{}")
    meta: dict = {"miner": c.miner, "candidate_id": c.id}
    if c.type == "count":
        meta.update(items=s.get("items", []), label=s.get("label", ""), section=s.get("section", ""),
                    kind=s.get("kind", ""), page=s.get("page", c.source_urls[0] if c.source_urls else ""))
    elif c.type == "multi_hop":
        fact = s.get("fact", {})
        meta.update(
            path=[{"from": h["from"], "to": h["to"], "anchor": h.get("anchor", "")} for h in s.get("hops", [])],
            fact={"page": fact.get("page", ""), "key": fact.get("key", ""), "value": fact.get("value", "")},
        )
    elif c.type == "intersection":
        a, b = s.get("a", {}), s.get("b", {})
        meta.update(
            # "keys": the entity key of each item (aliases, links resolved), read by intersection_recount
            a={"url": a.get("url", ""), "label": a.get("label", ""), "items": a.get("items", []),
               "keys": a.get("keys", [])},
            b={"url": b.get("url", ""), "label": b.get("label", ""), "items": b.get("items", []),
               "keys": b.get("keys", [])},
            shared=s.get("shared", []), excluded=s.get("excluded", []),
        )
    elif c.type == "single_hop":
        meta.update(key=s.get("key", ""), value=s.get("value", ""),
                    page=s.get("page", c.source_urls[0] if c.source_urls else ""))
    elif c.type == "comparison":
        def side(x: dict) -> dict:
            out = {k: x.get(k, "") for k in ("url", "root", "path", "key", "value")}
            out["subject"] = (x.get("entity") or {}).get("name", "")
            if "items" in x:
                out.update(items=x["items"], label=x.get("label", ""), section=x.get("section", ""))
            return out

        meta.update(kind=s.get("kind", ""), family=s.get("family", ""), pick=s.get("pick", ""),
                    a=side(s.get("a", {})), b=side(s.get("b", {})), winner=s.get("winner", ""))
    elif c.type == "proposed":
        meta.update(kind="proposed", anchor=s.get("anchor", ""))
    elif c.type == "obfuscated":  # the predicates, binding and solver result (filters/obfuscated.py)
        meta.update(s.get("meta", {}))
    return meta


def to_record(w: Written, *, writer_name: str, prompt_version: str, run_id: str, created_at: datetime) -> QARecord:
    """The QA record of a successfully written candidate (raises ``ValueError`` for a rejected one)."""
    if not w.ok or w.question is None:
        raise ValueError(f"candidate {w.candidate.id} was not written: {w.reject_reason}")
    c = w.candidate
    p = w.proposal
    if (c.type == "proposed") != (p is not None):
        raise ValueError(f"candidate {c.id} ({c.type}): a proposal answer only for a proposed page pair")
    answer = c.answer if p is None else p.answer
    evidence = list(c.evidence) if p is None else list(p.evidence)
    meta = meta_for(c)
    if p is not None:
        meta.update(p.meta)
    return QARecord(
        id=qa_id(c.type, w.question, answer, c.source_urls),
        type=c.type, question=w.question, answer=answer, root_url=c.root_url,
        source_urls=list(c.source_urls), golden_path=list(c.golden_path), evidence=evidence,
        hops=c.hops, language=c.language or "en", writer=writer_name, prompt_version=prompt_version,
        difficulty=difficulty(c.hops), run_id=run_id, created_at=created_at,
        domain=urlsplit(c.root_url).netloc, candidate_id=c.id,
        meta_json=json.dumps(meta, ensure_ascii=False, sort_keys=True),
        aliases=list(c.aliases), constraints=list(c.constraints),
        # the latest date of the source pages (synth.asof); a candidate mined without page dates is
        # as of the run's start, a lower bound of its pages' fetch day
        as_of=c.as_of or created_at.date(), as_of_source=c.as_of_source if c.as_of else "fetched",
    )
