"""A valid obfuscated record (mined, worded and assembled from the hand-made music world) and one
tampered copy per declared reason of ``filters/obfuscated.py``, for ``test_validity``'s reason table."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime

from pipelines.counters import Counters
from schemas.records import Evidence
from synth.assemble import to_record
from synth.config import SynthConfig
from synth.mine import mine
from synth.writers.obfuscated import write_obfuscated


@functools.cache
def _record_json() -> str:
    from tests.synth.graph.world import music_world

    cands = list(mine(music_world(), SynthConfig(miners=["obfuscated"], obfuscated_attr_answers=False),
                      Counters(), lambda r: None))
    for c in cands:  # a star around ?x with a "by" relation to a described ?y
        cons = json.loads(c.slots_json)["constraints"]
        by = [k for k in cons if k["t"] == "rel" and k["s"] == "?x" and k["o"] == "?y"]
        if by and any(k["t"] == "attr" and k["s"] == "?y" for k in cons) and len(cons) >= 4:
            w = write_obfuscated(c)
            if w.ok:
                rec = to_record(w, writer_name="template", prompt_version="template-v1", run_id="run-1",
                                created_at=datetime(2026, 1, 1, tzinfo=UTC))
                return rec.model_dump_json()
    raise RuntimeError("no obfuscated record with a 'by' star in the music world")


def base() -> dict:
    """Fields of a valid obfuscated QARecord (a fresh copy each call)."""
    return json.loads(_record_json())


def _meta() -> dict:
    return json.loads(base()["meta_json"])


def _attr_index() -> int:
    return next(i for i, c in enumerate(_meta()["query"]["constraints"]) if c["t"] == "attr")


def _one_page() -> dict:
    b, m = base(), _meta()
    url = b["source_urls"][0]
    cons = [{**c, "evidence_url": url} for c in b["constraints"]]
    for q in m["query"]["constraints"]:
        q["url"] = url
    ev = b["evidence"] + [{"url": url, "text": c["snippet"]} for c in b["constraints"]]
    return {"constraints": cons, "meta": m, "evidence": [Evidence(**e) for e in ev]}


def _chain() -> dict:
    """Two constraints: ?x by ?y, and one attribute of ?y (a chain, no node with three edges)."""
    b, m = base(), _meta()
    qs = m["query"]["constraints"]
    i = next(k for k, c in enumerate(qs) if c["t"] == "rel" and c["s"] == "?x" and c["o"] == "?y")
    j = next(k for k, c in enumerate(qs) if c["t"] == "attr" and c["s"] == "?y")
    m["query"] = {"vars": {v: k for v, k in m["query"]["vars"].items() if v in ("?x", "?y")},
                  "constraints": [qs[i], qs[j]]}
    return {"constraints": [b["constraints"][i], b["constraints"][j]], "meta": m}


def cases() -> list[tuple[str, str, dict]]:
    a = _attr_index()
    forbidden = [f for f in _meta()["forbidden"] if f]
    q = base()["question"]
    return [
        ("obfuscated_recheck/no_query", "obfuscated", {"meta": {**_meta(), "query": {}}}),
        ("obfuscated_recheck/constraint_fails", "obfuscated",
         {"meta": _query_at(a, {"pred": {"op": "eq", "v": "nothing like it"}})}),
        ("obfuscated_recheck/value_not_in_snippet", "obfuscated", {"constraints": _constraints_at(a, {"value": "zzz"})}),
        ("obfuscated_recheck/snippet_not_in_evidence", "obfuscated",
         {"constraints": _constraints_at(a, {"snippet": "a line no page has"})}),
        ("obfuscated_recheck/evidence_not_in_sources", "obfuscated",
         {"constraints": _constraints_at(a, {"evidence_url": "http://127.0.0.1:8000/elsewhere.html"}),
          "meta": _query_at(a, {"url": "http://127.0.0.1:8000/elsewhere.html"})}),
        ("obfuscated_recheck/too_few_pages", "obfuscated", _one_page()),
        ("obfuscated_recheck/single_chain", "obfuscated", _chain()),
        ("obfuscated_recheck/not_unique", "obfuscated", {"meta": {**_meta(), "solver": {"matches": 2}}}),
        ("obfuscated_recheck/answer_mismatch", "obfuscated", {"answer": "Somebody Else"}),
        ("obfuscated_recheck/forbidden_in_question", "obfuscated",
         {"question": q[:-1] + f" (not {forbidden[0].title()})?"}),
        ("obfuscated_recheck/constraint_not_stated", "obfuscated",
         {"question": "Which thing, among all the things one could think of in this wide world, is the one meant here?"}),
    ]


def _constraints_at(i: int, upd: dict) -> list[dict]:
    cons = base()["constraints"]
    cons[i] = {**cons[i], **upd}
    return cons


def _query_at(i: int, upd: dict) -> dict:
    m = _meta()
    m["query"]["constraints"][i] = {**m["query"]["constraints"][i], **upd}
    return m
