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
(``no_prompt``, ``empty_question``, ``too_long``, ``answer_in_question``, ``names_target``,
``value_in_question`` and ``missing_subject`` for a comparison).

Page-pair proposals (candidate type ``proposed``, mined by ``synth.miners.proposal``; WebDancer's
free-form CRAWLQA step): the model gets the clipped texts of two linked pages (prompt
``proposal.<version>``, ledger stage ``propose``) and answers :class:`Proposal` (question, answer,
verbatim quotes from each page). It is kept only when every quote occurs in its page's text
(whitespace-normalised), each page has a quote, the answer is in the quotes and not in the question,
and the question stands alone; then ``Written.proposal`` carries the proposed answer, the quotes as
evidence and details for ``meta_json``. Reasons: the client's, plus ``empty_question``, ``empty_answer``, ``too_long``,
``answer_too_long``, ``no_question_mark``, ``missing_quotes``, ``too_many_quotes``,
``quote_too_long``, ``quote_too_short``, ``quote_not_in_page``, ``answer_not_in_evidence``, ``answer_in_question``,
``not_standalone``. The raw model text is kept on every reject.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from schemas.records import Candidate, Evidence
from synth.llm.client import LLMClient, LLMRequest, LLMResult
from synth.miners.comparison import DATE_EVENTS
from synth.prompts import Prompt, load_prompt
from synth.text import contains, squash
from synth.writers.base import Proposed, Written
from synth.writers.obfuscated import check_question as obfuscated_check
from synth.writers.obfuscated import llm_data as obfuscated_llm_data
from synth.writers.template import NOT_STANDALONE

STAGE = "write"
PROPOSE_STAGE = "propose"
MAX_QUESTION_CHARS = 400
PROMPT_TYPES = ("count", "single_hop", "multi_hop", "intersection")
# the multi-source comparison (kept apart from PROMPT_TYPES, which the single-source tests enumerate)
MULTI_SOURCE_PROMPT_TYPES = ("comparison",)
PROPOSAL_PROMPT = "proposal"
MAX_QUOTES = 3
MAX_QUOTE_CHARS = 300
MIN_QUOTE_CHARS = 8
# phrases that only make sense next to the two pages the model was shown
PAIR_CONTEXT = re.compile(
    r"\b(pages? [ab]|page_[ab]|the (first|second|other|linked) (page|article)|(both|these|the two|two) "
    r"(pages|articles|texts|passages|documents)|the (given|provided|above) (pages|texts))\b", re.I)


class QuestionAnswer(BaseModel):
    """What the model returns: the question only."""

    question: str = Field(description="the question, one sentence ending with a question mark")


class Proposal(BaseModel):
    """What the model returns for a page pair: a question, its answer and verbatim quotes per page."""

    question: str = Field(description="the question, one sentence ending with a question mark")
    answer: str = Field(description="the short answer, written word for word inside the quotes")
    quotes_a: list[str] = Field(description="1-3 passages copied verbatim from the text of page_a")
    quotes_b: list[str] = Field(description="1-3 passages copied verbatim from the text of page_b")


def data_block(data: dict[str, Any]) -> str:
    """JSON for the prompt's DATA block; ``<``/``>`` escaped so the text cannot forge the markers."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def _unquote(s: str) -> str:
    """A quote as the model wrote it, whitespace-normalised, without wrapping quotation marks."""
    t = squash(s)
    while len(t) >= 2 and t[0] in "\"'“‘«" and t[-1] in "\"'”’»":
        t = t[1:-1].strip()
    return t


def _clip(s: Any, n: int) -> str:
    t = str(s or "")
    return t if len(t) <= n else t[: n - 1] + "…"


def _entity(e: dict | None) -> dict:
    e = e or {}
    return {k: e[k] for k in ("name", "kind", "by", "site", "page_ref") if e.get(k)}


class LLMWriter:
    """Implements ``synth.writers.base.Writer`` with a model (see the module docstring)."""

    def __init__(self, client: LLMClient, *, prompt_version: str = "v1", max_evidence_chars: int = 4000,
                 max_items: int = 40, max_answer_chars: int = 80, max_answer_words: int = 10) -> None:
        self.client = client
        self.prompt_version = prompt_version
        self.max_evidence_chars = max_evidence_chars
        self.max_items = max_items
        self.max_answer_chars = max_answer_chars
        self.max_answer_words = max_answer_words
        self._prompts: dict[str, Prompt | None] = {}

    @property
    def name(self) -> str:
        return self.client.model

    # --- Writer --------------------------------------------------------------------------------
    def write(self, candidates: Iterable[Candidate]) -> list[Written]:
        cands = list(candidates)
        out: list[Written | None] = [None] * len(cands)
        reqs: dict[str, list[LLMRequest]] = {STAGE: [], PROPOSE_STAGE: []}
        where: dict[str, list[int]] = {STAGE: [], PROPOSE_STAGE: []}
        for i, c in enumerate(cands):
            stage = PROPOSE_STAGE if c.type == "proposed" else STAGE
            built = self.proposal_request(c, key=str(i)) if stage == PROPOSE_STAGE else self.request(c, key=str(i))
            if isinstance(built, Written):
                out[i] = built
            else:
                reqs[stage].append(built)
                where[stage].append(i)
        for stage, finish in ((STAGE, self.written), (PROPOSE_STAGE, self.proposed)):
            if reqs[stage]:
                for i, res in zip(where[stage], self.client.complete_many(reqs[stage], stage=stage), strict=True):
                    out[i] = finish(cands[i], res)
        return [w for w in out if w is not None]

    # --- parts (public for tests and for callers that batch themselves) --------------------------
    def prompt(self, type_: str) -> Prompt | None:
        if type_ not in self._prompts:
            try:
                known = (*PROMPT_TYPES, *MULTI_SOURCE_PROMPT_TYPES, PROPOSAL_PROMPT, "obfuscated")
                self._prompts[type_] = load_prompt(type_, self.prompt_version) if type_ in known else None
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
        if c.type == "obfuscated":  # every constraint in words + forbidden strings (synth/writers/obfuscated.py)
            return obfuscated_llm_data(c, slots)
        d: dict[str, Any] = {"type": c.type, "language": c.language or "en", "answer": c.answer}
        forbidden = [c.answer]
        if c.type == "count":
            d["counted"] = {k: slots[k] for k in ("label", "noun", "section", "kind", "navbox", "leadin")
                            if slots.get(k)}
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
        elif c.type == "comparison":
            d["kind"], d["pick"] = slots.get("kind", ""), slots.get("pick", "")
            for side in ("a", "b"):
                s = slots.get(side) or {}
                e = _entity(s.get("entity")) or {"name": s.get("subject", "")}
                if d["kind"] == "date":
                    e["event"] = DATE_EVENTS.get(str(s.get("key", "")).strip().lower(), "{e}").format(e=e.get("name", ""))
                elif d["kind"] == "number":
                    e["attribute"] = s.get("key", "")
                else:
                    e.update({k: s[k] for k in ("label", "section", "noun", "kind") if s.get(k)})
                d[side] = e
                if d["kind"] != "total":
                    forbidden.append(str(s.get("value") or ""))  # neither value: the agent looks both up
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
        if c.type == "obfuscated":  # every constraint stated, no forbidden string (counted reject otherwise)
            return obfuscated_check(q, slots, c.answer)
        answers = (slots.get("shared") if c.type == "intersection" else None) or [c.answer]
        for a in answers:
            if a and contains(q, str(a)):
                return "answer_in_question", f"{a!r} in {q!r}"
        if c.type == "multi_hop":
            target = (slots.get("target") or {}).get("name", "")
            if target and contains(q, target):
                return "names_target", f"{target!r} in {q!r}"
        if c.type == "comparison":
            for side in ("a", "b"):
                s = slots.get(side) or {}
                value = str(s.get("value") or "")
                if slots.get("kind") != "total" and value and contains(q, value):
                    return "value_in_question", f"{value!r} in {q!r}"
                name = (s.get("entity") or {}).get("name", "")
                if name and not contains(q, name):
                    return "missing_subject", f"{name!r} not named in {q!r}"
        return "", ""

    # --- page-pair proposals --------------------------------------------------------------------
    def proposal_request(self, c: Candidate, *, key: str = "") -> LLMRequest | Written:
        """The proposal request for a page-pair candidate (the two pages' clipped texts), or a reject."""
        p = self.prompt(PROPOSAL_PROMPT)
        if p is None:
            return Written(c, reject_reason="no_prompt", detail=f"no {PROPOSAL_PROMPT}.{self.prompt_version} prompt")
        pages = self._pair_pages(c)
        if pages is None:
            return Written(c, reject_reason="bad_slots", detail="a proposal needs two pages with text")
        data = {"language": c.language or "en",
                "page_a": {**pages[0]["entity"], "url": pages[0]["url"], "text": pages[0]["text"]},
                "page_b": {**pages[1]["entity"], "url": pages[1]["url"], "text": pages[1]["text"]},
                "link_text": pages[2]}
        return LLMRequest(messages=p.messages(data=data_block(data)), schema=Proposal, key=key or c.id,
                          prompt_version=p.version)

    @staticmethod
    def _pair_pages(c: Candidate) -> tuple[dict, dict, str] | None:
        try:
            slots = json.loads(c.slots_json or "{}")
        except ValueError:
            return None
        if not isinstance(slots, dict) or len(c.evidence) != 2 or c.evidence[0].url == c.evidence[1].url:
            return None
        out = []
        for side, ev in zip(("a", "b"), c.evidence, strict=True):
            s = slots.get(side) or {}
            out.append({"url": ev.url, "text": ev.text, "entity": _entity(s.get("entity")) or {"name": c.subject}})
        return out[0], out[1], str(slots.get("anchor") or "")

    def proposed(self, c: Candidate, res: LLMResult) -> Written:
        """The checked proposal (question, answer, quotes as evidence), or a reject with the raw text."""
        p = self.prompt(PROPOSAL_PROMPT)
        extra = {"model": self.client.model, "prompt": f"{PROPOSAL_PROMPT}.{self.prompt_version}",
                 "prompt_sha": p.sha if p else "", "cached": res.cached, "kind": "proposed",
                 "prompt_tokens": res.prompt_tokens, "completion_tokens": res.completion_tokens}
        if not res.ok or not isinstance(res.parsed, Proposal):
            return Written(c, reject_reason=res.error or "no_answer", detail=res.detail, raw=res.raw, extra=extra)
        pages = self._pair_pages(c)
        if pages is None:
            return Written(c, reject_reason="bad_slots", detail="a proposal needs two pages with text", raw=res.raw,
                           extra=extra)
        prop = res.parsed
        q, a = squash(prop.question), squash(prop.answer)
        quotes = ([_unquote(x) for x in prop.quotes_a if x.strip()], [_unquote(x) for x in prop.quotes_b if x.strip()])
        why, detail = self.check_proposal(q, a, quotes, (pages[0]["text"], pages[1]["text"]))
        if why:
            return Written(c, reject_reason=why, detail=detail, raw=res.raw, extra=extra)
        evidence = [Evidence(url=pg["url"], text=x) for pg, qs in zip(pages[:2], quotes, strict=True) for x in qs]
        meta = {"kind": "proposed", "model": self.client.model, "prompt": extra["prompt"]}
        for side, pg, qs in zip(("a", "b"), pages[:2], quotes, strict=True):
            meta[side] = {"url": pg["url"], "subject": pg["entity"].get("name", ""), "quotes": qs,
                          "text_chars": len(pg["text"]),
                          "text_sha": hashlib.sha256(squash(pg["text"]).encode("utf-8")).hexdigest()[:16]}
        return Written(c, question=q, proposal=Proposed(a, evidence, meta), raw=res.raw, extra=extra)

    def check_proposal(self, q: str, a: str, quotes: tuple[list[str], list[str]],
                       texts: tuple[str, str]) -> tuple[str, str]:
        """``(reason, detail)`` of the first failed check of a proposal, or ``("", "")``."""
        if not q:
            return "empty_question", ""
        if not a:
            return "empty_answer", ""
        if len(q) > MAX_QUESTION_CHARS:
            return "too_long", f"{len(q)} chars"
        if len(a) > self.max_answer_chars or len(a.split()) > self.max_answer_words:
            return "answer_too_long", a[:200]
        if not q.endswith("?"):
            return "no_question_mark", q[-40:]
        for side, qs, text in zip("ab", quotes, texts, strict=True):
            if not qs:
                return "missing_quotes", f"no quote from page {side}"
            if len(qs) > MAX_QUOTES:
                return "too_many_quotes", f"{len(qs)} quotes from page {side}"
            page = squash(text)
            for x in qs:
                if len(x) > MAX_QUOTE_CHARS or len(x) < MIN_QUOTE_CHARS:
                    return "quote_too_long" if len(x) > MAX_QUOTE_CHARS else "quote_too_short", x[:200]
                if x not in page:
                    return "quote_not_in_page", f"page {side}: {x[:200]!r}"
        if not contains(" \n ".join(quotes[0] + quotes[1]), a):
            return "answer_not_in_evidence", a
        if contains(q, a):
            return "answer_in_question", f"{a!r} in {q!r}"
        m = NOT_STANDALONE.search(q) or PAIR_CONTEXT.search(q)
        if m:
            return "not_standalone", m.group(0)
        return "", ""
