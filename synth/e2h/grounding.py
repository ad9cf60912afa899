"""Seed grounding: the page, and the snippet of it, that states a seed's answer — before any rewriting.

A seed from a user's file is a question and an answer; the rewritten question must carry evidence
for that answer, so each seed is grounded first:

* ``evidence`` — the seed's own evidence already states the answer (a crawl run's single-hop record);
* ``url``      — the seed names a page (``url``) that the corpus holds: its best snippet stating the
                 answer (an infobox row or a sentence, the one sharing most words with the question);
* ``search``   — no URL, or the page does not state the answer: the pages of the entities the question
                 names, then the local full-text hits for the question, are read for a snippet stating
                 the answer *about the question's subject* (the page is the subject's own page, or the
                 snippet names the subject and shares content words with the question);
* ``web``      — the pluggable web search (when configured) gives a hit whose snippet states the answer
                 and names the question's subject.

A seed none of these grounds is ``seed_ungrounded``: the stage rejects it before any writer call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from filters.text import contains_phrase, norm_answer, norm_text
from schemas.records import Evidence
from synth.e2h.clues import sentences
from synth.e2h.entities import QUESTION_WORDS, capitalised_spans, find_entities, occurs
from synth.e2h.seeds import Seed
from synth.search import (
    STOPWORDS,
    LocalSearchIndex,
    SearchRouter,
    base_name,
    clean_title,
    plain,
    words,
)

GROUND_VIA = ("evidence", "url", "search", "web")
_TABLE_SEP = re.compile(r"^\|?\s*:?-{2,}")
_CITATION = re.compile(r"\[\d+\]")
_LINE_MARK = re.compile(r"^(?:#+\s*|[-*+>]\s+|\d+\.\s+)")


@dataclass(frozen=True)
class Grounding:
    """Where a seed's answer is stated (``ok``), or why no page was found (``detail``)."""

    ok: bool
    url: str = ""
    snippet: str = ""
    via: str = ""
    detail: str = ""
    root_url: str = ""


def states(answer: str, text: str) -> bool:
    """Whether ``text`` states ``answer`` as whole words (the grounded filter's own test)."""
    t = norm_text(text)
    return contains_phrase(t, norm_text(answer)) or contains_phrase(t, norm_answer(answer))


def _stems(text: str, drop: set[str]) -> set[str]:
    """Content words (5-letter prefixes: 'produced' ~ 'producer'); years kept, other numbers not."""
    out: set[str] = set()
    for w in words(text):
        if w in drop or w in STOPWORDS or w in QUESTION_WORDS or (w.isdigit() and len(w) != 4):
            continue
        out.add(w[:5])
    return out


def page_snippets(index: LocalSearchIndex, url: str) -> list[str]:
    """A page's infobox rows ('Writer(s): Percy Mayfield') and the sentences and table rows of its text."""
    out: list[str] = []
    seen: set[str] = set()

    def add(s: str) -> None:
        s = " ".join(_CITATION.sub("", s).split()).strip(" |")
        if s and s not in seen:
            seen.add(s)
            out.append(s)

    for row in index.facts(url):
        if row.value.strip():
            add(f"{row.key}: {row.value}")
    for block in re.split(r"\n\s*\n", index.body(url)):
        lines = [ln.strip() for ln in block.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        if lines[0].startswith("|"):
            for ln in lines:
                if _TABLE_SEP.match(ln):
                    continue
                cells = [plain(c) for c in ln.strip("|").split("|")]
                cells = [c for c in cells if c]
                if cells:
                    add(": ".join(cells) if len(cells) == 2 else " | ".join(cells))
            continue
        for ln in lines:
            text = plain(plain(_LINE_MARK.sub("", ln)))  # twice: "***bold italic***"
            for sent in sentences(text):
                add(sent)
    return out


def _cut(snippet: str, answer: str, max_chars: int) -> str:
    """``snippet`` within ``max_chars``, around the answer, cut at word boundaries."""
    if len(snippet) <= max_chars:
        return snippet
    i = norm_text(snippet).find(norm_text(answer))
    low = snippet.lower().find(answer.lower())
    at = low if low >= 0 else max(i, 0)
    start = max(0, at - max_chars // 2)
    end = min(len(snippet), start + max_chars)
    start = max(0, end - max_chars)
    piece = snippet[start:end]
    if start > 0:
        piece = piece.split(" ", 1)[-1]
    if end < len(snippet):
        piece = piece.rsplit(" ", 1)[0]
    return piece


_QUOTES = re.compile(r"[\"“”«»]")
_CONNECTOR_TAIL = re.compile(r"(?:\s+(?:of|the|and|on|in|for|de|a|an|at|to|&|\d+))+$", re.I)


def _name_parts(text: str) -> list[str]:
    """The names in a capitalised run of a question ('Driftin' Blues" in 1945' -> ["Driftin' Blues"]):
    cut at quotes, without trailing connectors or numbers; numbers and question words are no names."""
    out = []
    for part in _QUOTES.split(text):
        p = _CONNECTOR_TAIL.sub("", part.strip(" ,;:?!.'‘’")).strip()
        if len(p) > 1 and not p.replace(" ", "").isdigit() and p.lower() not in QUESTION_WORDS \
                and any(ch.isupper() for ch in p):
            out.append(p)
    return out


class SeedGrounder:
    """Grounds seeds against the search the rounds use (local index, and the web API when configured)."""

    def __init__(self, search: SearchRouter, *, top_k: int = 10, max_snippet_chars: int = 400) -> None:
        self.search = search
        self.index = search.local
        self.top_k = top_k
        self.max_snippet_chars = max_snippet_chars
        self._aliases = self.index.aliases()
        self._alias_len = self.index.max_alias_tokens()

    # --- public ----------------------------------------------------------------------------------------
    def ground(self, seed: Seed) -> Grounding:
        answer = seed.answer
        for ev in seed.evidence:
            if states(answer, ev.text):
                return Grounding(True, ev.url, ev.text, "evidence", root_url=seed.root_url)
        notes: list[str] = []
        if seed.source_url:
            doc_url = self.index.resolve(seed.source_url)
            if doc_url:
                best = self._best_snippet(doc_url, seed, require_about=False)
                if best:
                    return Grounding(True, doc_url, best[1], "url", root_url=self._root(doc_url))
                notes.append(f"its page {doc_url} does not state {answer!r}")
            else:
                notes.append(f"its url {seed.source_url} is not in the corpus")
        g = self._search(seed)
        if g.ok:
            return g
        notes.append(g.detail)
        return Grounding(False, detail="; ".join(notes))

    def apply(self, seed: Seed, g: Grounding) -> Seed:
        """The seed with its grounding: the evidence snippet, the page as source and golden path."""
        if g.via == "evidence":
            if seed.source_url:
                return seed
            return replace(seed, source_url=g.url, golden_path=seed.golden_path or (g.url,))
        ev = (*seed.evidence, Evidence(url=g.url, text=g.snippet))
        if g.via == "url":  # the seed's own page: its path to it (when given) stays
            path = seed.golden_path if seed.golden_path and self.index.resolve(seed.golden_path[-1]) == g.url \
                else (g.url,)
            return replace(seed, evidence=ev, source_url=g.url, golden_path=path,
                           root_url=seed.root_url or g.root_url or g.url)
        return replace(seed, evidence=ev, source_url=g.url, golden_path=(g.url,), root_url=g.root_url or g.url)

    # --- internals -------------------------------------------------------------------------------------
    def _root(self, url: str) -> str:
        doc = self.index.doc(url)
        return (doc.root_url if doc else "") or url

    def _subject_names(self, seed: Seed) -> tuple[list[str], list[str], list[str]]:
        """Entity pages the question names (their URLs), every name it uses for a subject, and the
        names no indexed page has (a page grounding the seed must mention those too)."""
        spans = find_entities(seed.question, seed.answer, self._aliases, max_tokens=self._alias_len)
        urls: list[str] = []
        names = [sp.text.strip("\"“”‘’'«»") for sp in spans]
        for sp in spans:
            urls.extend(u for u in sp.urls if u not in urls)
        loose = [n for sp in capitalised_spans(seed.question, seed.answer, taken=spans)
                 for n in _name_parts(sp.text)]
        return urls, [n for n in names + loose if n and n.lower() not in QUESTION_WORDS], loose


    def _best_snippet(self, url: str, seed: Seed, *, require_about: bool, names: list[str] | None = None,
                      loose: list[str] | None = None) -> tuple[int, str] | None:
        """(score, snippet) of the page's snippet stating the answer that shares most with the question
        (and mentions every unindexed name of the question, unless the page's subject or lead does)."""
        drop = set(words(seed.answer))
        q = _stems(seed.question, drop)
        # what the question asks about its subject ('founded', 'born'): a page that is not the
        # subject's own must state that relation, naming the subject, in the same snippet
        rel = q - {st for n in (names or ()) for st in _stems(n, drop)}
        best: tuple[int, str] | None = None
        doc = self.index.doc(url)
        ctx = f"{doc.subject} {doc.description} {doc.lead}" if doc else ""
        need = [n for n in (loose or ()) if not occurs(n, ctx)]
        for s in page_snippets(self.index, url):
            if not states(seed.answer, s) or not all(occurs(n, s) for n in need):
                continue
            stems = _stems(s, drop)
            overlap = len(q & stems)
            named = any(occurs(n, s) for n in (names or ()))
            if require_about and not (named and (not rel or rel & stems)):
                continue
            score = overlap + (2 if named else 0)
            if best is None or score > best[0] or (score == best[0] and len(s) < len(best[1])):
                best = (score, s)
        if best is None:
            return None
        return best[0], _cut(best[1], seed.answer, self.max_snippet_chars)

    def _search(self, seed: Seed) -> Grounding:
        answer = seed.answer
        entity_urls, names, loose = self._subject_names(seed)
        ranked: list[tuple[tuple, str, str]] = []
        # the pages of the entities the question names: about its subject by construction
        for i, u in enumerate(entity_urls):
            got = self._best_snippet(u, seed, require_about=False, names=names, loose=loose)
            if got:
                ranked.append(((1, got[0], -i), u, got[1]))
        if not ranked:
            # pages a full-text search for the question finds: the snippet must name the subject
            for i, h in enumerate(self.index.search(seed.question, self.top_k)):
                if self.index.resolve(h.url) is None:
                    continue
                doc_about = any(occurs(n, h.title) or occurs(n, base_name(clean_title(h.title))) for n in names)
                got = self._best_snippet(h.url, seed, require_about=not doc_about, names=names, loose=loose)
                if got and (doc_about or names):
                    ranked.append(((0, got[0], -i), h.url, got[1]))
        if ranked:
            ranked.sort(key=lambda x: x[0], reverse=True)
            _, url, snip = ranked[0]
            return Grounding(True, url, snip, "search", root_url=self._root(url))
        if self.search.web is not None:
            g = self._web(seed, names)
            if g.ok:
                return g
        what = ", ".join(repr(n) for n in names[:4]) or "no named subject"
        return Grounding(False, detail=f"no page states {answer!r} about {what}")

    def _web(self, seed: Seed, names: list[str]) -> Grounding:
        web = self.search.web
        assert web is not None
        self.search.calls["web"] += 1
        for h in web.search(seed.question, self.top_k):
            for s in sentences(h.snippet) or [h.snippet]:
                if states(seed.answer, s) and any(occurs(n, s) or occurs(n, h.title) for n in names):
                    return Grounding(True, h.url, _cut(s, seed.answer, self.max_snippet_chars), "web",
                                     root_url=h.url)
        return Grounding(False, detail="no web hit states the answer about the question's subject")
