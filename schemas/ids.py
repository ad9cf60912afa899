"""Deterministic ids: the same input always gives the same id (never uuid4)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def stable_hash(*parts: Any, length: int = 16) -> str:
    """Hex digest of the JSON encoding of ``parts`` (sorted keys), truncated to ``length``."""
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:length]


def page_id(canonical_url: str) -> str:
    """Id of a page: hash of its canonical URL."""
    return stable_hash("page", canonical_url)


def qa_id(qtype: str, question: str, answer: str, source_urls: list[str]) -> str:
    """Id of a QA record: hash of its content (type, normalized question, answer, sources)."""
    norm_q = " ".join(question.lower().split())
    norm_a = " ".join(str(answer).lower().split())
    return stable_hash("qa", qtype, norm_q, norm_a, sorted(source_urls))


def reject_id(stage: str, reason: str, record_id: str) -> str:
    """Id of a reject row: one per (stage, reason, record)."""
    return stable_hash("reject", stage, reason, record_id)
