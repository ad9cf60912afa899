"""Golden-path replay: walk a record's path through the environment's own tools (offline).

    result = replay(env, record)     # ReplayResult(ok, reason, steps=[{"tool", "args"}...], seen=[...])

The replay starts with one search (the question's text), then reaches every evidence page by
following a numbered link of a page already visited, by a page of the results already listed, or by
a further search (the page's title); each visited page must show its evidence snippet. Targets:

* ``multi_hop`` (a chain): the evidence pages in order;
* ``intersection``, ``comparison``, ``count``, ``proposed``: the evidence pages in any order (listed order);
* ``obfuscated``: its ``constraints`` (each with its evidence page and snippet), in any order;
* ``e2h``: the description pages (the lineage, last round first), then the seed's page(s).

A snippet is *seen* on a page when each of its parts (the lines and ``;``-separated values after a
``Subject — Key:`` prefix) is in the page's full content (facts, main text), as a phrase or as all of
its content words. A record that cannot be replayed is dropped by :class:`ReplayFilter` with reason
``unreplayable`` (detail: why); a replayed one leaves a reference :class:`Trajectory` (the tool calls;
the observations are the env's and are recomputed on export) in ``RUN/trajectories/``.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from agents.env import BrowseEnv
from filters.base import KEEP, Filter, Verdict, drop
from filters.shortcut import fold_text
from schemas.ids import stable_hash
from schemas.records import QARecord
from synth.search import STOPWORDS

SEARCH_K = 10
MAX_STEPS = 40
ORDERED_TYPES = frozenset({"multi_hop"})


class Trajectory(BaseModel):
    """One trajectory of a record: the golden-path replay (``kind='reference'``) or an agent rollout
    (``kind='rollout'``, with the model's full chat ``messages_json``)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="hash of record id, kind, model and attempt")
    record_id: str
    kind: str = Field("reference", description="reference | rollout")
    steps_json: str = Field("[]", description='the tool calls, [{"tool": "search", "args": {...}}, ...]')
    messages_json: str = Field("", description="a rollout's OpenAI chat messages (empty for a reference)")
    answer: str = ""
    ok: bool = True
    solved: bool | None = None
    n_steps: int = 0
    model: str = ""
    attempt: int = 0
    detail: str = ""


@dataclass
class Target:
    url: str
    snippet: str


@dataclass
class ReplayResult:
    ok: bool
    reason: str = ""
    detail: str = ""
    steps: list[dict] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)

    def trajectory(self, record: QARecord) -> Trajectory:
        return Trajectory(id=stable_hash("traj", record.id, "reference", "", 0), record_id=record.id,
                          kind="reference", steps_json=json.dumps(self.steps, ensure_ascii=False),
                          answer=record.answer, ok=self.ok, n_steps=len(self.steps), detail=self.detail)


def targets(record: QARecord) -> tuple[list[Target], bool]:
    """The pages (with their snippets) a replay must see, and whether the order matters."""
    if record.type == "obfuscated" and record.constraints:
        out = [Target(c.evidence_url, c.snippet or c.value or c.object) for c in record.constraints
               if c.evidence_url]
        return out, False
    if record.type == "e2h" and record.lineage:
        desc = [Target(s.evidence_url, s.snippet) for s in sorted(record.lineage, key=lambda s: -s.round)]
        lin = {(s.evidence_url, s.snippet) for s in record.lineage}
        seed = [Target(e.url, e.text) for e in record.evidence if (e.url, e.text) not in lin]
        return desc + seed, True
    return [Target(e.url, e.text) for e in record.evidence], record.type in ORDERED_TYPES


_PREFIX_RE = re.compile(r"^[^\n]{0,200}? — ")


def snippet_parts(snippet: str) -> list[str]:
    """The checkable parts of an evidence snippet ('Dunmoor — Mayor: Tomas Ekdahl' → ['Tomas Ekdahl'])."""
    s = snippet.strip()
    m = _PREFIX_RE.match(s)
    if m and "\n" not in m.group(0):
        s = s[m.end():]
    parts: list[str] = []
    for line in s.splitlines():
        line = line.strip().lstrip("-*• ").strip()
        if not line:
            continue
        if ": " in line or line.endswith(":"):
            key, _, val = line.partition(":")
            line = val.strip() if len(key) <= 160 else line
        parts += [p.strip() for p in line.split(";") if p.strip()]
    return parts or ([snippet.strip()] if snippet.strip() else [])


def seen_on(snippet: str, folded_content: str, content_words: set[str] | Callable[[], set[str]]) -> bool:
    """Is every part of ``snippet`` on the page (as a phrase, or as all its content words)?"""
    hay = f" {folded_content} "
    for part in snippet_parts(snippet):
        fp = fold_text(part)
        if not fp or f" {fp} " in hay:
            continue
        words = [w for w in fp.split() if w not in STOPWORDS]
        vocab = content_words() if callable(content_words) else content_words
        if not words or not all(w in vocab for w in words):
            return False
    return True


class _Read:
    __slots__ = ("_words", "folded", "links")

    def __init__(self, folded: str, links: dict[str, str]) -> None:
        self.folded = folded
        self.links = links
        self._words: set[str] | None = None

    @property
    def words(self) -> set[str]:
        if self._words is None:
            self._words = set(self.folded.split())
        return self._words


class Replayer:
    """Replays records against one env (keeps the folded pages it has read, bounded)."""

    def __init__(self, env: BrowseEnv, *, k: int = SEARCH_K, max_steps: int = MAX_STEPS) -> None:
        self.env = env
        self.k = k
        self.max_steps = max_steps
        self._pages: OrderedDict[str, _Read] = OrderedDict()

    def _read(self, doc: str) -> _Read:
        """A visited page, folded, with its links resolved to stored pages (LRU of 128 pages)."""
        got = self._pages.get(doc)
        if got is not None:
            self._pages.move_to_end(doc)
            return got
        v = self.env.visit(doc, max_chars=10**9)
        links: dict[str, str] = {}  # resolved doc -> the link's URL as written on the page
        for lk in v.get("links", []):
            r = self.env.resolve(lk["url"])
            if r is not None and r not in links:
                links[r] = lk["url"]
        got = _Read(fold_text(v.get("content", "")), links)
        self._pages[doc] = got
        if len(self._pages) > 128:  # bounded: a folded page is tens of KB
            self._pages.popitem(last=False)
        return got

    def replay(self, record: QARecord) -> ReplayResult:
        env = self.env
        goals, _ordered = targets(record)
        if not goals:
            return ReplayResult(False, "unreplayable", "no evidence pages")
        steps: list[dict] = [{"tool": "search", "args": {"query": record.question, "k": self.k}}]
        listed = {env.resolve(h["url"]) or h["url"] for h in env.search(record.question, self.k)}
        visited: list[str] = []  # docs, in visit order
        link_of: dict[str, dict[str, str]] = {}  # visited doc -> {resolved doc: link url as written}
        seen: list[str] = []
        for goal in goals:
            doc = env.resolve(goal.url)
            if doc is None:
                return ReplayResult(False, "unreplayable", f"evidence page not in the corpus: {goal.url}", steps)
            if doc not in visited:
                via = next((link_of[v][doc] for v in reversed(visited) if doc in link_of[v]), None)
                if via is None and doc not in listed:
                    title = (env.page(doc) or {}).get("title") or ""
                    if title:
                        steps.append({"tool": "search", "args": {"query": title, "k": self.k}})
                        listed = {env.resolve(h["url"]) or h["url"] for h in env.search(title, self.k)}
                    if doc not in listed:
                        return ReplayResult(False, "unreplayable",
                                            f"page reached by no link and no search: {goal.url}", steps)
                steps.append({"tool": "visit", "args": {"url": via or doc}})
                visited.append(doc)
                link_of[doc] = self._read(doc).links
                if len(steps) > self.max_steps:
                    return ReplayResult(False, "unreplayable", f"more than {self.max_steps} steps", steps)
            page = self._read(doc)
            if not seen_on(goal.snippet, page.folded, lambda p=page: p.words):
                return ReplayResult(False, "unreplayable",
                                    f"evidence not on the page {goal.url}: {goal.snippet[:160]!r}", steps)
            seen.append(goal.url)
        return ReplayResult(True, "", "", steps, seen)


def replay(env: BrowseEnv, record: QARecord) -> ReplayResult:
    """Replay one record (see the module docstring)."""
    return Replayer(env).replay(record)


class ReplayFilter(Filter):
    """Drops records whose golden path cannot be replayed in the env (``unreplayable``); hands the
    reference trajectory of every replayed record to ``sink`` (the ``trajectories/`` writer)."""

    name: ClassVar[str] = "replay"
    order: ClassVar[int] = 950  # after the shortcut gate
    reasons: ClassVar[tuple[str, ...]] = ("unreplayable",)
    exempt: ClassVar[frozenset[str]] = frozenset({"single_hop"})  # seeds: not training data

    def __init__(self, env: BrowseEnv, sink: Callable[[Trajectory], None] | None = None) -> None:
        self.replayer = Replayer(env)
        self.sink = sink

    @classmethod
    def from_config(cls, cfg, *, links=None) -> Filter | None:
        return None  # needs the env: the filter stage builds it (agents.gate)

    def check(self, record: QARecord) -> Verdict:
        if record.type in self.exempt:
            return KEEP
        res = self.replayer.replay(record)
        if not res.ok:
            return drop("unreplayable", res.detail)
        if self.sink is not None:
            self.sink(res.trajectory(record))
        return KEEP


def replay_all(env: BrowseEnv, records: Iterable[QARecord]) -> dict[str, ReplayResult]:
    r = Replayer(env)
    return {rec.id: r.replay(rec) for rec in records}
