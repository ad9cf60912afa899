"""Text normalisation shared by the filters and the deduper (pure functions, no state).

``norm_text`` is the one normalisation behind containment checks ("is the answer in the evidence",
"is the answer in the question") and shingling: NFKC, casefold, every run of non-word characters
becomes one space, thousands separators inside numbers are dropped (``1,234`` -> ``1234``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_THOUSANDS = re.compile(r"(?<=\d)[,\u202f\u00a0'](?=\d{3}\b)")
_ARTICLES = re.compile(r"^(?:the|a|an)\s+")
_WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)

# Function words: a difference confined to these (plus inflection, typos and word order) does not
# change what a question asks. English only; other languages simply have no stopwords here, which
# makes the dedup guards more conservative (more pairs count as distinct), never less.
_STOPWORDS = (
    """a an the of in on at to for from by with about as into onto over under between during since
    until within through across among per via and or but nor so yet if then than that this these
    those there here is are was were be been being am do does did done has have had having will would
    shall should can could may might must its it it's their them they he him his she her hers we us
    our you your i me my mine also all any each every some such own same other another much many few
    several one's ever just very exactly actually officially currently total overall originally
    publicly number list listed named called known"""
)
STOPWORDS = frozenset(_STOPWORDS.split())

# Small words that change what is asked: the question word, direction in a sequence, negation,
# comparison. Two questions differing in one of these are different questions ("Where / When was
# X born?", "the single released just before / after Y").
_KEY_WORDS = (
    """who whom whose which when where why how before after earlier later previous next not no never
    without except besides more less most least fewer above below both either neither only"""
)
KEY_WORDS = frozenset(_KEY_WORDS.split())
# spellings of the same key word
KEY_EQUIV = {"what": "which", "following": "after", "preceding": "before", "prior": "before", "whom": "who"}

# Words that change what is asked even when lower-case: ordinals and small number words.
_NUMBER_WORDS = (
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty hundred thousand million
    billion first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth last
    earliest latest oldest newest youngest largest smallest highest lowest longest shortest"""
)
NUMBER_WORDS = frozenset(_NUMBER_WORDS.split())


def norm_text(text: str) -> str:
    """NFKC + casefold, thousands separators dropped, non-word runs collapsed to one space."""
    s = unicodedata.normalize("NFKC", text or "")
    s = _THOUSANDS.sub("", s)
    s = s.casefold()
    return " ".join(_NON_WORD.sub(" ", s).split())


def norm_answer(answer: str) -> str:
    """``norm_text`` without a leading article (``The Beatles`` == ``Beatles``)."""
    return _ARTICLES.sub("", norm_text(answer))


def contains_phrase(haystack_norm: str, needle_norm: str) -> bool:
    """Whole-word containment of a normalised phrase in a normalised text."""
    if not needle_norm:
        return False
    return f" {needle_norm} " in f" {haystack_norm} "


def parse_number(text: str) -> float | None:
    """The number a short answer states (``"1,234"``, ``"12"``, ``"3.5"``), else None."""
    s = unicodedata.normalize("NFKC", text or "").strip()
    s = _THOUSANDS.sub("", s).replace(",", "")
    try:
        return float(s)
    except ValueError:
        return None


def parse_int(text: str) -> int | None:
    """The integer a count answer states (``"12"``, ``"1,024"``), else None (``"12.5"``, ``"twelve"``)."""
    s = unicodedata.normalize("NFKC", str(text or "")).strip()
    s = _THOUSANDS.sub("", s)
    if re.fullmatch(r"[+-]?\d+", s):
        return int(s)
    return None


_LIST_SPLIT = re.compile(r"\s*(?:[,;|\n]|\band\b|&)\s*", re.I)
_LIST_SPLIT_STRICT = re.compile(r"\s*[,;|\n]\s*(?:and\s+|&\s*)?", re.I)


def answer_items(answer: str) -> frozenset[str]:
    """A list answer as a set of normalised items (``"A, B and C"`` == ``"C; B; A"``)."""
    return frozenset(x for x in (norm_answer(p) for p in _LIST_SPLIT.split(answer or "")) if x)


def answer_is_set(answer: str, items: set[str] | frozenset[str]) -> bool:
    """The answer lists exactly ``items`` (normalised), whatever the order and separators.

    Items that contain "and" themselves ("Simon and Garfunkel") are matched too.
    """
    if norm_answer(answer) in items and len(items) == 1:
        return True
    strict = frozenset(x for x in (norm_answer(p) for p in _LIST_SPLIT_STRICT.split(answer or "")) if x)
    if strict == items:
        return True
    last = re.split(r"\s+(?:and|&)\s+", answer or "")
    if len(last) == 2:  # "A, B and C": split the last separator only
        head = [norm_answer(p) for p in _LIST_SPLIT_STRICT.split(last[0])]
        if frozenset(x for x in [*head, norm_answer(last[1])] if x) == items:
            return True
    return answer_items(answer) == items


def answers_equal(a: str, b: str) -> bool:
    """Same answer modulo case, punctuation, articles, number formatting and list order."""
    na, nb = norm_answer(a), norm_answer(b)
    if na == nb:
        return True
    xa, xb = parse_number(a), parse_number(b)
    if xa is not None and xb is not None:
        return xa == xb
    ia, ib = answer_items(a), answer_items(b)
    return len(ia) > 1 and ia == ib


def words(text: str) -> list[str]:
    """Word tokens of the original text (case kept), for entity and language heuristics."""
    return _WORD.findall(unicodedata.normalize("NFKC", text or ""))


@lru_cache(maxsize=16_384)
def similar_words(a: str, b: str, min_ratio: float = 0.8) -> bool:
    """Spelling variants: a typo, an inflection (release/released), a plural."""
    if a == b:
        return True
    if a.isdigit() or b.isdigit():
        return False
    if min(len(a), len(b)) >= 5 and (a.startswith(b) or b.startswith(a)) and abs(len(a) - len(b)) <= 3:
        return True
    return SequenceMatcher(None, a, b).ratio() >= min_ratio


def one_edit(a: str, b: str) -> bool:
    """At most one insertion, deletion, substitution or swap of two adjacent letters apart."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1:] == b[i + 1:] or (i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:])
    return a[i:] == b[i + 1:]


def load_meta(meta_json: str) -> dict:
    """``QARecord.meta_json`` as a dict ({} when it is not a JSON object)."""
    try:
        meta = json.loads(meta_json or "{}")
    except (TypeError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}
