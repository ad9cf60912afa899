"""The question is in the expected language (the page's, or a configured one), by py3langid.

Named entities and numbers fool a character n-gram classifier on short text ("Who wrote Les
Misérables?" ranks French first), so they are masked before classification: every capitalised word
but the first, and every token with a digit. A question is dropped only when the expected language
is neither among the top ``top_k`` nor given probability >= ``min_prob`` — a confident miss.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from filters.base import KEEP, Filter, Verdict, drop, register
from filters.config import FilterConfig
from schemas.records import QARecord

_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)
_ALIASES = {"nb": "no", "nn": "no", "iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}


def _identifier():
    """The py3langid identifier with normalised probabilities (loaded once per process)."""
    from crawlers.langid import identifier

    return identifier(norm_probs=True)


def lang_code(tag: str | None) -> str:
    """Primary subtag of a language tag: ``en-US`` / ``en_GB`` / ``EN`` -> ``en``."""
    code = re.split(r"[-_]", (tag or "").strip().lower())[0]
    return _ALIASES.get(code, code)


def mask_entities(text: str) -> str:
    """The text without named entities (capitalised words after the first) and numbers."""
    out = []
    for i, tok in enumerate(_TOKEN.findall(text)):
        if any(c.isdigit() for c in tok) or (i > 0 and tok[:1].isupper()):
            continue
        out.append(tok)
    return " ".join(out)


def detect(text: str) -> list[tuple[str, float]]:
    """Languages by probability, best first (entities masked)."""
    return _identifier().rank(mask_entities(text))


@register
class LanguageFilter(Filter):
    """The question's language matches the configured language, or else the record's page language."""

    name: ClassVar[str] = "language"
    order: ClassVar[int] = 50
    reasons: ClassVar[tuple[str, ...]] = ("wrong_language",)

    def __init__(self, language: str | None = None, *, min_prob: float = 0.05, top_k: int = 3) -> None:
        self.language = lang_code(language) if language else None
        self.min_prob = min_prob
        self.top_k = top_k

    @classmethod
    def from_config(cls, cfg: FilterConfig, *, links: Mapping[str, set[str]] | None = None) -> LanguageFilter:
        return cls(cfg.language, min_prob=cfg.language_min_prob, top_k=cfg.language_top_k)

    def check(self, record: QARecord) -> Verdict:
        expected = self.language or lang_code(record.language)
        if not expected:
            return KEEP
        ranked = detect(record.question)
        probs = dict(ranked)
        if expected not in probs:  # a language the model does not know: nothing to check against
            return KEEP
        top = [lang for lang, _ in ranked[: self.top_k]]
        if expected in top or probs[expected] >= self.min_prob:
            return KEEP
        best, p = ranked[0]
        return drop("wrong_language", f"expected {expected}, detected {best} ({p:.2f})")
