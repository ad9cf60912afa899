"""Schema validity: the record re-validates against ``QARecord`` and carries what later checks need."""

from __future__ import annotations

import json
from typing import ClassVar

from pydantic import ValidationError

from filters.base import KEEP, Filter, Verdict, drop, register
from schemas.records import QARecord


@register
class SchemaValid(Filter):
    """A record built with ``model_construct`` or edited after validation can be anything: check it."""

    name: ClassVar[str] = "schema"
    order: ClassVar[int] = 0
    reasons: ClassVar[tuple[str, ...]] = (
        "invalid_record", "empty_question", "empty_answer", "no_sources", "no_evidence",
        "evidence_not_in_sources", "bad_hops", "bad_meta_json",
    )

    def check(self, record: QARecord) -> Verdict:
        try:
            QARecord.model_validate(record.model_dump(mode="python", warnings=False))
        except (ValidationError, TypeError, ValueError) as exc:
            first = exc.errors()[0] if isinstance(exc, ValidationError) else {"msg": str(exc), "loc": ()}
            loc = ".".join(str(p) for p in first.get("loc", ()))
            return drop("invalid_record", f"{loc}: {first.get('msg', '')}"[:300])
        if not record.question.strip():
            return drop("empty_question")
        if not str(record.answer).strip():
            return drop("empty_answer")
        if not [u for u in record.source_urls if u.strip()]:
            return drop("no_sources")
        if not [e for e in record.evidence if e.text.strip()]:
            return drop("no_evidence")
        sources = set(record.source_urls)
        stray = [e.url for e in record.evidence if e.url not in sources]
        if stray:
            return drop("evidence_not_in_sources", stray[0])
        if record.hops < 1:
            return drop("bad_hops", str(record.hops))
        try:
            meta = json.loads(record.meta_json or "{}")
        except ValueError as exc:
            return drop("bad_meta_json", str(exc)[:200])
        if not isinstance(meta, dict):
            return drop("bad_meta_json", f"not an object: {type(meta).__name__}")
        return KEEP
