"""E2HQA: rewrite single-hop questions into multi-hop ones, round after round, answer unchanged.

A round, for each seed still alive:

1. pick an entity of the question (an indexed page subject, longest first; never the answer);
2. search for it and take the entity's page from the hits;
3. gather clues about it (first sentence, infobox facts, relations to other indexed entities);
4. the writer phrases a description from the best clue and rewrites the question with it;
5. checks — each failure is a counted reason:

   ``entity_still_present``  the replaced entity is still named (in the description or question)
   ``answer_leaked``         the answer appears in the description or the question
   ``ambiguous``             the description fits more than one entity (a relation with several
                             values, another page with the same fact or the same first-sentence
                             predicate, or a tie in the search ranking): no longer one answer
   ``not_unique``            searching the description does not find the entity's page first
                             (for a relation: neither directly nor by finding the named entity's
                             page, whose row names this one)
   ``too_long``              the question outgrew ``max_question_chars``
   ``no_growth``             the question did not grow (no hop added)
   ``answer_in_top3``        one search of the rewritten question (the filter stage's one-search gate,
                             ``filters/shortcut.py``) brings up a page giving the answer away in its
                             top ``one_search_top`` results. Other attempts are tried first; when none
                             hides the answer, the round still goes on with the first such rewrite (a
                             later round may hide it), and the record ends at the last round whose
                             question passes the gate (none: no record, reason ``answer_in_top3``)
   ``not_fluent``            the rewrite fails the fluency check (``filters/fluency.py``: doubled words
                             or phrases, unbalanced quotes, stray punctuation) — template or LLM
   ``self_reference``        every clue left describes the entity through one the question already names
                             ("In what year did Buck Owens write the song whose writer is Buck Owens?")
   ``no_entity`` / ``no_search_hit`` / ``no_description`` / ``writer_failed``  nothing to try

Before any round a seed is rejected (no writer call) as ``seed_ungrounded`` (no page states its answer) or
``value_conflict`` (its answer is a record's release year that another crawled page states otherwise).

Several (entity, clue) attempts may be tried per round (``max_attempts_per_round``); the round fails
when none passes, with the reason of the attempt that got furthest. A seed's record keeps the rounds
it survived (difficulty = rounds survived, hops = 1 + rounds) with an exact lineage per round.

Seeds go through in batches and every step of a round is one writer batch, so the LLM writer sends
its requests concurrently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from filters.fluency import fluency_problem
from filters.shortcut import shortcut_rank
from pipelines.counters import Counters
from schemas.ids import qa_id, reject_id, stable_hash
from schemas.records import Evidence, LineageStep, QARecord, Reject
from synth.e2h.clues import (
    RELATION_KINDS,
    Clue,
    clues_for,
    fact_holders,
    infobox_type,
    named_by_kind,
    predicate,
)
from synth.e2h.config import E2HConfig
from synth.e2h.entities import (
    _TYPE_SET,
    EntitySpan,
    capitalised_spans,
    find_entities,
    occurs,
    type_noun,
)
from synth.e2h.grounding import Grounding, SeedGrounder, states
from synth.e2h.obfuscate import KIND as OBFUSCATED
from synth.e2h.obfuscate import PERSON_VERB
from synth.e2h.seeds import Seed
from synth.e2h.writers import (
    DescribeRequest,
    E2HWriter,
    LLME2HWriter,
    RewriteRequest,
    TemplateE2HWriter,
    WriterOutput,
)
from synth.e2h.years import KIND as YEAR_OF
from synth.e2h.years import year_clues, year_page, year_spans
from synth.search import (
    STOPWORDS,
    LocalSearchIndex,
    PageDoc,
    SearchHit,
    SearchRouter,
    base_name,
    clean_title,
    fold,
    norm_key,
    words,
)

STAGE = "e2h"
# what a question may call a work ('the studio album “X”'): the span is then that work's page, not a person's
WORK_NOUNS = frozenset({"album", "ep", "single", "song", "track", "compilation", "soundtrack", "record", "recording",
                        "anthology", "lp", "film", "movie", "documentary", "book", "novel"})
# the families of work nouns a question may call an entity by: 'the album What'd I Say' is the album of that name,
# not the song (strict audit round 9: the song's description stood where the album was meant)
_NOUN_FAMILY = {**dict.fromkeys(("album", "ep", "compilation", "soundtrack", "anthology", "lp"), "album"),
                **dict.fromkeys(("single", "song", "track"), "song"),
                **dict.fromkeys(("film", "movie", "documentary"), "film"), **dict.fromkeys(("book", "novel"), "book")}
UNGROUNDED = "seed_ungrounded"  # no page states the seed's answer: rejected before any writer call
VALUE_CONFLICT = "value_conflict"  # crawled pages disagree on the seed's answer: rejected before any writer call
_PRE_ROUND = frozenset({UNGROUNDED, VALUE_CONFLICT})
# a question about another recording of a song than a single's infobox: 'Which group first recorded X?'
_OTHER_RECORDING_Q = re.compile(r"\b(?:first|originally|original)\s+(?:recorded|released|performed|recording|version|"
                                r"record|cut|sang|sung)\b|\bcover(?:ed|s)?\b", re.I)
_SONG_KEYS = frozenset({"published", "first published", "written", "composed", "lyrics", "lyricist", "music"})
# a description whose last clause says who made its entity: a 'by X' after it attaches to that clause
_AUTHOR_PARTICIPLE = re.compile(r"\b(written|co-written|composed|produced|co-produced|directed|published|founded|penned|"
                                r"arranged|created|designed|invented|built|founded)\b(?!.*\b(?:whose|of|listed)\b)[^,]*$",
                                re.I)
_RELEASE_WORDS = re.compile(r"\b(?:releas\w*|issued|come out|came out|published)\b", re.I)
REASONS: tuple[str, ...] = (
    "no_entity", "no_search_hit", "no_description", "writer_failed", "entity_still_present", "answer_leaked",
    "ambiguous", "not_unique", "too_long", "no_growth", "answer_in_top3", "self_reference", "not_fluent",
)
_RANK = {r: i for i, r in enumerate(REASONS)}

__all__ = ["REASONS", "E2HEngine", "E2HOutcome", "E2HWriter", "LLME2HWriter", "RoundFailure",
           "TemplateE2HWriter", "failure_reject", "to_webshaper"]


@dataclass(frozen=True)
class Attempt:
    entity: EntitySpan
    page: PageDoc
    query: str
    clue: Clue


@dataclass
class RoundFailure:
    round: int
    reason: str
    detail: str
    question: str
    attempts: list[dict] = field(default_factory=list)


@dataclass
class E2HOutcome:
    """A seed's result: the record (when it survived ``min_rounds_to_keep`` rounds) and its failure."""

    seed: Seed
    record: QARecord | None
    steps: list[LineageStep]
    failure: RoundFailure | None = None

    @property
    def rounds(self) -> int:
        return len(self.steps)


@dataclass
class _State:
    seed: Seed
    question: str
    steps: list[LineageStep] = field(default_factory=list)
    rounds_meta: list[dict] = field(default_factory=list)
    visited: set[str] = field(default_factory=set)   # entity keys the question already went through
    replaced: set[str] = field(default_factory=set)  # entity keys replaced by a description
    replaced_names: list[str] = field(default_factory=list)  # how those entities are named
    context: set[str] = field(default_factory=set)  # pages the question was built from (seed, evidence)
    last_span: tuple[int, int] | None = None         # where the last description sits in the question
    alive: bool = True
    done_round: bool = False
    gen: Iterator[Attempt] | None = None
    log: list[dict] = field(default_factory=list)
    failure: RoundFailure | None = None
    n_attempts: int = 0
    grounding: Grounding | None = None
    fallback: tuple | None = None   # the round's first rewrite that passed every check but the gate
    dead_end: tuple | None = None   # a rewrite that passed every check, gate included, but leaves no entity
    gate_ok: list[bool] = field(default_factory=list)  # per step: its question passes the one-search gate
    salt: str = ""  # a restart's rotation salt ('' = the first pass)
    died: str = ""  # the reason the rounds stopped (counted once, for the outcome that is kept)

    @property
    def hidden_rounds(self) -> int:
        """Rounds up to the last question that passes the one-search gate: what the record will keep."""
        return max((i + 1 for i, ok in enumerate(self.gate_ok) if ok), default=0)

    @property
    def answers(self) -> tuple[str, ...]:
        """The answer and its accepted aliases: none of them may appear in a rewrite."""
        return (self.seed.answer, *self.seed.aliases)

    def fail(self, reason: str, detail: str, **extra: Any) -> None:
        self.log.append({"reason": reason, "detail": detail[:500], **extra})  # step 0: before the writer


class E2HEngine:
    """Runs the rounds over seeds. ``search`` serves both the entity look-ups and the uniqueness checks."""

    def __init__(self, search: SearchRouter, writer: E2HWriter | None = None, cfg: E2HConfig | None = None,
                 counters: Counters | None = None, *, run_id: str = "", created_at: datetime | None = None,
                 grounder: SeedGrounder | None = None) -> None:
        self.search = search
        self.index: LocalSearchIndex = search.local
        self.writer = writer or TemplateE2HWriter()
        self.cfg = cfg or E2HConfig()
        self.counters = counters if counters is not None else Counters()
        self.run_id = run_id
        self.created_at = created_at or datetime.now(UTC)
        self.aliases = self.index.aliases()
        self._alias_len = max((a.count(" ") + 1 for a in self.aliases), default=1)
        if grounder is None and self.cfg.ground_seeds:
            grounder = SeedGrounder(search)
        self.grounder = grounder
        self._gives: dict[tuple, bool] = {}
        self._kinds: dict[str, str] = {}

    # --- driver -------------------------------------------------------------------------------------
    def run(self, seeds: Iterable[Seed]) -> Iterator[E2HOutcome]:
        batch: list[Seed] = []
        for s in seeds:
            batch.append(s)
            if len(batch) >= self.cfg.batch_size:
                yield from self.process(batch)
                batch = []
        if batch:
            yield from self.process(batch)

    def process(self, seeds: list[Seed]) -> list[E2HOutcome]:
        states = [self._start(s) for s in seeds]
        self._rounds(states, self.counters)
        for k in range(1, self.cfg.restarts + 1):
            # a seed whose chain ended short of every round (a gated round, nothing left to replace) is
            # tried again from its seed question with another order among equally good clues (the
            # rotation salt); the outcome that keeps the most rounds hiding the answer wins, the first
            # pass on ties. Every check and the gate are the same; a restart's attempt counters go to
            # e2h/restarts/*, only the kept outcome is counted as survived / kept / dropped.
            short = [i for i, st in enumerate(states)
                     if st.failure is None or st.failure.reason not in _PRE_ROUND]
            short = [i for i in short if states[i].hidden_rounds < self.cfg.rounds]
            if not short:
                break
            again = [self._fresh(states[i].seed, states[i].grounding, salt=f"restart{k}") for i in short]
            scratch = Counters()
            self._rounds(again, scratch)
            self.counters.inc(f"{STAGE}/restarts/seeds", len(again))
            self.counters.inc(f"{STAGE}/restarts/attempts", scratch.get(f"{STAGE}/attempts/total"))
            for i, st in zip(short, again, strict=True):
                if st.hidden_rounds > states[i].hidden_rounds:
                    states[i] = st
                    self.counters.inc(f"{STAGE}/restarts/improved")
        return [self._finish(s) for s in states]

    def _rounds(self, states: list[_State], c: Counters) -> None:
        """Every round over the states together (one writer batch per wave), counting into ``c``."""
        saved, self.counters = self.counters, c
        try:
            self._each_round(states, c)
        finally:
            self.counters = saved

    def _each_round(self, states: list[_State], c: Counters) -> None:
        for r in range(1, self.cfg.rounds + 1):
            active = [s for s in states if s.alive]
            if not active:
                break
            for s in active:
                s.done_round, s.log, s.n_attempts, s.fallback, s.dead_end = False, [], 0, None, None
                s.gen = self._attempts(s, r)
                c.inc(f"{STAGE}/rounds/attempted/r{r}")
            for wave in range(self.cfg.max_attempts_per_round):
                todo: list[tuple[_State, Attempt]] = []
                for s in active:
                    if s.done_round or s.gen is None:
                        continue
                    a = next(s.gen, None)
                    if a is None:
                        s.gen = None
                        continue
                    s.n_attempts += 1
                    todo.append((s, a))
                if not todo:
                    break
                self._wave(todo, r, wave)
            for s in active:
                if not s.done_round and s.dead_end is not None and \
                        (s.fallback is None or not self._chains(s, s.fallback[2]) or r > 1):
                    # from round 2 on the sure round makes a multi-hop record (the record keeps every
                    # round up to its last question that hides the answer); in round 1 a gated rewrite
                    # that chains goes on instead (a later round may hide the answer)
                    self._succeed(*s.dead_end)  # hides the answer; the seed ends with this round
                    c.inc(f"{STAGE}/rounds/dead_end/r{r}")
                if not s.done_round and s.fallback is not None:  # no rewrite hid the answer: go on
                    self._succeed(*s.fallback, gate=False)
                    c.inc(f"{STAGE}/rounds/gated/r{r}")
                if s.done_round:
                    c.inc(f"{STAGE}/rounds/passed/r{r}")
                    continue
                s.alive = False
                best = max(s.log, key=lambda x: (x.get("step", 0), _RANK.get(x["reason"], -1))) if s.log else \
                    {"reason": "no_entity", "detail": "no replaceable entity left"}
                s.failure = RoundFailure(r, best["reason"], best["detail"], s.question, list(s.log))
                s.died = best["reason"]

    def _start(self, seed: Seed) -> _State:
        self.counters.inc(f"{STAGE}/seeds/used")
        grounding = None
        if self.grounder is not None:
            grounding = self.grounder.ground(seed)
            if not grounding.ok:  # no rewrite (and no writer call) is spent on it
                self.counters.inc(f"{STAGE}/seeds/ungrounded")
                self.counters.inc(f"{STAGE}/dropped/{UNGROUNDED}")
                st = _State(seed=seed, question=seed.question, alive=False, grounding=grounding)
                st.failure = RoundFailure(0, UNGROUNDED, grounding.detail, seed.question)
                return st
            self.counters.inc(f"{STAGE}/seeds/grounded/{grounding.via}")
            seed = self.grounder.apply(seed, grounding)
        why = self._answer_disputed(seed, grounding)
        if why:  # one page's answer, another page's other value: not one answer, whatever the rewrite
            self.counters.inc(f"{STAGE}/dropped/{VALUE_CONFLICT}")
            st = _State(seed=seed, question=seed.question, alive=False, grounding=grounding)
            st.failure = RoundFailure(0, VALUE_CONFLICT, why, seed.question)
            return st
        return self._fresh(seed, grounding)

    def _answer_disputed(self, seed: Seed, grounding: Grounding | None) -> str:
        """Why the seed's answer is not the one value the crawl states: it asks when a record came out, the
        answer is a year its page gives, and another crawled page dates that record otherwise ("When was the
        single “I Got a Woman” by Ray Charles released?" → 1954: Ray Charles discography lists it under 1955,
        a year cell spanning several rows of its singles table). '' when the pages agree or it is no such
        question."""
        from synth.e2h.records import (
            credit,
            release_conflict,
            release_prose_conflict,
            release_years,
        )
        from synth.graph.values import parse_years

        why = self._label_disputed(seed, grounding) or self._recording_disputed(seed, grounding)
        if why:
            return why
        years = parse_years(seed.answer)
        if not years or len(seed.answer) > 40:
            return ""
        snippets = " ".join([grounding.snippet if grounding is not None else "", *(e.text for e in seed.evidence)])
        asks_release = bool(_RELEASE_WORDS.search(seed.question)) or bool(
            re.search(r"(?:^|\s)(?:Released|Release date|Published|First published)\s*:", snippets))
        if not asks_release:
            return ""
        for u in self._seed_pages(seed, grounding):
            own = release_years(self.index, u)
            if not credit(self.index, u) or not own or not set(years) & set(own):
                continue
            why = release_conflict(self.index, u, years) or release_prose_conflict(self.index, u, seed.answer)
            if why:
                return f"{u.rsplit('/', 1)[-1]}: {why}"
        return ""

    def _seed_pages(self, seed: Seed, grounding: Grounding | None) -> list[str]:
        """The pages a seed's answer may be read from (its grounding page, its evidence, the pages of the names
        its question holds), resolved, once each: where the value checks below look for the answer's row."""
        urls = [grounding.url] if grounding is not None and grounding.url else []
        urls += [e.url for e in seed.evidence]
        for sp in find_entities(seed.question, seed.answer, self.aliases, max_tokens=self._alias_len):
            urls += list(sp.urls)
        return list(dict.fromkeys(self.index.resolve(u) or u for u in urls))

    def _recording_disputed(self, seed: Seed, grounding: Grounding | None) -> str:
        """Why the seed's answer is not the one recording date the crawl states: it asks when a record was
        recorded, the answer is a full date its page's 'Recorded' row gives, and another crawled page's prose
        dates that recording otherwise ("When was the single “Mess Around” by Ray Charles recorded?" → May 17,
        1953; It Should've Been Me's page: "the same May 10, 1953 session as … 'Mess Around'"). '' otherwise."""
        from synth.e2h.records import recording_date_conflict

        if not re.search(r"\brecorded\b", seed.question, re.I) or len(seed.answer) > 40:
            return ""
        for u in self._seed_pages(seed, grounding):
            if not any(r.nkey == "recorded" and seed.answer in r.value for r in self.index.facts(u)):
                continue  # not the page whose Recorded row gives this answer
            why = recording_date_conflict(self.index, u, seed.answer)
            if why:
                return f"{u.rsplit('/', 1)[-1]}: {why}"
        return ""

    def _label_disputed(self, seed: Seed, grounding: Grounding | None) -> str:
        """Why the seed's answer is not the one label the crawl states: it asks on which label a record came
        out, the answer is its page's label row, and a works table of the artist's own or discography page
        gives another label ("On which record label was Genius & Friends released?" → Rhino, its infobox;
        Ray Charles discography's Posthumous albums table: Atlantic). '' when the pages agree."""
        from synth.e2h.records import label_conflict, labels_agree, own_labels

        snippets = " ".join([grounding.snippet if grounding is not None else "", *(e.text for e in seed.evidence)])
        if not (re.search(r"\blabels?\b", seed.question, re.I) or re.search(r"(?:^|\s)Labels?\s*:", snippets)) \
                or len(seed.answer) > 80:
            return ""
        for u in self._seed_pages(seed, grounding):
            if not any(labels_agree(seed.answer, v) for v in own_labels(self.index, u)):
                continue  # not the page whose label row gives this answer
            why = label_conflict(self.index, u, seed.answer)
            if why:
                return f"{u.rsplit('/', 1)[-1]}: {why}"
        return ""

    def _fresh(self, seed: Seed, grounding: Grounding | None, *, salt: str = "") -> _State:
        """A (grounded) seed's state before its first round."""
        st = _State(seed=seed, question=seed.question, grounding=grounding, salt=salt)
        if seed.source_url:
            key = self.index.entity_key(seed.source_url)
            if key:
                st.visited.add(key)
                st.context.add(self.index.resolve(seed.source_url) or seed.source_url)
        return st

    # --- attempts -----------------------------------------------------------------------------------
    def _attempts(self, s: _State, r: int) -> Iterator[Attempt]:
        """(entity, page, clue) attempts for this round, best first; failures before the writer are logged."""
        q, answer = s.question, s.seed.answer
        spans = [sp for sp in (self._typed(q, self._in_context(sp, s), s) for sp in
                               find_entities(q, answer, self.aliases, max_tokens=self._alias_len))
                 if sp is not None and not ({self.index.entity_key(u) for u in sp.urls} & s.replaced)
                 and not self._attributive(q, sp) and not self._list_item(q, sp)]
        caps = capitalised_spans(q, answer, taken=spans) if self.search.web is not None else []
        last = s.last_span

        def inside(sp: EntitySpan) -> bool:
            return last is not None and sp.start >= last[0] and sp.end <= last[1]

        # an entity whose page gives the answer away goes first: searching its name (which the
        # question holds) is the shortcut the one-search gate looks for
        gives = {sp: self.cfg.one_search_gate and self._gives_away(sp, answer) for sp in spans}
        spans.sort(key=lambda sp: (not gives[sp], not inside(sp), -sp.length, sp.start))
        candidates = spans + caps
        years = year_spans(q, answer) if self.cfg.year_hops else []
        if not candidates and not years:
            s.fail("no_entity", f"no indexed entity in {q!r}")
            return
        for sp in candidates[:self.cfg.max_entities_per_round]:
            hits = self.search.search(sp.text, self.cfg.search_top_k)
            page = self._resolve(sp, hits)
            if page is None:
                tops = ", ".join(h.title for h in hits[:3]) or "nothing"
                s.fail("no_search_hit", f"search {sp.text!r} found {tops}", entity=sp.text)
                continue
            if page.key in s.replaced:
                continue
            allowed = set(self.cfg.clue_order)
            clues = [c for c in clues_for(page, self.index, answer=answer, exclude=s.visited | {page.key})
                     if c.kind in allowed]
            if not clues:
                s.fail("no_description", f"no usable clue on {page.url}", entity=sp.text)
                continue
            rest = q[:sp.start] + " … " + q[sp.end:]
            for clue in self._rank(clues, r, s):
                named = self._named_elsewhere(clue, rest)
                if named:
                    s.fail("self_reference", f"{clue.kind} '{clue.snippet[:120]}' names {named!r}, which the "
                                             f"question already names", entity=sp.text, kind=clue.kind)
                    self.counters.inc(f"{STAGE}/attempts/self_reference")
                    continue
                amb = self._structural_ambiguity(clue) or self._other_recording(q, page, clue)
                if amb:
                    s.fail("ambiguous", amb, entity=sp.text, kind=clue.kind, snippet=clue.snippet)
                    self.counters.inc(f"{STAGE}/attempts/ambiguous")
                    continue
                yield Attempt(sp, page, sp.text, clue)
        for sp in years:  # the year hop (synth.e2h.years): after the entities, as one more thing to replace
            yc = year_clues(self.index, int(sp.text), answer=answer, exclude=s.visited | s.replaced,
                            names=tuple(s.replaced_names), question=q)
            if not yc:
                s.fail("no_description", f"no record of the crawl has {sp.text} as its one release year",
                       entity=sp.text)
                continue
            who = (s.seed.id, s.salt) if s.salt else (s.seed.id,)
            for clue in sorted(yc, key=lambda c: stable_hash(*who, c.evidence_url))[:self.cfg.year_clues_per_round]:
                yield Attempt(sp, year_page(sp, clue), sp.text, clue)

    def _in_context(self, sp: EntitySpan, s: _State) -> EntitySpan | None:
        """The span with only the pages the question's own pages are or link to (the right 'Earth':
        the planet the galaxy article links, not a band of that name); all of them when the question
        has no known page yet (a user's seed without a URL)."""
        if not s.context:
            return sp
        near = set(s.context)
        for u in s.context:
            near |= self.index.links_from(u)
        urls = tuple(u for u in sp.urls if u in near)
        if not urls:
            self.counters.inc(f"{STAGE}/entities/unlinked")
            return None
        return replace(sp, urls=urls)

    def _resolve(self, sp: EntitySpan, hits: list[SearchHit]) -> PageDoc | None:
        """The entity's page among the hits of a search for its name."""
        if sp.kind == "alias":
            want = {self.index.entity_key(u) for u in sp.urls}
            for h in hits:
                if self._hit_key(h) in want:
                    return self.search.doc_for_hit(h)
            for u in sp.urls[:1] if len(want) == 1 else ():
                # the span's one page, which its name alone does not bring up ('Ray Charles' for the album
                # 'Ray Charles (album)', see _typed): searched by its own title
                doc = self.index.doc(u)
                for h in self.search.search(doc.subject, self.cfg.search_top_k) if doc is not None else ():
                    if self._hit_key(h) in want:
                        return self.search.doc_for_hit(h)
            return None
        name = fold(sp.text)
        for h in hits:
            title = clean_title(h.title)
            if name in (fold(title), fold(base_name(title))):
                return self.search.doc_for_hit(h)
        return None

    def _hit_key(self, h: SearchHit) -> str:
        return self.index.entity_key(h.url) or fold(clean_title(h.title))

    def _rank(self, clues: list[Clue], r: int, s: _State) -> list[Clue]:
        order = {k: i for i, k in enumerate(self.cfg.clue_order)}
        chaining = self.cfg.prefer_chaining and r < self.cfg.rounds
        fa = fold(s.seed.answer)

        def chains(c: Clue) -> bool:
            return any((k := self.index.entity_key(u)) and k not in s.visited and k != fa for u in c.mentions)

        def relation(kind: str, key: str, rel: str) -> str:
            return norm_key(key) if key else f"{kind}:{rel}"

        # a relation this seed's question already went through comes after fresh ones ("the previous
        # album of the previous album of ..." is a chain, but a dull one); a rotation among equals (by
        # seed) keeps the questions of one page from all looking alike; a sentence's short core is
        # tried before the whole predicate
        used = {relation(m["kind"], m["key"], m["relation"]) for m in s.rounds_meta}
        usable = [c for c in clues if c.kind in order]
        # (an obfuscated clue shares its row's snippet: it has its own rotation key, so the order of
        # the other clues stays what it was without it)
        who = (s.seed.id, s.salt) if s.salt else (s.seed.id,)  # a restart turns the rotation
        rot = {c.snippet: stable_hash(*who, c.kind, c.snippet, c.anchor_url) for c in usable
               if c.kind != OBFUSCATED}

        def turn(c: Clue) -> str:
            return stable_hash(*who, c.kind, c.predicate) if c.kind == OBFUSCATED else rot[c.snippet]

        return sorted(usable, key=lambda c: (0 if chaining and chains(c) else 1,
                                             relation(c.kind, c.key, c.relation) in used, order[c.kind],
                                             turn(c), len(c.predicate)))

    def _typed(self, q: str, sp: EntitySpan | None, s: _State | None = None) -> EntitySpan | None:
        """The span with only the pages of the kind the question calls it: in 'the studio album “Ray Charles”
        by Ray Charles' the quoted title is the album, not the musician whose name it shares. Replacing it by
        a description of the musician moves the question's predicate ('On which record label was … released?')
        onto another entity ('the artist of …', whose infobox lists seven labels). None when no page is of
        that kind (counted)."""
        if sp is None:
            return None
        m = re.search(r"([A-Za-z-]+)\s*[\"“‘'«]?$", q[:sp.start])
        noun = m.group(1).lower() if m else ""
        if noun not in WORK_NOUNS:
            return sp
        urls = tuple(u for u in sp.urls if self._page_kind(u) in WORK_NOUNS)
        fam = _NOUN_FAMILY.get(noun)
        if fam and any(_NOUN_FAMILY.get(self._page_kind(u)) == fam for u in urls):
            urls = tuple(u for u in urls if _NOUN_FAMILY.get(self._page_kind(u)) == fam)  # the album, not the song
        elif fam and urls:
            urls = ()  # 'the album What'd I Say' where only the song's page bears the name: not this entity
        if urls:
            return replace(sp, urls=urls) if urls != sp.urls else sp
        # 'the album Ray Charles': the name is the musician's; the page of that kind is 'Ray Charles (album)'
        # (an earlier round's 'the <kind> <title>', or a user's wording), when its title says that kind
        dis = tuple(u for u in self.aliases.get(fold(f"{sp.text} ({noun})"), ()) if self._page_kind(u) == noun)
        span = replace(sp, urls=dis) if dis else None
        if span is not None and s is not None:
            span = self._in_context(span, s)
        if span is not None:
            self.counters.inc(f"{STAGE}/entities/disambiguated_by_kind")
            return span
        self.counters.inc(f"{STAGE}/entities/kind_mismatch")
        return None

    def _page_kind(self, url: str) -> str:
        """What a page's entity is: its infobox 'Type' noun ('Studio album by …' -> 'album'), else the type
        noun of its first sentence ('… was an American singer-songwriter' -> 'singer-songwriter')."""
        if url not in self._kinds:
            kind = infobox_type(self.index, url)
            if not kind:
                d = self.index.doc(url)
                # a long subject ('"Drown in My Own Tears", originally credited as "…", is a blues song') too
                sp = predicate(d.description, max_subject_words=30) if d is not None else None
                kind = type_noun(sp[1]) if sp else ""
            self._kinds[url] = kind
        return self._kinds[url]

    def _list_item(self, q: str, sp: EntitySpan) -> bool:
        """A name inside a list of names ('whose producer is Ray Charles, Steve Hoffman, Richard Foos', 'by Ray
        Charles and Milt Jackson'): a description put there reads as part of the list ('… is the artist of X,
        Steve Hoffman, …')."""
        # ... or one of two credited names ('the album “Soul Meeting” by Ray Charles and Milt Jackson': a
        # description of Ray Charles there leaves '… Sweet & Sour Tears and Milt Jackson' behind)
        if re.match(r"\s*,\s*[A-Z]", q[sp.end:]) or re.search(r"[A-Z][\w.'’-]*,\s*$", q[:sp.start]) \
                or re.match(r"\s+(?:and|&)\s+[A-Z]", q[sp.end:]) or re.search(r"[A-Z][\w.'’-]*\s+(?:and|&)\s+$", q[:sp.start]):
            self.counters.inc(f"{STAGE}/entities/list_item")
            return True
        return False

    def _attributive(self, q: str, sp: EntitySpan) -> bool:
        """A name used as a modifier ('previously released Ray Charles tracks'): a description cannot
        stand there ('previously released the artist of X tracks')."""
        if re.match(r"['’](?:s\b|\s|$)", q[sp.end:]):  # "Ray Charles's song X", "Charles' July 5 performance":
            # a description takes no possessive
            self.counters.inc(f"{STAGE}/entities/attributive")
            return True
        m = re.match(r"\s+([a-z][\w-]*)", q[sp.end:])
        if not m:
            return False
        w = m.group(1)
        if w in _TYPE_SET or (w.endswith("s") and w[:-1] in _TYPE_SET):
            self.counters.inc(f"{STAGE}/entities/attributive")
            return True
        return False

    def _gives_away(self, sp: EntitySpan, answer: str) -> bool:
        key = (sp.urls, answer)
        if key not in self._gives:
            if len(self._gives) > 50_000:
                self._gives.clear()
            self._gives[key] = any(states(answer, self.index.body(u)) for u in sp.urls)
        return self._gives[key]

    def _named_elsewhere(self, clue: Clue, rest: str) -> str:
        """A name the clue describes its entity through that the rest of the question already holds."""
        names = [clue.anchor, base_name(clue.anchor)] if clue.anchor else []
        if clue.kind == "fact" and clue.value[:1].isupper():
            names.append(clue.value)
        for u in clue.mentions:
            doc = self.index.doc(u)
            if doc is not None:
                names += [doc.subject, base_name(doc.subject)]
        return next((n for n in names if n and len(fold(n)) >= 3 and occurs(n, rest)), "")

    def _structural_ambiguity(self, clue: Clue) -> str:
        if clue.ambiguity:
            return f"{clue.kind} '{clue.snippet[:120]}': {clue.ambiguity}"
        if clue.kind in RELATION_KINDS and clue.resolves > 1:
            return f"{clue.kind} '{clue.snippet[:120]}' can denote {clue.resolves} entities"
        if clue.kind == "fact":
            # every page whose row of the key family lists the value counts, joint credits included
            n = len(fact_holders(self.index, clue.key, clue.value) | {clue_key(self.index, clue)})
            if n > 1:
                return f"{n} entities have '{clue.key}: {clue.value}' (or list it among their values)"
        return ""

    def _other_recording(self, q: str, page: PageDoc, clue: Clue) -> str:
        """Why a clue cannot describe the song a question asks the first or original recording of: the song's
        page is a later recording's ('Single by Ray Charles'; the page says The Coasters recorded it first), so
        its producer, label, dates, chronology or listings are that recording's, not the song's ("Which group
        first recorded the song produced by someone with the initials J. A.?": Joe Adams produced Ray Charles's
        single). Song-level clues (writer, composer, publication, the page's sentences) still describe it."""
        if not _OTHER_RECORDING_Q.search(q) or clue.kind in ("first_sentence", "lead_sentence", "inverse_mention"):
            return ""
        if clue.relation in ("writer", "composer") or norm_key(clue.key) in _SONG_KEYS:
            return ""
        from synth.e2h.records import recorded_by_another

        why = recorded_by_another(self.index, page.url)
        return f"{clue.kind} '{clue.snippet[:80]}' is a row of one recording, and the question asks of another " \
               f"({why})" if why else ""

    # --- one wave: describe, check, rewrite, check --------------------------------------------------
    def _wave(self, todo: list[tuple[_State, Attempt]], r: int, wave: int) -> None:
        c = self.counters
        dreqs = []
        for s, a in todo:
            c.inc(f"{STAGE}/attempts/total")
            dreqs.append(DescribeRequest(
                key=f"{s.seed.id}{s.salt}:r{r}:a{wave}", entity=a.entity.text, subject=a.page.subject, clue=a.clue,
                first_sentence=a.page.description, facts=tuple((f.key, f.value) for f in a.page.facts[:12]),
                avoid=(s.seed.answer,), max_chars=self.cfg.max_description_chars))
        douts = self.writer.describe(dreqs)
        second: list[tuple[_State, Attempt, str, dict]] = []
        for (s, a), out in zip(todo, douts, strict=True):
            reason, detail, info = self._check_description(s, a, out)
            if reason:
                self._attempt_failed(s, a, reason, detail, 1 if reason == "writer_failed" else 2,
                                     description=out.text or "", raw=out.raw)
                continue
            second.append((s, a, out.text or "", info))
        if not second:
            return
        rreqs = [RewriteRequest(key=f"{s.seed.id}{s.salt}:r{r}:a{wave}", question=s.question, entity=a.entity.text,
                                start=a.entity.start, end=a.entity.end, description=d, answer=s.seed.answer)
                 for s, a, d, _ in second]
        routs = self.writer.rewrite(rreqs)
        for (s, a, desc, info), out in zip(second, routs, strict=True):
            reason, detail = self._check_question(s, a, desc, out)
            if not reason:
                reason, detail = self._gate(s, out.text or "")
                if reason and (s.fallback is None or
                               self._prospect(s, a, out.text or "") > self._prospect(s, *s.fallback[2:5:2])):
                    # a gated rewrite whose description names another indexed entity is the better one
                    # to go on with: a later round replaces that name and may hide the answer; one that
                    # leaves any entity to replace comes before one that leaves none (the seed ends there)
                    s.fallback = (s, r, a, desc, out.text or "", info)
            if reason:
                self._attempt_failed(s, a, reason, detail, 3, description=desc, question=out.text or "",
                                     raw=out.raw)
                continue
            if r < self.cfg.rounds and not self._chains(s, a) and not self._entity_left(s, a, out.text or ""):
                # it hides the answer but leaves the next round nothing to replace: keep looking for one
                # that also names another entity; at the round's end a gated rewrite that chains is
                # preferred to it (later rounds may hide the answer), else this one ends the seed
                if s.dead_end is None:
                    s.dead_end = (s, r, a, desc, out.text or "", info)
                self._attempt_failed(s, a, "dead_end", f"{out.text!r} leaves no entity for round {r + 1}", 3,
                                     description=desc, question=out.text or "")
                continue
            self._succeed(s, r, a, desc, out.text or "", info)

    def _prospect(self, s: _State, a: Attempt, q2: str) -> int:
        """How a gated rewrite leaves the next round: 2 its clue names a fresh entity, 1 the question still
        names one, 0 nothing to replace (a later round cannot hide the answer)."""
        return 2 if self._chains(s, a) else 1 if self._entity_left(s, a, q2) else 0

    def _entity_left(self, s: _State, a: Attempt, q2: str) -> bool:
        """The rewritten question still names an indexed entity a next round could replace."""
        gone = s.replaced | {a.page.key}
        return any(not ({self.index.entity_key(u) for u in sp.urls} & gone)
                   for sp in find_entities(q2, s.seed.answer, self.aliases, max_tokens=self._alias_len))

    def _chains(self, s: _State, a: Attempt) -> bool:
        """The attempt's clue names an indexed entity the question has not gone through yet."""
        fa = fold(s.seed.answer)
        return any((k := self.index.entity_key(u)) and k not in s.visited and k != fa and k != a.page.key
                   for u in a.clue.mentions)

    def _attempt_failed(self, s: _State, a: Attempt, reason: str, detail: str, step: int, **extra: Any) -> None:
        """Log a failed attempt; ``step`` says how far it got (1 describe, 2 description checked,
        3 rewritten): a round fails with the reason of the attempt that got furthest."""
        self.counters.inc(f"{STAGE}/attempts/{reason}")
        s.fail(reason, detail, entity=a.entity.text, kind=a.clue.kind, snippet=a.clue.snippet,
               evidence_url=a.clue.evidence_url, step=step, **{k: v for k, v in extra.items() if v})

    def _names(self, a: Attempt) -> list[str]:
        names = {a.entity.text, a.page.subject, base_name(a.page.subject)}
        return [n for n in names if n and len(fold(n)) >= 2]

    def _check_description(self, s: _State, a: Attempt, out: WriterOutput) -> tuple[str, str, dict]:
        info: dict[str, Any] = {}
        if not out.ok:
            return "writer_failed", f"describe: {out.error or 'no text'}", info
        desc = out.text or ""
        for n in self._names(a):
            if occurs(n, desc):
                return "entity_still_present", f"description {desc!r} names {n!r}", info
        for n in s.replaced_names:
            if occurs(n, desc):
                return "entity_still_present", f"description {desc!r} names {n!r}, replaced earlier", info
        if any(occurs(a, desc) for a in s.answers):
            return "answer_leaked", f"description {desc!r} contains the answer", info
        reason, detail, via = self._uniqueness(a, desc)
        info["unique_via"] = via
        return reason, detail, info

    def _uniqueness(self, a: Attempt, desc: str) -> tuple[str, str, str]:
        """('', '', how) when searching ``desc`` singles out the entity's page; else a reason."""
        page, clue = a.page, a.clue
        if clue.kind == YEAR_OF:
            # a value, not an entity: the clue exists only for a record whose one release year every crawled
            # page agrees on (synth.e2h.years.release_year), so the description has that one value
            return "", "", "year"
        if clue.kind == OBFUSCATED:
            # the clue exists only when no other page's row of its key family satisfies the loose value
            # (synth.e2h.obfuscate): an exact check over the index; a search would find no page first,
            # which is the point. The description must not state the exact value again (an LLM's).
            exact = [y for y in re.findall(r"\b1[0-9]{3}\b|\b20[0-9]{2}\b", clue.value)] + \
                ([clue.value] if clue.relation in PERSON_VERB else [])
            said = next((v for v in exact if occurs(v, desc)), "")
            if said:
                return "not_unique", f"description {desc!r} states the exact value {said!r} it should hide", ""
            return "", "", "predicate"
        if clue.kind not in RELATION_KINDS and page.local:
            core = fold(desc)
            core = core[4:] if core.startswith("the ") else core
            others = self.index.entities_with_description(core) - {page.key}
            if others and len(core.split()) >= 2:
                return "ambiguous", f"{len(others)} other page(s) begin with the same description {desc!r}", ""
        hits = self.search.search(desc, self.cfg.search_top_k)
        if hits and self._hit_key(hits[0]) == page.key:
            runner = next((h for h in hits[1:] if self._hit_key(h) != page.key), None)
            if runner is not None and clue.kind not in RELATION_KINDS and hits[0].match != "title" and \
                    hits[0].score > 0 and runner.score >= hits[0].score * (1 - self.cfg.ambiguity_margin):
                return "ambiguous", f"{runner.title!r} ranks level with the entity for {desc!r}", ""
            return "", "", "direct"
        if clue.kind in RELATION_KINDS and clue.anchor and occurs(clue.anchor, desc):
            ahits = self.search.search(clue.anchor, self.cfg.search_top_k)
            if ahits and self._hit_key(ahits[0]) == self.index.entity_key(clue.anchor_url):
                return "", "", "anchor"
            top = ahits[0].title if ahits else "nothing"
            return "not_unique", f"search {clue.anchor!r} finds {top!r} first, not the named page", ""
        if clue.kind in RELATION_KINDS and clue.anchor_url and named_by_kind(self.index, clue.anchor_url, desc):
            return "", "", "anchor_kind"  # 'the album Ray Charles': one crawled album of that name
        top = hits[0].title if hits else "nothing"
        return "not_unique", f"search {desc!r} finds {top!r} first, not {page.subject!r}", ""

    def _check_question(self, s: _State, a: Attempt, desc: str, out: WriterOutput) -> tuple[str, str]:
        if not out.ok:
            return "writer_failed", f"rewrite: {out.error or 'no text'}"
        q2 = out.text or ""
        if not q2.rstrip().endswith("?"):
            return "writer_failed", f"rewrite is not a question: {q2[:200]!r}"
        rest = s.question[:a.entity.start] + " " + s.question[a.entity.end:]
        for n in self._names(a):
            # the entity as written must be gone; its page title only if it was not there besides
            if occurs(n, q2) and (n == a.entity.text or not occurs(n, rest)):
                return "entity_still_present", f"question still names {n!r}: {q2!r}"
        for n in s.replaced_names:
            if occurs(n, q2) and not occurs(n, s.question):
                return "entity_still_present", f"question names {n!r} again, replaced earlier: {q2!r}"
        if any(occurs(a, q2) for a in s.answers):
            return "answer_leaked", f"question contains the answer: {q2!r}"
        if len(q2) > self.cfg.max_question_chars:
            return "too_long", f"{len(q2)} chars > {self.cfg.max_question_chars}: {q2[:120]!r}..."
        problem = fluency_problem(q2)
        if problem is not None:
            return "not_fluent", f"{problem[0]}: {problem[1]} in {q2!r}"
        i = q2.find(desc)
        if i >= 0 and "," in desc and re.match(r"\s+(?:and|&)\s", q2[i + len(desc):]):
            # '… whose labels include Columbia, Peacock, Verve and Ray Charles': the name after the list reads
            # as one more item of it
            return "not_fluent", f"ambiguous coordination after the list in {desc!r}: {q2!r}"
        if i >= 0 and re.match(r"\s+by\s", q2[i + len(desc):]) and _AUTHOR_PARTICIPLE.search(desc):
            # '… the number written in 1940 by the artist of …': the question's 'by X' (the record's artist) now
            # reads as the writer of the description's entity (Walter Davis wrote Come Back Baby)
            return "not_fluent", f"'by' after {desc!r} reads as its {_AUTHOR_PARTICIPLE.search(desc).group(1)!r} " \
                                 f"clause: {q2!r}"
        if q2 == s.question or len(desc.split()) <= len(a.entity.text.split()):
            return "no_growth", f"{desc!r} says no more than {a.entity.text!r}: {q2!r}"
        content = [w for w in words(desc) if w not in STOPWORDS]
        kept = set(words(q2))
        if content and sum(w in kept for w in content) < 0.6 * len(content):
            return "no_growth", f"the rewrite dropped the description {desc!r}: {q2!r}"
        return "", ""

    def _gate(self, s: _State, q2: str) -> tuple[str, str]:
        """The filter stage's one-search gate on a rewrite: ('', '') when it hides the answer."""
        if self.cfg.one_search_gate:
            rank = shortcut_rank(self.index, q2, s.seed.answer, aliases=s.seed.aliases)
            if rank is not None and rank <= self.cfg.one_search_top:
                return "answer_in_top3", f"one search of {q2!r} gives the answer away at rank {rank}"
        return "", ""

    def _succeed(self, s: _State, r: int, a: Attempt, desc: str, q2: str, info: dict, *, gate: bool = True) -> None:
        s.steps.append(LineageStep(
            round=r, entity=a.entity.text, query=a.query, evidence_url=a.clue.evidence_url, snippet=a.clue.snippet,
            snippet_hash=stable_hash(a.clue.snippet), description=desc, question_before=s.question,
            question_after=q2))
        s.rounds_meta.append({
            "round": r, "entity_url": a.page.url, "kind": a.clue.kind, "key": a.clue.key,
            "relation": a.clue.relation, "anchor": a.clue.anchor, "anchor_url": a.clue.anchor_url,
            "unique_via": info.get("unique_via", ""), "attempts": s.n_attempts,
            **({"loose": json.loads(a.clue.loose)} if a.clue.loose else {}),
        })
        s.gate_ok.append(gate)
        s.replaced.add(a.page.key)
        s.replaced_names.extend(self._names(a))
        if a.page.local:
            s.context.update({a.page.url, a.clue.evidence_url})
        s.visited.add(a.page.key)
        s.question = q2
        i = q2.lower().find(desc.lower())
        s.last_span = (i, i + len(desc)) if i >= 0 else None
        s.done_round = True
        self.counters.inc(f"{STAGE}/attempts/ok")

    # --- results ------------------------------------------------------------------------------------
    def _finish(self, s: _State) -> E2HOutcome:
        if s.failure is not None and s.failure.reason in _PRE_ROUND:
            return E2HOutcome(s.seed, None, [], s.failure)
        if s.died:
            self.counters.inc(f"{STAGE}/dropped/{s.died}")
        keep = s.hidden_rounds
        if keep < len(s.steps):  # the record ends at the last question that hides the answer
            cut = s.steps[keep]
            s.failure = RoundFailure(keep + 1, "answer_in_top3",
                                     f"from round {keep + 1} on, one search of the question gives the answer "
                                     f"away: {cut.question_after!r}", cut.question_before, list(s.log))
            self.counters.inc(f"{STAGE}/{'dropped' if keep == 0 else 'trimmed'}/answer_in_top3")
            s.steps, s.rounds_meta, s.gate_ok = s.steps[:keep], s.rounds_meta[:keep], s.gate_ok[:keep]
        n = len(s.steps)
        self.counters.inc(f"{STAGE}/survived/{n}")
        rec = None
        if n >= self.cfg.min_rounds_to_keep:
            rec = self._record(s)
            self.counters.inc(f"{STAGE}/kept")
            self.counters.inc(f"{STAGE}/difficulty/{n}")
        else:
            self.counters.inc(f"{STAGE}/below_min_rounds")
        return E2HOutcome(s.seed, rec, list(s.steps), s.failure)

    def _record(self, s: _State) -> QARecord:
        seed = s.seed
        start = list(seed.golden_path) or ([seed.source_url] if seed.source_url else [])
        urls = list(dict.fromkeys([*start, *(st.evidence_url for st in s.steps)]))
        evidence = [*seed.evidence, *(Evidence(url=st.evidence_url, text=st.snippet) for st in s.steps)]
        q = s.steps[-1].question_after
        meta = {
            "seed_id": seed.id, "seed_question": seed.question, "seed_origin": seed.origin,
            "rounds_attempted": self.cfg.rounds, "rounds_survived": len(s.steps),
            "failed_round": s.failure.round if s.failure else None,
            "failed_reason": s.failure.reason if s.failure else None,
            "rounds": s.rounds_meta, "search": self.search.name,
        }
        if s.grounding is not None:
            meta["grounding"] = {"via": s.grounding.via, "url": s.grounding.url}
        return QARecord(
            id=qa_id("e2h", q, seed.answer, urls), type="e2h", question=q, answer=seed.answer,
            root_url=seed.root_url or (urls[0] if urls else ""), source_urls=urls, golden_path=urls,
            evidence=evidence, hops=1 + len(s.steps), language=seed.language, writer=self.writer.name,
            prompt_version=self.writer.prompt_version, difficulty=len(s.steps), run_id=self.run_id,
            created_at=self.created_at, domain=seed.domain, candidate_id=seed.id, lineage=list(s.steps),
            aliases=list(seed.aliases),
            meta_json=json.dumps(meta, ensure_ascii=False, sort_keys=True),
        )


def clue_key(index: LocalSearchIndex, clue: Clue) -> str:
    """The entity key of the page a clue describes."""
    return index.entity_key(clue.entity_url) or clue.entity_url


def failure_reject(outcome: E2HOutcome, run_id: str) -> Reject | None:
    """The reject row of a seed's failed round (None when every round passed)."""
    f = outcome.failure
    if f is None:
        return None
    seed = outcome.seed
    payload = {"seed": {"id": seed.id, "question": seed.question, "answer": seed.answer,
                        "source_url": seed.source_url, "origin": seed.origin},
               "round": f.round, "question": f.question, "rounds_survived": outcome.rounds,
               "attempts": f.attempts}
    return Reject(
        id=reject_id(STAGE, f.reason, f"{seed.id}#r{f.round}"), stage=STAGE, reason=f.reason,
        detail=(f"round {f.round}: {f.detail}" if f.round else f"seed: {f.detail}")[:2000], record_id=seed.id, url=seed.source_url, run_id=run_id,
        payload_json=json.dumps(payload, ensure_ascii=False, default=str),
    )


# --- WebShaper-style export -------------------------------------------------------------------------
def to_webshaper(record: QARecord) -> dict:
    """A record as WebShaper-style ``urls`` + ``formalization`` ([subject, relation, object] triples).

    Terms follow WebShaper's data: ``?`` is the target (the answer), ``V@X<k>`` the entity hidden in
    round k, ``C@<value>`` a constant. The seed question, its entity hidden, gives
    ``["?", "answers", "C@<question with V@X1>"]``; each round adds the relation its clue encodes —
    an infobox row (``["V@X2", "Born", "V@X1"]``: X1 is where X2 was born), a mention
    (``["C@Ray", "subject", "V@X1"]``) — or, for a sentence clue, ``["V@X<k>", "described_as",
    "C@<description>"]``. An entity named by a clue and hidden in a later round is that round's variable.
    """
    meta = json.loads(record.meta_json or "{}")
    rounds = {m["round"]: m for m in meta.get("rounds", []) if isinstance(m, dict) and "round" in m}
    steps = sorted(record.lineage, key=lambda s: s.round)
    var_of_url = {rounds[st.round]["entity_url"]: f"V@X{st.round}" for st in steps if st.round in rounds}
    var_of_name = {fold(st.entity): f"V@X{st.round}" for st in steps}

    def term(name: str, url: str = "") -> str:
        return var_of_url.get(url) or var_of_name.get(fold(name)) or f"C@{name}"

    def hide(text: str, after: int) -> str:
        for st in sorted(steps, key=lambda x: -len(x.entity)):
            if st.round > after and st.entity:
                text = text.replace(st.entity, f"V@X{st.round}")
        return text

    triples: list[list[str]] = []
    if steps:
        first = steps[0]
        triples.append(["?", "answers", "C@" + first.question_before.replace(first.entity, "V@X1")])
    for st in steps:
        m = rounds.get(st.round, {})
        x = f"V@X{st.round}"
        kind, key = m.get("kind", ""), m.get("key", "")
        anchor = term(m.get("anchor", ""), m.get("anchor_url", ""))
        if kind in ("inverse_relation", "inverse_listing"):  # a listing: the anchor's list under `key` names X
            triples.append([anchor, key, x])
        elif kind == "forward_relation":
            triples.append([x, key, anchor])
        elif kind == "inverse_mention":
            triples.append([anchor, m.get("relation", "") or "mentions", x])
        elif kind == "fact" and ": " in st.snippet:
            k, v = st.snippet.split(": ", 1)
            triples.append([x, k, f"C@{v}"])
        else:
            triples.append([x, "described_as", "C@" + hide(st.description, st.round)])
    urls = list(dict.fromkeys([*record.source_urls, *(e.url for e in record.evidence),
                               *(st.evidence_url for st in steps)]))
    return {"id": record.id, "question": record.question, "answer": record.answer, "urls": urls,
            "formalization": triples}
