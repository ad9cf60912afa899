"""The LLM writer: a model words the question; the program's answer is never touched.

One request per candidate, with the prompt of its type (``synth/prompts/<type>.<version>.txt``). The
prompt's instructions are fixed text; everything taken from the candidate (evidence, names, labels,
the answer) goes in one JSON document between ``<<<DATA`` and ``DATA>>>`` lines, with ``<`` and ``>``
escaped (``\\u003c``/``\\u003e``) so page text can never close the block or open a new one. The
system message tells the model that the block is untrusted data, never instructions. So a page
saying "ignore all previous instructions and ..." reaches the model only as a quoted JSON string, and
the instructions are byte-identical whatever the page says.

The model answers ``{"question": "..."}``; the writer checks it (non-empty, at most 400 characters, no
answer or — for multi-hop — target name in it, as the template writer does) and returns a
:class:`Written`. Failures keep the raw model text: ``Written(reject_reason=<client error or check>,
raw=...)``. Reasons: the client's (``refusal``, ``empty``, ``parse_error``, ``schema_violation``,
``truncated``, ``budget_exhausted``, ``rate_limited``, ``timeout``, ``connection_error``,
``http_error``, ``bad_response``, ``auth_error``, ``not_found``, ``quota_exhausted``) and the writer's
(``no_prompt``, ``empty_question``, ``too_long``, ``answer_in_question``, ``names_target``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from schemas.records import Candidate
from synth.llm.client import LLMClient, LLMRequest, LLMResult
from synth.prompts import Prompt, load_prompt
from synth.text import contains
from synth.writers.base import Written

STAGE = "write"
MAX_QUESTION_CHARS = 400
PROMPT_TYPES = ("count", "single_hop", "multi_hop", "intersection")


class QuestionAnswer(BaseModel):
    """What the model returns: the question only."""

    question: str = Field(description="the question, one sentence ending with a question mark")


def data_block(data: dict[str, Any]) -> str:
    """JSON for the prompt's DATA block; ``<``/``>`` escaped so the text cannot forge the markers."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def _clip(s: Any, n: int) -> str:
    t = str(s or "")
    return t if len(t) <= n else t[: n - 1] + "…"


def _entity(e: dict | None) -> dict:
    e = e or {}
    return {k: e[k] for k in ("name", "kind", "by", "site", "page_ref") if e.get(k)}


class LLMWriter:
    """Implements ``synth.writers.base.Writer`` with a model (see the module docstring)."""

    def __init__(self, client: LLMClient, *, prompt_version: str = "v1", max_evidence_chars: int = 4000,
                 max_items: int = 40) -> None:
        self.client = client
        self.prompt_version = prompt_version
        self.max_evidence_chars = max_evidence_chars
        self.max_items = max_items
        self._prompts: dict[str, Prompt | None] = {}

    @property
    def name(self) -> str:
        return self.client.model

    # --- Writer --------------------------------------------------------------------------------
    def write(self, candidates: Iterable[Candidate]) -> list[Written]:
        cands = list(candidates)
        out: list[Written | None] = [None] * len(cands)
        reqs: list[LLMRequest] = []
        where: list[int] = []
        for i, c in enumerate(cands):
            built = self.request(c, key=str(i))
            if isinstance(built, Written):
                out[i] = built
            else:
                reqs.append(built)
                where.append(i)
        for i, res in zip(where, self.client.complete_many(reqs, stage=STAGE), strict=True):
            out[i] = self.written(cands[i], res)
        return [w for w in out if w is not None]

    # --- parts (public for tests and for callers that batch themselves) --------------------------
    def prompt(self, type_: str) -> Prompt | None:
        if type_ not in self._prompts:
            try:
                self._prompts[type_] = load_prompt(type_, self.prompt_version) if type_ in PROMPT_TYPES else None
            except FileNotFoundError:
                self._prompts[type_] = None
        return self._prompts[type_]

    def request(self, c: Candidate, *, key: str = "") -> LLMRequest | Written:
        """The request for one candidate, or a ``Written`` reject when it cannot be asked."""
        p = self.prompt(c.type)
        if p is None:
            return Written(c, reject_reason="no_prompt", detail=f"no {c.type}.{self.prompt_version} prompt")
        try:
            slots = json.loads(c.slots_json or "{}")
        except ValueError as e:
            return Written(c, reject_reason="bad_slots", detail=f"slots_json: {e}")
        if not isinstance(slots, dict):
            return Written(c, reject_reason="bad_slots", detail="slots_json is not an object")
        data = self.data(c, slots)
        return LLMRequest(messages=p.messages(data=data_block(data)), schema=QuestionAnswer,
                          key=key or c.id, prompt_version=p.version)

    def data(self, c: Candidate, slots: dict) -> dict[str, Any]:
        """The DATA document of a candidate: type-specific fields, then the evidence."""
        d: dict[str, Any] = {"type": c.type, "language": c.language or "en", "answer": c.answer}
        forbidden = [c.answer]
        if c.type == "count":
            d["counted"] = {k: slots[k] for k in ("label", "noun", "section", "kind", "navbox") if slots.get(k)}
            d["page"] = {"subject": slots.get("subject") or c.subject, "page_ref": slots.get("page_ref", ""),
                         "site": slots.get("site", ""), "url": slots.get("page", c.source_urls[0] if c.source_urls else "")}
        elif c.type == "single_hop":
            d["entity"] = _entity(slots.get("entity")) or {"name": c.subject}
            d["attribute"] = slots.get("key") or c.relation
        elif c.type == "multi_hop":
            d["start"] = _entity(slots.get("start")) or {"name": c.subject}
            hops = []
            for i, h in enumerate(slots.get("hops", [])):
                hops.append({k: h[k] for k in ("via", "key", "position", "kind", "label", "section") if h.get(k)})
                forbidden.append(str(h.get("anchor") or ""))  # the link text names the next page
                if i > 0:  # a page reached on the way
                    forbidden.append(str((h.get("from_entity") or {}).get("name") or ""))
            d["hops"] = hops
            d["attribute"] = (slots.get("fact") or {}).get("key") or c.relation
            target = (slots.get("target") or {}).get("name", "")
            if target:
                forbidden.append(target)
        elif c.type == "intersection":
            for side in ("a", "b"):
                s = slots.get(side) or {}
                d[side] = {k: s[k] for k in ("subject", "page_ref", "site", "label", "kind") if s.get(k)}
            d["noun"] = slots.get("noun", "")
            shared = [str(x) for x in slots.get("shared", [])]
            d["shared_count"] = len(shared)
            forbidden.extend(shared)
        d["forbidden"] = sorted({f for f in forbidden if f})
        d["evidence"] = self._evidence(c)
        return d

    def _evidence(self, c: Candidate) -> list[dict[str, str]]:
        budget = self.max_evidence_chars
        out = []
        for ev in c.evidence:
            if budget <= 0:
                break
            text = _clip(ev.text, min(budget, max(200, self.max_evidence_chars // max(1, len(c.evidence)))))
            budget -= len(text)
            out.append({"url": ev.url, "text": text})
        return out

    def written(self, c: Candidate, res: LLMResult) -> Written:
        """The ``Written`` for a client result: the checked question, or a reject with the raw text."""
        extra = {"model": self.client.model, "prompt": f"{c.type}.{self.prompt_version}",
                 "prompt_sha": (p.sha if (p := self.prompt(c.type)) else ""), "cached": res.cached,
                 "prompt_tokens": res.prompt_tokens, "completion_tokens": res.completion_tokens}
        if not res.ok or not isinstance(res.parsed, QuestionAnswer):
            return Written(c, reject_reason=res.error or "no_answer", detail=res.detail, raw=res.raw, extra=extra)
        q = " ".join(res.parsed.question.split())
        why, detail = self.check(c, q)
        if why:
            return Written(c, reject_reason=why, detail=detail, raw=res.raw, extra=extra)
        return Written(c, question=q, raw=res.raw, extra=extra)

    @staticmethod
    def check(c: Candidate, q: str) -> tuple[str, str]:
        """The template writer's checks on a worded question: ``(reason, detail)`` or ``("", "")``."""
        if not q:
            return "empty_question", ""
        if len(q) > MAX_QUESTION_CHARS:
            return "too_long", f"{len(q)} chars"
        try:
            slots = json.loads(c.slots_json or "{}")
        except ValueError:
            slots = {}
        answers = (slots.get("shared") if c.type == "intersection" else None) or [c.answer]
        for a in answers:
            if a and contains(q, str(a)):
                return "answer_in_question", f"{a!r} in {q!r}"
        if c.type == "multi_hop":
            target = (slots.get("target") or {}).get("name", "")
            if target and contains(q, target):
                return "names_target", f"{target!r} in {q!r}"
        return "", ""
