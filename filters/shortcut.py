"""The one-search gate: a question whose own text, searched once, brings up its answer is not hard.

``shortcut_rank(index, question, answer)`` searches the question's text in the run's local index and
returns the rank (1-based) of the first of the top 10 results whose extracted main text gives the
answer away, or None. For a count-like answer (a small integer) the number alone proves nothing
(every page holds small numbers): there a page gives it away only when it states the total itself —
"Total of 6 entries", "12 tracks", "six studio albums" — near the noun the question counts.

``ShortcutFilter`` sets ``QARecord.shortcut_rank`` on every record it sees and, by default, drops
records whose answer is in the top ``shortcut_top`` (3) results: reasons ``answer_in_top3`` (the
answer's text) and ``total_in_top3`` (a stated total), counted as ``filter/dropped/shortcut/<reason>``
and written as ``shortcut/<reason>`` rejects of stage ``filter``. With ``FilterConfig.keep_easy`` the
record is kept and only tagged (its ``shortcut_rank``), counted as ``filter/shortcut/easy_kept``.
Single-hop records are never dropped here: they are E2HQA seeds (the filter stage writes them to
``seeds/``), tagged all the same.

The filter needs the run's search index, so it is not in the registry ``build_filters`` reads; the
filter stage adds it with the index (``ShortcutFilter.for_index``, agents/gate.py). ``disabled: [shortcut]``
leaves it out (``filters.STAGE_FILTERS``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, ClassVar

from filters.base import KEEP, Filter, Verdict, drop
from schemas.records import QARecord

if TYPE_CHECKING:
    from filters.config import FilterConfig
    from pipelines.counters import Counters
    from synth.search import LocalSearchIndex

TOP_K = 10
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_COUNT_RE = re.compile(r"[1-9]\d{0,2}")
_NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
_GENERIC_NOUNS = ("entries", "entry", "items", "item", "total")
_HOW_MANY_RE = re.compile(r"\bhow many\s+(\w+)(?:\s+(\w+))?(?:\s+(\w+))?")
_SKIP = frozenset(["of", "the", "a", "an", "different", "distinct", "separate", "unique"])


_COMBINING_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def fold_text(text: str) -> str:
    """Lower-case, accents removed, punctuation as spaces, spaces collapsed (uncached: page bodies).

    Accents: NFKD, then the combining diacritical marks removed (one regex pass; a page body is
    tens of KB). Answers and pages are folded by this same function, so they compare alike."""
    t = text if text.isascii() else _COMBINING_RE.sub("", unicodedata.normalize("NFKD", text))
    return " ".join(_WORD_RE.findall(t.lower().replace("_", " ")))


def is_count_answer(answer: str) -> bool:
    """A small integer (0-999): a count, which a page's numbers alone do not give away."""
    a = answer.strip().replace(",", "")
    return a == "0" or bool(_COUNT_RE.fullmatch(a))


def counted_nouns(question: str) -> list[str]:
    """Stems of what a 'how many ...' question counts ('How many studio albums' → ['studio', 'album'])."""
    m = _HOW_MANY_RE.search(fold_text(question))
    if not m:
        return []
    out = []
    for w in m.groups():
        if w and w not in _SKIP and w not in ("does", "do", "did", "is", "are", "were", "was", "has", "have"):
            out.append(w[:-1] if w.endswith("s") and len(w) > 4 else w)
        elif w in ("does", "do", "did", "is", "are", "were", "was", "has", "have"):
            break
    return out


def states_total(folded_body: str, answer: str, nouns: Iterable[str], *, generic: bool = True) -> bool:
    """Does the (folded) text state the total ``answer`` of the counted ``nouns`` itself?

    ``generic``: also a total of generic 'entries'/'items' or 'a total of N' (only meaningful on a page
    the question names: any listing page says 'showing 2 of 2 entries')."""
    n = int(answer.strip().replace(",", ""))
    nums = [str(n)] + ([_NUMBER_WORDS[n]] if n < len(_NUMBER_WORDS) else [])
    num = "(?:" + "|".join(nums) + ")"
    stems = [re.escape(s) for s in nouns if s] + (list(_GENERIC_NOUNS) if generic else [])
    pats = []
    if stems:
        noun = "(?:" + "|".join(stems) + r")\w*"
        pats.append(rf"\b{num} (?:\w+ ){{0,2}}?{noun}\b")
    if generic:
        pats += [rf"\btotal(?: of)? {num}\b", rf"\b{num} (?:\w+ ){{0,2}}?in total\b"]
    return any(re.search(p, folded_body) for p in pats)


def contains_answer(folded_body: str, answer: str, aliases: Iterable[str] = ()) -> bool:
    """The answer (or an alias), folded, as whole words of the folded text."""
    hay = f" {folded_body} "
    for a in (answer, *aliases):
        fa = fold_text(a)
        if fa and f" {fa} " in hay:
            return True
    return False


class _BodyCache:
    """Folded page bodies by URL, bounded (a body is tens of KB)."""

    def __init__(self, index: LocalSearchIndex, size: int = 256) -> None:
        self.index = index
        self.size = size
        self._d: OrderedDict[str, str] = OrderedDict()

    def get(self, url: str) -> str:
        got = self._d.get(url)
        if got is not None:
            self._d.move_to_end(url)
            return got
        from agents.env import page_body

        got = fold_text(page_body(self.index, url))
        self._d[url] = got
        if len(self._d) > self.size:
            self._d.popitem(last=False)
        return got


_CACHES: dict[int, _BodyCache] = {}


def _cache_for(index: LocalSearchIndex) -> _BodyCache:
    c = _CACHES.get(id(index))
    if c is None or c.index is not index:
        if len(_CACHES) > 8:
            _CACHES.clear()
        c = _CACHES[id(index)] = _BodyCache(index)
    return c


def shortcut_rank(index: LocalSearchIndex, question: str, answer: str, *, aliases: Iterable[str] = (),
                  k: int = TOP_K, count: bool | None = None) -> int | None:
    """Rank (1-based) of the first of the top ``k`` results for ``question`` whose main text gives the
    answer away (for a count: states the total itself); None when none of them does.

    ``count`` forces the count rule on or off (default: the answer is a small integer)."""
    answer = (answer or "").strip()
    if not answer:
        return None
    as_count = is_count_answer(answer) if count is None else count
    nouns = counted_nouns(question) if as_count else []
    cache = _cache_for(index)
    for rank, hit in enumerate(index.search(question, k), 1):
        body = cache.get(hit.url)
        if as_count:
            named = bool(hit.title) and f" {fold_text(hit.title)} " in f" {fold_text(question)} "
            if states_total(body, answer, nouns, generic=named):
                return rank
        elif contains_answer(body, answer, aliases):
            return rank
    return None


class ShortcutFilter(Filter):
    """Sets ``shortcut_rank``; drops records whose answer one search of the question finds in the top 3."""

    name: ClassVar[str] = "shortcut"
    order: ClassVar[int] = 900  # after the cheap checks: one search per record
    reasons: ClassVar[tuple[str, ...]] = ("answer_in_top3", "total_in_top3")
    exempt: ClassVar[frozenset[str]] = frozenset({"single_hop"})  # E2HQA seeds: tagged, never dropped

    def __init__(self, index: LocalSearchIndex, *, top: int = 3, keep_easy: bool = False,
                 counters: Counters | None = None) -> None:
        self.index = index
        self.top = int(top)
        self.keep_easy = keep_easy
        self.counters = counters

    @classmethod
    def from_config(cls, cfg: FilterConfig, *, links: Mapping[str, set[str]] | None = None) -> Filter | None:
        return None  # needs the run's search index: the filter stage builds it with ``for_index``

    @classmethod
    def for_index(cls, cfg: FilterConfig, index: LocalSearchIndex, counters: Counters | None = None
                  ) -> ShortcutFilter | None:
        if cls.name in cfg.disabled:
            return None
        return cls(index, top=getattr(cfg, "shortcut_top", 3), keep_easy=getattr(cfg, "keep_easy", False),
                   counters=counters)

    def check(self, record: QARecord) -> Verdict:
        count = is_count_answer(record.answer)
        rank = shortcut_rank(self.index, record.question, record.answer, aliases=record.aliases, count=count)
        record.shortcut_rank = rank
        if rank is None or rank > self.top or record.type in self.exempt:
            return KEEP
        reason = "total_in_top3" if count else "answer_in_top3"
        if self.keep_easy:
            if self.counters is not None:
                self.counters.inc("filter/shortcut/easy_kept")
            return KEEP
        return drop(reason, f"one search of the question finds the answer at rank {rank}")
