"""Form of the question and the answer: a real, standalone question; a short, real answer; no leak."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from filters.base import KEEP, Filter, Verdict, drop, register
from filters.config import FilterConfig
from filters.text import contains_phrase, norm_answer, norm_text
from schemas.records import QARecord

# Unfilled template slots and placeholders a writer can leave behind.
SLOT_RE = re.compile(
    r"\{\{|\}\}|\{\s*[\w.\-: ]{0,40}\}"           # {subject} {{x}} {}
    r"|\$\{?[A-Za-z_]\w*\}?"                     # $subject ${subject}
    r"|%\(\w+\)[sd]|%[sd]\b"                     # %(name)s %s
    r"|<\s*[A-Za-z_][\w\-]{0,30}\s*>"            # <ENTITY> <subject> (and stray tags)
    r"|\[\s*[A-Z][A-Z0-9_ ]{1,30}\]"             # [ENTITY] [SUBJECT NAME]
    r"|\b__\w+__\b"                              # __slot__
    r"|\b(?:TODO|FIXME|XXX|NaN|undefined)\b"
)

# Phrases that only make sense next to the source page: the question must stand alone.
CONTEXT_PHRASES: tuple[str, ...] = (
    r"this (?:web ?)?(?:page|article|document|website|site|text|passage|section|table|list|paragraph|snippet|excerpt|entry|post)",
    r"the (?:web ?)?page",
    r"the (?:above|following) (?:text|passage|article|page|table|list|section|information|snippet)",
    r"the text", r"the passage", r"the article", r"the document", r"the context", r"the excerpt",
    r"the snippet", r"the paragraph", r"the infobox", r"the evidence", r"the above",
    r"the (?:given|provided) (?:text|passage|page|article|information|context|document|evidence|data)",
    r"(?:mentioned|shown|listed|described|stated|given) (?:above|below|here|earlier)",
    r"above[- ]mentioned", r"according to", r"as (?:stated|mentioned|described|shown) (?:in|on|above)",
    r"based on the (?:text|page|passage|article|information|context|evidence|above|given|provided)",
    r"in the (?:table|list) (?:above|below)",
)

NON_ANSWERS = frozenset(
    norm_text(x) for x in (
        "unknown", "none", "n/a", "na", "null", "nan", "undefined", "not available", "not mentioned",
        "not stated", "not specified", "not found", "no answer", "cannot be determined",
        "can't be determined", "i don't know", "unanswerable", "-", "?", "tbd", "todo",
    )
)
YES_NO = frozenset({"yes", "no", "true", "false"})

_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|«[^»]*»|„[^“”]*[“”]")


@register
class QuestionForm(Filter):
    """Ends with a question mark, one question only, length within bounds, no unfilled slot."""

    name: ClassVar[str] = "question_form"
    order: ClassVar[int] = 10
    reasons: ClassVar[tuple[str, ...]] = (
        "no_question_mark", "too_short", "too_long", "template_slot", "multiple_questions",
    )

    def __init__(self, min_chars: int = 20, max_chars: int = 400) -> None:
        self.min_chars = min_chars
        self.max_chars = max_chars

    @classmethod
    def from_config(cls, cfg: FilterConfig, *, links: Mapping[str, set[str]] | None = None) -> QuestionForm:
        return cls(cfg.min_question_chars, cfg.max_question_chars)

    def check(self, record: QARecord) -> Verdict:
        q = " ".join(record.question.split())
        if len(q) < self.min_chars:
            return drop("too_short", f"{len(q)} < {self.min_chars} chars")
        if len(q) > self.max_chars:
            return drop("too_long", f"{len(q)} > {self.max_chars} chars")
        m = SLOT_RE.search(q)
        if m:
            return drop("template_slot", m.group(0))
        if not q.endswith(("?", "？", "؟")):
            return drop("no_question_mark", q[-30:])
        unquoted = _QUOTED.sub("", q)
        if sum(unquoted.count(c) for c in "?？؟") > 1:
            return drop("multiple_questions")
        return KEEP


@register
class AnswerForm(Filter):
    """A short answer that is an answer (not 'unknown', not a placeholder)."""

    name: ClassVar[str] = "answer_form"
    order: ClassVar[int] = 11
    reasons: ClassVar[tuple[str, ...]] = ("too_long", "template_slot", "non_answer")

    def __init__(self, max_chars: int = 200) -> None:
        self.max_chars = max_chars

    @classmethod
    def from_config(cls, cfg: FilterConfig, *, links: Mapping[str, set[str]] | None = None) -> AnswerForm:
        return cls(cfg.max_answer_chars)

    def check(self, record: QARecord) -> Verdict:
        a = " ".join(str(record.answer).split())
        if len(a) > self.max_chars:
            return drop("too_long", f"{len(a)} > {self.max_chars} chars")
        m = SLOT_RE.search(a)
        if m:
            return drop("template_slot", m.group(0))
        if norm_text(a) in NON_ANSWERS or not norm_text(a):
            return drop("non_answer", a)
        return KEEP


@register
class Standalone(Filter):
    """No reference to the page the question was written from ('this page', 'according to' ...)."""

    name: ClassVar[str] = "standalone"
    order: ClassVar[int] = 12
    reasons: ClassVar[tuple[str, ...]] = ("context_reference",)

    def __init__(self, extra_phrases: list[str] | tuple[str, ...] = ()) -> None:
        phrases = [*CONTEXT_PHRASES, *extra_phrases]
        self.pattern = re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in phrases) + r")\b", re.I)

    @classmethod
    def from_config(cls, cfg: FilterConfig, *, links: Mapping[str, set[str]] | None = None) -> Standalone:
        return cls(cfg.context_phrases)

    def check(self, record: QARecord) -> Verdict:
        m = self.pattern.search(" ".join(record.question.split()))
        if m:
            return drop("context_reference", m.group(0))
        return KEEP


@register
class AnswerNotInQuestion(Filter):
    """The answer (normalised, as whole words) must not appear in the question."""

    name: ClassVar[str] = "answer_in_question"
    order: ClassVar[int] = 20
    reasons: ClassVar[tuple[str, ...]] = ("answer_leak",)

    def check(self, record: QARecord) -> Verdict:
        ans = norm_answer(str(record.answer))
        if not ans or ans in YES_NO:
            return KEEP
        if contains_phrase(norm_text(record.question), ans):
            return drop("answer_leak", ans[:100])
        return KEEP
