"""OBFUSCATED: a target entity described by several loose constraints from a subgraph of the crawl.

The entity graph (``synth.graph.entities``) is built from the mining graph's nodes (no second pass
over the pages). For each target entity, seeded random walks (``synth.graph.sample``) grow subgraphs;
a subgraph is kept when its constraints span ≥ 2 pages, its shape is not a single chain and the
solver (``synth.graph.solve``) proves that exactly one crawled entity of the target's kind satisfies
the obfuscated constraints (or only namesakes of it besides: then the name is the one answer and no
attribute of the target is asked); redundant constraints are dropped. The answer is the target's name, or
one attribute of it (its producer, writer, director or label), never a count.

Shapes are capped run-wide (``obfuscated_max_per_shape``) in a seeded order, so one template cannot
dominate. The constraint set travels as slots (for the writers), as ``Candidate.constraints``
(triples with variables, evidence URL and snippet) and as ``meta`` (the predicates, for the
re-check in ``filters/obfuscated.py``).

Drops: ``no_subgraph`` (no unique subgraph around a target), ``shape_cap``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import ClassVar

from schemas.records import Candidate, Constraint, Evidence
from synth.graph.entities import EntityGraph, build_entity_graph
from synth.graph.sample import SampleConfig, needed, sample_queries, shape_signature
from synth.graph.solve import namesake_count
from synth.graph.values import person_names, value_phrase
from synth.miners.base import Graph, MineContext, make_candidate
from synth.text import contains, name_variants, norm
from synth.writers import obfuscated as W

ATTR_ANSWERS = ("producer", "writer", "director")  # not labels: "Atlantic" is on most pages (87% fail the one-search gate)
COMMON_ANSWER = 3  # an attribute value shared by this many crawled entities is not asked
MAX_ATTR_ASKS = 1  # questions per subgraph that ask an attribute of the target instead of its name
TARGET_KINDS = ("song", "album", "film", "person", "band", "tv series", "place", "organisation", "paper",
                "repository", "asteroid")


def writer_vocabulary() -> frozenset[str]:
    """Every word the offline writer may add around the constraint values."""
    texts: list[str] = []
    for opts in W.ATTR.values():
        texts += [a + " " + b for a, b in opts]
    for sides in W.REL.values():
        for opts in sides.values():
            texts += [a + " " + b for a, b in opts]
    texts += W.OPENERS + W.FOLLOW_SUBJECT + W.NEIGHBOUR_SUBJECT
    for group in (W.ASK_NAME, W.ASK_ATTR, W.TIME_VERBS, W.ATTR_PERSON):
        for opts in group.values():
            texts += [" ".join(o) if isinstance(o, tuple) else o for o in opts]
    texts += ["the same", "target itself", "mentioned above", "in", "sometime", "a", "an",
              "title", "name"]  # what ASK_NAME's {what} becomes
    return frozenset(norm(" ".join(texts)).split())


class TitleIndex:
    """Crawled titles by word, to find those a question's words could spell."""

    def __init__(self, graph: EntityGraph, vocab: frozenset[str]) -> None:
        self.by_word: dict[str, list[str]] = defaultdict(list)
        self.static: set[str] = set()
        for t in graph.titles:
            ws = t.split()
            if set(ws) <= vocab:
                self.static.add(t)
            for w in set(ws):
                self.by_word[w].append(t)
        self.vocab = vocab

    def spellable(self, words: set[str]) -> set[str]:
        allw = words | self.vocab
        out = set(self.static)
        for w in words:
            for t in self.by_word.get(w, ()):
                if set(t.split()) <= allw:
                    out.add(t)
        return out


def _renumber(query: dict, binding: dict[str, int]) -> tuple[dict, dict[str, int]]:
    names = ["?x", "?y", "?z", "?w", "?v"]
    order = ["?x"]
    for c in query["constraints"]:
        for v in (c["s"], c.get("o")):
            if v and v not in order:
                order.append(v)
    m = {v: names[i] for i, v in enumerate(order)}
    cons = []
    for c in query["constraints"]:
        c2 = dict(c, s=m[c["s"]])
        if c.get("o"):
            c2["o"] = m[c["o"]]
        cons.append(c2)
    return ({"vars": {m[v]: k for v, k in query["vars"].items()}, "constraints": cons},
            {m[v]: i for v, i in binding.items()})


def _display(c: dict) -> dict:
    """Genre-like values keep the page's spelling for the prose ("R&B", not "r b")."""
    p = c["pred"]
    if p.get("op") == "has" and "text" not in p:
        for part in re.split(r",|;|/|\n", c.get("value", "")):
            part = re.sub(r"\(.*?\)|\[.*?\]", "", part).strip()
            if norm(part) == p["v"]:
                c = dict(c, pred=dict(p, text=part))
                break
    return c


def _object(c: dict) -> str:
    """The obfuscated object as words ("the early 1960s", "initials J. W.", "soul")."""
    p = c["pred"]
    return str(p.get("text") or p["v"]) if p["op"] == "has" else value_phrase(p)


class ObfuscatedMiner:
    name: ClassVar[str] = "obfuscated"

    def mine(self, graph: Graph, ctx: MineContext) -> Iterator[Candidate]:
        cfg = ctx.cfg
        eg = build_entity_graph(iter(graph))  # sorted by URL: the same graph whatever the page order
        eg.release_order = graph.release_order()  # chronology steps checked as the other miners check them
        ctx.counters.inc("mine/obfuscated/entities", sum(1 for e in eg if not e.open_record))
        ctx.counters.inc("mine/obfuscated/open_records", sum(1 for e in eg if e.open_record))
        titles = TitleIndex(eg, writer_vocabulary())
        self._common: dict[tuple[str, str], int] = defaultdict(int)
        pages = [e for e in eg if not e.open_record]  # listed records are candidates only, never described
        for e in pages:
            for key in ATTR_ANSWERS:
                if key in e.attrs:
                    self._common[(key, norm(re.sub(r"\(.*?\)", "", e.attrs[key].raw)))] += 1
        # credits of the same relation on other pages that may be about the same record: the artist's
        # other records and any page with the same name and kind (a second URL, a reissue)
        self._credits: dict[tuple[str, str], list[tuple[int, frozenset[str]]]] = defaultdict(list)
        for e in pages:
            for key in ATTR_ANSWERS:
                if key in e.attrs:
                    names = frozenset(norm(n) for n in person_names(e.attrs[key].raw) if norm(n))
                    for group in {f"by:{e.by}" if e.by else "", f"name:{e.kind}:{norm(e.name)}"} - {""}:
                        self._credits[(key, group)].append((e.idx, names))
        scfg = SampleConfig(min_constraints=cfg.obfuscated_min_constraints, link_relation=cfg.obfuscated_links,
                            max_constraints=cfg.obfuscated_max_constraints,
                            shared_values=cfg.obfuscated_shared_values)
        found: list[tuple[str, str, Candidate]] = []
        for ent in pages:
            if ent.kind not in TARGET_KINDS or not ent.name:
                continue
            node = graph.get(ent.url)
            if node is None:
                continue
            got = sample_queries(eg, ent.idx, seed=cfg.seed, tries=cfg.obfuscated_tries,
                                 keep=cfg.obfuscated_per_target, cfg=scfg,
                                 accept=lambda q, b: self._tellable(eg, ctx, q, b))
            if not got:
                ctx.reject("no_subgraph", ent.url, url=ent.url, detail=f"{ent.kind} {ent.name!r}")
                continue
            for query, binding in got:
                query, binding = _renumber(query, binding)
                if W.ambiguous({"vars": {v: {"noun": eg.entities[i].noun} for v, i in binding.items()},
                                "constraints": query["constraints"]}):
                    ctx.reject("ambiguous_nouns", shape_signature(query) + ent.url, url=ent.url)
                    continue
                query["constraints"] = [_display(c) if c["t"] == "attr" else c for c in query["constraints"]]
                sig = shape_signature(query)
                for c in self._candidates(eg, graph, ctx, titles, ent.idx, query, binding):
                    found.append((sig, ctx.rank("obfuscated", c.id), c))
        per_shape: dict[str, int] = defaultdict(int)
        for sig, _, c in sorted(found, key=lambda t: t[1]):
            if per_shape[sig] >= cfg.obfuscated_max_per_shape:
                ctx.reject("shape_cap", c.id, url=c.source_urls[0], detail=sig)
                continue
            per_shape[sig] += 1
            yield c

    def _contradicted(self, eg: EntityGraph, target: int, key: str, value: str) -> bool:
        """Whether another crawled page's row of the same relation may state a different value for the
        same record: a page with the same name and kind crediting someone else, or a record of the same
        artist crediting a different person who shares the answer's given name or surname ("Zenas Harris"
        in one infobox, "Zenas Sears" for the same recording on two others). Unsure counts as contradicted."""
        ent = eg.entities[target]
        v = norm(value)
        vw = v.split()
        if not vw:
            return True
        for idx, names in self._credits.get((key, f"name:{ent.kind}:{norm(ent.name)}"), ()):
            if idx != target and names and v not in names and not any(name_variants(n, v) for n in names):
                return True
        for idx, names in self._credits.get((key, f"by:{ent.by}"), ()) if ent.by else ():
            if idx == target:
                continue
            for n in names:
                nw = n.split()
                if n != v and not name_variants(n, v) and (nw[0] == vw[0] or nw[-1] == vw[-1]):
                    return True
        return False

    @staticmethod
    def _tellable(eg: EntityGraph, ctx: MineContext, query: dict, binding: dict[str, int]) -> bool:
        """Prose can tell the subgraph's entities apart (refused walks leave the place to another walk)."""
        if W.ambiguous({"vars": {v: {"noun": eg.entities[i].noun} for v, i in binding.items()},
                        "constraints": query["constraints"]}):
            ctx.counters.inc("mine/obfuscated/ambiguous_walks")
            return False
        return True

    def _candidates(self, eg: EntityGraph, graph: Graph, ctx: MineContext, titles: TitleIndex, target: int,
                    query: dict, binding: dict[str, int]) -> list[Candidate]:
        ent = eg.entities[target]
        node = graph.get(ent.url)
        need = needed(eg, query, target)
        words: set[str] = set()
        for c in query["constraints"]:
            if c["t"] == "attr":
                words |= set(norm(value_phrase(c["pred"]) + " " + str(c["pred"].get("text", ""))).split())
        for i in binding.values():
            words |= set(norm(eg.entities[i].noun).split())
        names = {eg.entities[i].name for i in binding.values()} | {eg.entities[i].title for i in binding.values()}
        forbidden = sorted(titles.spellable(words) | {norm(n) for n in names if n})
        used_attrs = {c["p"] for c in query["constraints"] if c["t"] == "attr" and c["s"] == "?x"}
        asks: list[tuple[dict, str, list[str], str]] = [({"what": "name"}, ent.name,
                                                          sorted({ent.title} - {ent.name}), "")]
        # a set that namesakes of the target also satisfy has one name for an answer, not one producer or album
        namesakes = namesake_count(eg, query, target)
        if namesakes:
            ctx.counters.inc("mine/obfuscated/unique_by_name")
        if ctx.cfg.obfuscated_attr_answers and not namesakes:
            for key in ATTR_ANSWERS:
                a = ent.attrs.get(key)
                if a is None or key in used_attrs:
                    continue
                if key != "label" and len(person_names(a.raw)) != 1:
                    continue  # "Nick Ashford, Valerie Simpson and Jo Armstead": no single answer
                if re.search(r",|;|/|&|\band\b", re.sub(r"\(.*?\)", "", a.raw)):
                    continue  # several labels or several people
                value = re.sub(r"\(.*?\)", "", a.raw).strip().strip('"')
                value = re.sub(r"\s+[A-Z]{0,4}[-\s]?\d[\w./-]*$", "", value).strip()
                if not value or len(value.split()) > ctx.cfg.max_answer_words or norm(value) in forbidden:
                    continue
                if self._common.get((key, norm(value)), 0) >= COMMON_ANSWER:
                    continue  # "Sid Feller" produced many crawled records: a guess, and on every list page
                if key == "label" and len(value) < 3:
                    continue
                if self._contradicted(eg, ent.idx, key, value):
                    ctx.counters.inc(f"mine/obfuscated/attr_answer_contradicted/{key}")
                    continue  # "Producer: Zenas Harris" here, "Zenas Sears" for the same concert elsewhere
                asks.append(({"what": "attr", "p": key}, value, [], a.snippet))
                if len(asks) > MAX_ATTR_ASKS:
                    break
            bound = set(binding.values())
            for rel, j, line in ent.rels:  # the album a single is on (not a node of this subgraph)
                if rel == "album" and j not in bound and len(asks) <= MAX_ATTR_ASKS:
                    name = eg.entities[j].name
                    if name and norm(name) not in forbidden and contains(line, name):
                        asks.append(({"what": "attr", "p": "album"}, name, [], line))
                    break
        kinds = {v: {"kind": eg.entities[i].kind, "noun": eg.entities[i].noun} for v, i in binding.items()}
        pages = [ent.url, *sorted({c["url"] for c in query["constraints"]} - {ent.url})]
        evidence: list[Evidence] = []
        seen_ev: set[tuple[str, str]] = set()
        for c in query["constraints"]:
            for url, snippet in ((c["url"], c["snippet"]), (c.get("url2"), c.get("snippet2"))):
                if url and snippet and (url, snippet) not in seen_ev:  # a shared value: both pages state it
                    seen_ev.add((url, snippet))
                    evidence.append(Evidence(url=url, text=snippet))
        constraints = [
            Constraint(subject=c["s"], relation=c["p"],
                       object=c["o"] if c["t"] == "rel" else _object(c),
                       value=c["value"], evidence_url=c["url"], snippet=c["snippet"])
            for c in query["constraints"]
        ]
        out = []
        for ask, answer, aliases, answer_snippet in asks:
            ev = list(evidence)
            if answer_snippet and (ent.url, answer_snippet) not in seen_ev:
                ev.append(Evidence(url=ent.url, text=answer_snippet))
            slots = {
                "vars": kinds, "constraints": query["constraints"], "ask": ask,
                "forbidden": [f for f in forbidden if norm(f) != norm(answer)],
                "meta": {"query": query, "ask": ask, "binding": {v: eg.entities[i].url for v, i in binding.items()},
                         "names": {v: eg.entities[i].name for v, i in binding.items()},
                         "solver": {"kind": ent.kind, "candidates": len(eg.of_kind(ent.kind)),
                                    "matches": 1 + namesakes, "answers": 1, "needed": need},
                         "shape": shape_signature(query), "answer_snippet": answer_snippet,
                         "forbidden": [f for f in forbidden if norm(f) != norm(answer)]},
            }
            c = make_candidate(
                type="obfuscated", miner=self.name, root_url=node.root_url if node else ent.url,
                source_urls=pages, golden_path=graph.path_to(ent.url), evidence=ev, answer=answer,
                hops=len(pages), language=(node.language if node else "en") or "en", subject=ent.name,
                relation=ask.get("p", "name"), slots=slots,
            )
            c = c.model_copy(update={"aliases": aliases, "constraints": constraints})
            out.append(c)
        return out
