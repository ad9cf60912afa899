"""Closed-book screen: a question a model answers correctly with no evidence is too easy.

Each question is sent ``closed_book_samples`` times (no evidence, prompt ``prompts/closed_book.txt``)
through ``synth.llm.LLMClient``; the share of correct answers is ``QARecord.solve_rate``. A question
is *easy* when that rate reaches ``closed_book_easy_at``:

* ``mark``: kept; ``difficulty`` lowered by one (floor 1) and ``meta_json["closed_book"]`` records
  the rate, the samples and the model;
* ``drop``: rejected as ``closed_book/solved`` (stage ``filter``);
* ``off``: records pass untouched, no call.

With several samples, each request carries a sample tag so the content-addressed LLM cache keeps
them apart; they only differ when the client's temperature is above 0. A failed or unparsable call
is not a sample: when every sample failed the record is kept with ``solve_rate = None`` and counted
``closed_book/llm_error``.

Counters: ``closed_book/total``, ``closed_book/kept``, ``closed_book/easy``, ``closed_book/llm_error``,
``closed_book/samples_ok``, ``filter/dropped/closed_book/solved``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from filters.base import reject_for
from filters.config import FilterConfig
from filters.form import NON_ANSWERS
from filters.text import (
    answer_is_set,
    answers_equal,
    contains_phrase,
    load_meta,
    norm_answer,
    norm_text,
    parse_number,
)
from pipelines.counters import Counters
from schemas.records import QARecord, Reject

PROMPT_FILE = Path(__file__).resolve().parent / "prompts" / "closed_book.txt"
STAGE = "closed_book"


class ClosedBookAnswer(BaseModel):
    """What the model is asked to return."""

    model_config = ConfigDict(extra="ignore")
    answer: str


class _Client(Protocol):
    """The part of ``synth.llm.LLMClient`` the screen uses."""

    @property
    def model(self) -> str: ...

    def complete_many(self, reqs: Sequence[Any], *, stage: str) -> list[Any]: ...


@dataclass(frozen=True)
class _Prompt:
    version: str
    system: Template
    user: Template


@cache
def load_prompt() -> _Prompt:
    text = PROMPT_FILE.read_text(encoding="utf-8")
    m = re.search(r"^version:\s*(\S+)\s*$", text, re.M | re.I)
    if not m:
        raise ValueError(f"{PROMPT_FILE} has no 'Version:' line")
    parts = re.split(r"^###\s*(system|user)\s*$", text, flags=re.M)
    sections = {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    if set(sections) != {"system", "user"}:
        raise ValueError(f"{PROMPT_FILE} needs '### system' and '### user' sections")
    return _Prompt(m.group(1), Template(sections["system"].strip()), Template(sections["user"].strip()))


def _tokens(s: str) -> list[str]:
    return norm_answer(s).split()


def is_correct(predicted: str, gold: str) -> bool:
    """Lenient match of a closed-book answer against the gold answer.

    Equal modulo formatting, the same number, the same set of items, the gold answer stated inside a
    short reply ("It was Parlophone"), or token F1 >= 0.8 ("4 April 1976" vs "April 4, 1976").
    """
    p = norm_answer(predicted)
    if not p or norm_text(predicted) in NON_ANSWERS:
        return False
    if answers_equal(predicted, gold):
        return True
    g = norm_answer(gold)
    gold_num = parse_number(gold)
    if gold_num is not None:
        nums = [parse_number(t) for t in re.findall(r"\d[\d,]*(?:\.\d+)?", predicted)]
        return len(set(nums)) == 1 and nums[0] == gold_num
    items = {norm_answer(x) for x in re.split(r"\s*[,;]\s*", gold) if x.strip()}
    if len(items) > 1 and answer_is_set(predicted, frozenset(items)):
        return True
    pt, gt = _tokens(predicted), _tokens(gold)
    if contains_phrase(p, g) and len(pt) <= len(gt) + 8:
        return True
    common = sum(min(pt.count(t), gt.count(t)) for t in set(pt))
    if not common:
        return False
    prec, rec = common / len(pt), common / len(gt)
    return 2 * prec * rec / (prec + rec) >= 0.8


class ClosedBookScreen:
    """Batch-shaped filter: ``run(records, counters, sink)`` yields the kept records (see module doc)."""

    name: ClassVar[str] = "closed_book"
    stage: ClassVar[str] = "filter"

    def __init__(self, cfg: FilterConfig, client: _Client | None = None) -> None:
        if cfg.closed_book != "off" and client is None:
            raise ValueError(f"closed_book={cfg.closed_book!r} needs an LLM client")
        self.cfg = cfg
        self.client = client
        self.mode = cfg.closed_book
        self.prompt = load_prompt()

    def requests(self, record: QARecord) -> list[Any]:
        from synth.llm import LLMRequest

        n = self.cfg.closed_book_samples
        out = []
        for i in range(n):
            user = self.prompt.user.safe_substitute(question=record.question.strip())
            if n > 1:
                user += f"\n\n(sample {i + 1} of {n})"
            messages = [{"role": "system", "content": self.prompt.system.safe_substitute()},
                        {"role": "user", "content": user}]
            out.append(LLMRequest(messages=messages, schema=ClosedBookAnswer, key=f"{record.id}:{i}",
                                  prompt_version=self.prompt.version))
        return out

    def run(
        self, records: Iterable[QARecord], counters: Counters, sink: Callable[[Reject], None] | None = None
    ) -> Iterator[QARecord]:
        if self.mode == "off":
            yield from records
            return
        batch: list[QARecord] = []
        for rec in records:
            batch.append(rec)
            if len(batch) >= self.cfg.closed_book_batch:
                yield from self._screen(batch, counters, sink)
                batch = []
        if batch:
            yield from self._screen(batch, counters, sink)

    def _screen(
        self, batch: list[QARecord], counters: Counters, sink: Callable[[Reject], None] | None
    ) -> Iterator[QARecord]:
        assert self.client is not None
        reqs = [r for rec in batch for r in self.requests(rec)]
        results = self.client.complete_many(reqs, stage=STAGE)
        by_key = {res.key: res for res in results}
        n = self.cfg.closed_book_samples
        for rec in batch:
            counters.inc("closed_book/total")
            correct = valid = 0
            for i in range(n):
                res = by_key.get(f"{rec.id}:{i}")
                parsed = getattr(res, "parsed", None) if res is not None and res.ok else None
                if parsed is None:
                    continue
                valid += 1
                predicted = parsed.answer if isinstance(parsed, ClosedBookAnswer) else str(getattr(parsed, "answer", ""))
                correct += is_correct(predicted, str(rec.answer))
            counters.inc("closed_book/samples_ok", valid)
            if valid == 0:
                counters.inc("closed_book/llm_error")
                counters.inc("closed_book/kept")
                yield rec
                continue
            rate = correct / valid
            easy = rate >= self.cfg.closed_book_easy_at
            meta = load_meta(rec.meta_json)
            meta["closed_book"] = {"solve_rate": rate, "samples": valid, "model": self.client.model,
                                   "easy": easy, "prompt_version": self.prompt.version}
            update: dict[str, Any] = {"solve_rate": rate,
                                      "meta_json": json.dumps(meta, ensure_ascii=False, sort_keys=True)}
            if easy:
                counters.inc("closed_book/easy")
                if self.mode == "drop":
                    counters.inc(f"{self.stage}/dropped/{self.name}/solved")
                    if sink is not None:
                        dropped = rec.model_copy(update=update)
                        sink(reject_for(dropped, stage=self.stage, reason=f"{self.name}/solved",
                                        detail=f"solve rate {rate:.2f} over {valid} closed-book samples"))
                    continue
                update["difficulty"] = max(1, rec.difficulty - 1)
            counters.inc("closed_book/kept")
            yield rec.model_copy(update=update)
