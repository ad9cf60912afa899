"""Fluency: a question reads as one well-formed English sentence (template and LLM output alike).

Checks, on the text outside quoted titles (a title's own words and punctuation are its own —
"Bye Bye Love", "Yes Indeed!"):

* ``doubled_word``     the same lower-case word twice in a row ("the the", "1994 1994");
* ``doubled_phrase``   a name, number or function-word phrase of two or more words repeated at once
                       or one word apart ("of the of the", "Ray Charles by Ray Charles");
* ``unbalanced_quotes`` / ``unbalanced_brackets``  an odd number of straight double quotes, curly
                       quotes or brackets that do not pair up;
* ``stray_punctuation`` punctuation where a sentence has none: "1958!" or "album! by" mid-sentence,
                       ",,", ",.", " ,", ",?", empty quotes or brackets.

Counted as ``filter/dropped/fluency/<reason>`` (rejects ``fluency/<reason>``). Applies to every QA type.
"One question mark, at the end" is ``question_form``'s check (``no_question_mark``,
``multiple_questions``), which runs first; ``fluency_problem(text, question_mark=True)`` checks it too
for callers outside the chain.
"""

from __future__ import annotations

import re
from typing import ClassVar

from filters.base import KEEP, Filter, Verdict, drop, register
from schemas.records import QARecord

_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|«[^»]*»")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_DOUBLED_WORD = re.compile(r"(?<![\w'’-])(\w[\w'’-]*)\s+(\1)(?![\w'’-])", re.I)
_KEEP_DOUBLED = frozenset({"that", "had", "is", "do", "bye", "ha", "no"})
_STOPWORDS_TEXT = """a an the of in on at by for from to with and or but as is was were are be been
its it his her their this that these those which who whom whose what when where how why than then into
did does do has have had"""
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_STRAY = (
    (re.compile(r"\d!"), "a number followed by '!'"),
    (re.compile(r"\b[a-z]+!+\s+[a-z]"), "'!' inside a sentence"),
    (re.compile(r"([,;:])\s*[,;:.?!]"), "doubled punctuation"),
    (re.compile(r"\.\s*[,;:]"), "doubled punctuation"),
    (re.compile(r"\s[,;:.](?!\d)"), "a space before punctuation"),
    (re.compile(r"\(\s*\)|\[\s*\]|\"\s*\"|“\s*”"), "empty quotes or brackets"),
)
_PAIRS = (("(", ")"), ("[", "]"), ("“", "”"), ("«", "»"))


def _mask(text: str) -> str:
    """``text`` with each quoted title replaced by one placeholder word (its words and marks are its own)."""
    return _QUOTED.sub("QTITLE", text)


def _balanced(text: str, opening: str, closing: str) -> bool:
    depth = 0
    for ch in text:
        if ch == opening:
            depth += 1
        elif ch == closing:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _doubled_phrase(masked: str) -> str:
    """A phrase repeated at once or one word apart that is a name or number ('Ray Charles by Ray
    Charles', '1994 film 1994 film') or only function words ('of the of the'). 'the next single of the
    next single of X' is a chain of two hops, not a repetition: common nouns may repeat."""
    orig = _WORD.findall(masked)
    toks = [t.lower() for t in orig]
    for n in range(6, 1, -1):
        for i in range(len(toks) - 2 * n + 1):
            gram = toks[i:i + n]
            named = any(w[:1].isupper() or w[:1].isdigit() for w in orig[i:i + n] if w != "QTITLE")
            function_only = all(t in _STOPWORDS for t in gram)
            for gap in (0, 1):
                j = i + n + gap
                if toks[j:j + n] == gram and (named or (function_only and gap == 0)):
                    return " ".join(orig[i:i + n])
    return ""


def fluency_problem(question: str, *, question_mark: bool = True) -> tuple[str, str] | None:
    """(reason, detail) of the first fluency problem of ``question``, or None."""
    q = " ".join(question.split())
    if q.count('"') % 2:
        return "unbalanced_quotes", "an odd number of double quotes"
    for o, c in _PAIRS:
        if not _balanced(q, o, c):
            return ("unbalanced_quotes" if o in "“«" else "unbalanced_brackets"), f"unpaired {o}{c}"
    masked = _mask(q)
    if question_mark:
        ends_in_title = bool(re.search(r"[?？؟]\s*[\"”»]\s*$", q))
        marks = sum(masked.count(c) for c in "?？؟")
        if not (marks == 1 and masked.rstrip().endswith(("?", "？", "؟"))) and not (marks == 0 and ends_in_title):
            return "question_mark", f"{marks} question mark(s) outside titles; the question must end with one"
    for m in _DOUBLED_WORD.finditer(masked):
        # 'The the' and '1994 1994' are slips; 'Bye Bye' (a title's own words) is not
        if (m.group(2)[:1].islower() or m.group(2)[:1].isdigit()) and m.group(1).lower() not in _KEEP_DOUBLED:
            return "doubled_word", f"{m.group(0)!r}"
    for clause in re.split(r"(?<!\d)[.;:!?](?!\d)", masked):  # 'a singer. This singer ...' is not a doubling
        phrase = _doubled_phrase(clause)
        if phrase:
            return "doubled_phrase", f"{phrase!r} repeated"
    for rx, what in _STRAY:
        m = rx.search(masked if "quotes" not in what else q)
        if m:
            return "stray_punctuation", f"{what}: {m.group(0)!r}"
    return None


@register
class Fluency(Filter):
    """No doubled words or phrases, balanced quotes and brackets, one final question mark, no stray marks."""

    name: ClassVar[str] = "fluency"
    order: ClassVar[int] = 15
    reasons: ClassVar[tuple[str, ...]] = ("doubled_word", "doubled_phrase", "unbalanced_quotes",
                                          "unbalanced_brackets", "stray_punctuation")

    def check(self, record: QARecord) -> Verdict:
        problem = fluency_problem(record.question, question_mark=False)  # question_form checked it
        if problem is None:
            return KEEP
        return drop(problem[0], problem[1][:200])
