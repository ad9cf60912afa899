"""Subgraph sampling around a target entity, obfuscation of its constraints, uniqueness by solving.

:func:`sample_queries` grows connected subgraphs around a target by a seeded random walk with
branching (the walk may return to any node already in the subgraph and leave it by another edge) and
backtracking (a neighbour with nothing askable is abandoned and the walk returns to where it came
from). Each step adds one constraint: an obfuscated attribute of the current node, or a relation to a
new neighbour (which must then get an attribute of its own). When a new neighbour is also related to
another node of the subgraph, that edge may be added too (a cycle).

A subgraph is kept when its constraints come from ≥ 2 pages, its shape is not a single chain (a node
with ≥ 3 edges, attribute edges included, or a cycle) and the solver finds exactly one entity of the
target's kind that satisfies it, or only the target and namesakes of it (a discography row naming the
target itself, another artist's record of the title: the name asked is the one answer either way);
redundant constraints are then dropped one by one (seeded order) while the set stays unique and keeps its
shape, so every constraint left is needed (``needed`` says which ones are). Deterministic for a given seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from synth.graph import values as V
from synth.graph.entities import SHARE_RELS, Attr, Entity, EntityGraph, share_tokens
from synth.graph.solve import unique

# relations a question can state (fact holder → linked page), with the kinds that make sense
PHRASABLE_RELS = ("by", "album", "writer", "composer", "producer", "director", "starring", "next", "previous",
                  "associated", "member", "birthplace", "based_on", "label", "links")
ASKABLE_ATTRS = ("released", "born", "died", "recorded", "founded", "active_from", "discovered", "length",
                 "running_time", "budget", "box_office", "population", "birthplace", "deathplace", "origin",
                 "location", "country", "producer", "writer", "composer", "director", "discoverer", "genre", "occupation",
                 "instrument", "label", "nationality", "language", "credited")
VARS = ("?x", "?y", "?z", "?w", "?v")
CHRONOLOGY = ("next", "previous")


def _unique(graph: EntityGraph, query: dict, target: int) -> bool:
    """Unique as a question asking the target's name is: every other match is a namesake of the same kind (the
    miner asks anything else of the target only when the set is unique outright, ``solve.unique``)."""
    return unique(graph, query, target, same_name=True)


@dataclass
class SampleConfig:
    min_constraints: int = 3
    max_constraints: int = 6
    max_walk_steps: int = 14
    # plain hyperlinks as relations ("the article on Y links to X"): off, an article links many pages the
    # crawl does not hold, so "a film linked from the article on Y" is unique only among crawled pages
    link_relation: bool = False
    # shared values as relations ("born in the same decade as a painter ..."), for entities without a
    # typed relation to another crawled page (a broad, shallow crawl); they never refute (solve.py)
    shared_values: bool = True
    max_share_partners: int = 3
    # a partial cue on the target's own name ("a two-word title beginning with the letter S"), only for a
    # target no walk describes uniquely without one, and only added to a set that is otherwise not unique;
    # closed-world (solve.attr_ok), so it refutes attribute-less pages that open-world attributes cannot
    name_cue: bool = True
    # a walk that is not unique may narrow its clues on the target's own dates and numbers (a window of five,
    # then three years; one or two minutes) when that refutes the rest (listed records state years)
    tighten: bool = True
    # a cue on a described person's or group's name ("a singer with a surname beginning with the letter C"):
    # the one clue that refutes records of an uncrawled artist's navigation box (known by name only)
    neighbour_cue: bool = True


NEIGHBOUR_CUE_KINDS = ("person", "band")


# kinds whose name may be cued (issue 17: people and works), and which part of the name is cued
NAME_CUE_PART = {"person": "surname", "band": "name", "song": "title", "album": "title", "film": "title",
                 "tv series": "title"}


def name_cue_constraints(graph: EntityGraph, target: int, var: str = "?x") -> list[dict]:
    """Cue constraints on the name of ``target`` (bound to ``var``), loosest first (empty for other kinds
    or unsafe names)."""
    ent = graph.entities[target]
    part = NAME_CUE_PART.get(ent.kind)
    if not part or not ent.name:
        return []
    # a person: the surname's letter, then the first name's ("a singer with a first name beginning with the letter
    # R"): the first name refutes an uncrawled artist known by name only when no word of that name opens with it
    preds = V.name_cues(ent.name, part) + (V.name_cues(ent.name, "given") if part == "surname" else [])
    # a title cue must hold of the title the record's own page gives it too ("Live" is no "three-word title
    # beginning with the letter R", though its article is Ray Charles Live; strict audit round 12)
    return [{"t": "attr", "s": var, "p": "name", "vkind": "name", "pred": pred, "url": ent.url,
             "snippet": ent.title or ent.name, "value": ent.name}
            for pred in preds if not graph.title_hits(V.value_phrase(pred))
            and (part != "title" or not ent.own_title or V.holds(pred, ent.own_title))]


def with_name_cue(graph: EntityGraph, query: dict, target: int, min_constraints: int) -> dict | None:
    """The query plus the loosest name cue that makes it unique (None when none does)."""
    if any(is_name_cue(c) and c["s"] == "?x" for c in query["constraints"]):
        return None
    # ... or the set without its cue on the credited artist: two cues that single the target out are a lookup
    bases = [query["constraints"]]
    if any(c["p"] == "credited" and c["s"] == "?x" for c in query["constraints"] if c["t"] == "attr"):
        bases.append([c for c in query["constraints"] if not (c["t"] == "attr" and c["p"] == "credited")])
    for cons in bases:
        for cue in name_cue_constraints(graph, target):
            q = {"vars": query["vars"], "constraints": [*cons, cue]}
            if valid(q, min_constraints) and _unique(graph, q, target) and not _unique(graph, cue_alone(q), target):
                return q
    return None


def is_name_cue(c: dict) -> bool:
    return c["t"] == "attr" and c["p"] == "name"


def is_cue(c: dict) -> bool:
    """A partial cue on a name: the entity's own, or the credited artist's ("credited", a record of an uncrawled
    artist): neither describes the target on its own."""
    return c["t"] == "attr" and c["p"] in ("name", "credited")


def cue_alone(query: dict) -> dict:
    """The query with the target's own attributes left out but its name cue kept: when this is already
    unique, the cue does the work of the target's description (a title lookup), so the set is refused.
    Dropping constraints never makes it unique again, so minimising keeps the attributes needed."""
    return {"vars": query["vars"], "constraints": [c for c in query["constraints"]
                                                   if not (c["t"] == "attr" and c["s"] == "?x") or is_cue(c)]}


def attr_predicates(a: Attr, key: str, rng: random.Random, noun: str = "") -> list[dict]:
    """Obfuscated predicates for one attribute value (loosest first after shuffling within kinds)."""
    v = a.value
    span = None
    if isinstance(v, tuple) and a.kind in ("date", "num", "label"):
        if key == "recorded" and a.kind == "date" and len(v) > 1:  # sessions "1954-1960": the phrase covers both ends
            span = (min(V.year_bounds(y)[0] for y in v), max(V.year_bounds(y)[1] for y in v))
        v = v[0]  # described by the first value the page gives; matched on any (solve.attr_ok)
    if a.kind == "date" and isinstance(v, V.YearSpan) and span is None:
        span = V.year_bounds(v)  # "1950s": a loose phrase must hold the whole decade, not its first year
    if a.kind == "date" and span:
        preds = [p for p in V.obfuscate_year(v, rng) if p["lo"] <= span[0] and span[1] <= p["hi"]]
        preds.append({"op": "year", "lo": span[0] - rng.randint(0, 2), "hi": span[1] + rng.randint(0, 2),
                      "style": "range"})
    elif a.kind == "date" and isinstance(v, int):
        preds = V.obfuscate_year(v, rng)
    elif a.kind == "num" and isinstance(v, int | float):
        from synth.graph.entities import NUMBER_UNIT
        lo, hi = V.num_bounds(v)  # "22–24 minutes": ranges around its high end that hold all of it
        preds = [p for p in V.obfuscate_number(float(hi), NUMBER_UNIT.get(key, ""), rng) if p["lo"] <= lo]
    elif a.kind == "place" and isinstance(v, dict):
        preds = [{"op": "region", "v": v["region"]}]
        if v.get("country"):
            preds.append({"op": "country", "v": v["country"]})
    elif a.kind == "credit" and isinstance(v, tuple) and len(v) == 1:
        preds = [{"op": "initials", "v": v[0]}]
    elif a.kind == "set" and isinstance(v, tuple) and v:
        preds = [{"op": "has", "v": g} for g in v[:4] if 1 <= len(g.split()) <= 3
                 and f" {g} " not in f" {noun} "]  # not "a jazz singer ... associated with jazz"
    elif a.kind == "label" and isinstance(v, str):
        preds = [{"op": "initial", "v": v}]
    elif a.kind == "nationality" and isinstance(v, str):
        preds = [{"op": "eq", "v": v}]
    elif a.kind == "name" and key == "credited" and isinstance(v, str):
        preds = V.credit_cues(v)  # "credited to an artist whose name begins with the letter H"
    else:
        preds = []
    rng.shuffle(preds)
    return preds


def _bounds(a: Attr, key: str) -> tuple[float, float] | None:
    """(low, high) of the value a clue about ``a`` describes, as :func:`attr_predicates` reads it."""
    v = a.value
    if isinstance(v, tuple) and v:
        if key == "recorded" and a.kind == "date" and len(v) > 1:
            return (min(V.year_bounds(y)[0] for y in v), max(V.year_bounds(y)[1] for y in v))
        v = v[0]
    if a.kind == "date" and isinstance(v, int):
        return V.year_bounds(v)
    if a.kind == "num" and isinstance(v, int | float) and not isinstance(v, bool):
        return V.num_bounds(v)
    return None


def tighter_predicates(a: Attr, key: str, rng: random.Random) -> list[dict]:
    """Narrower clues than :func:`attr_predicates` gives, loosest first, each still holding the whole value:
    a year (span) in a window of five, then three years ("sometime between 1960 and 1962", never the year
    itself); a length within one or two whole minutes, a sum or count within one step of its magnitude. For
    a walk that is not unique: a narrower window refutes listed records whose row states another year."""
    b = _bounds(a, key)
    if b is None:
        return []
    lo, hi = b
    if a.kind == "date":
        out = []
        for pad in (2, 1):
            shift = rng.randint(0, pad)  # the value is not always the middle of the window
            out.append({"op": "year", "lo": int(lo) - shift, "hi": int(hi) + 2 * pad - shift, "style": "range"})
        return out
    from synth.graph.entities import NUMBER_UNIT
    unit = NUMBER_UNIT.get(key, "")
    if unit == "s":
        m0, m1 = math.floor(lo / 60), math.floor(hi / 60) + 1
        return [{"op": "num", "lo": max(0, m0 - 1) * 60, "hi": m1 * 60, "unit": "s", "style": "between"},
                {"op": "num", "lo": m0 * 60, "hi": m1 * 60, "unit": "s", "style": "between"}]
    if hi <= 0:
        return []
    mag = 10 ** math.floor(math.log10(hi))
    plo, phi = math.floor(lo / mag) * mag, (math.floor(hi / mag) + 1) * mag
    return [{"op": "num", "lo": plo, "hi": phi, "unit": unit, "style": "between"}] if plo > 0 else []


def tightened(graph: EntityGraph, query: dict, target: int, rng: random.Random) -> list[dict]:
    """Variants of a query whose clues on the target's own dates and numbers are narrowed (one level at a
    time, all such clues together), loosest first; each clue still holds the target's whole value."""
    ent = graph.entities[target]
    levels: list[list[tuple[int, dict]]] = []
    for i, c in enumerate(query["constraints"]):
        if c["t"] != "attr" or c["s"] != "?x" or c.get("vkind") not in ("date", "num") or c["p"] not in ent.attrs:
            continue
        for lvl, pred in enumerate(tighter_predicates(ent.attrs[c["p"]], c["p"], rng)):
            if graph.title_hits(V.value_phrase(pred)) or (pred["hi"] - pred["lo"]) >= (c["pred"]["hi"] - c["pred"]["lo"]):
                continue  # not narrower than the clue the walk chose
            while len(levels) <= lvl:
                levels.append([])
            levels[lvl].append((i, pred))
    out = []
    changes: dict[int, dict] = {}
    for lvl in levels:
        changes.update(dict(lvl))
        out.append({"vars": query["vars"], "constraints": [dict(c, pred=changes[i]) if i in changes else c
                                                           for i, c in enumerate(query["constraints"])]})
    return out


def _evidence_value(a: Attr) -> str:
    return a.raw


SHARE_FAMILIES = {"person": "people", "band": "people", "song": "works", "album": "works", "film": "works",
                  "tv series": "works"}


def _family(kind: str) -> str:
    """Kinds that may share a value in one question ("a film ... the same decade as a box set", not
    "a film ... the same nationality as a singer")."""
    return SHARE_FAMILIES.get(kind, kind)


class Walker:
    """One target's subgraph sampler (state of a single walk)."""

    def __init__(self, graph: EntityGraph, target: int, rng: random.Random, cfg: SampleConfig,
                 forbidden_words: frozenset[str] = frozenset()) -> None:
        self.g = graph
        self.target = target
        self.rng = rng
        self.cfg = cfg
        self.forbidden_words = forbidden_words

    def _attr_options(self, ent: Entity, used: set[str]) -> list[tuple[str, Attr]]:
        # the credited artist's name cue only for a record whose artist the crawl does not hold (else the walk
        # reaches the artist through "by"), and never beside that relation
        return [(k, a) for k, a in ent.attrs.items() if k in ASKABLE_ATTRS and k not in used
                and (k != "credited" or ("by" not in used and not any(r == "by" for r, _, _ in ent.rels)))]

    def _pred_ok(self, pred: dict) -> bool:
        """A predicate whose words name a crawled page is never used ("soul" when a page is "Soul")."""
        return not self.g.title_hits(V.value_phrase(pred))

    def _attr_constraint(self, var: str, ent: Entity, key: str, a: Attr | None) -> dict | None:
        if key == "name":  # a neighbour's name cue: refutes an uncrawled artist known by name (solve.py)
            cues = [c for c in name_cue_constraints(self.g, ent.idx, var) if c["pred"].get("words") is None]
            return self.rng.choice(cues) if cues else None
        for pred in attr_predicates(a, key, self.rng, ent.noun):
            if self._pred_ok(pred):
                return {"t": "attr", "s": var, "p": key, "vkind": a.kind, "pred": pred, "url": ent.url,
                        "snippet": a.snippet, "value": _evidence_value(a)}
        return None

    def _rel_options(self, idx: int, exclude: set[int], used: set[str] = frozenset()) -> list[tuple[str, str, int, str]]:
        """(relation, direction, other entity, fact line) for phrasable relations of ``idx`` (not a
        row already told as an attribute: "produced by a singer ... produced by R. C.")."""
        ent = self.g.entities[idx]
        out = []
        for rel, j, line in ent.rels:
            if rel == "by" and "credited" in used:
                continue  # the credited artist is already told by a cue on its name
            if rel in PHRASABLE_RELS and rel not in used and j not in exclude and self.g.entities[j].kind \
                    and (rel not in CHRONOLOGY or self.g.chronology_ok(idx, rel, j)):
                out.append((rel, "out", j, line))
        for rel, j, line in self.g.incoming.get(idx, []):
            if rel in PHRASABLE_RELS and j not in exclude and self.g.entities[j].kind \
                    and (rel not in CHRONOLOGY or self.g.chronology_ok(j, rel, idx)):
                out.append((rel, "in", j, line))
        if self.cfg.shared_values and not out:  # "the same decade as Y": a second page through a shared value
            index = self.g.share_index()
            for rel, (key, how) in SHARE_RELS.items():
                a = ent.attrs.get(key)
                if key in used or rel in used or key not in ASKABLE_ATTRS or a is None:
                    continue
                if rel == "same_nationality" and _family(ent.kind) != "people":
                    continue  # "a film shares a nationality with a song" (audit round 2): people only
                for tok in sorted(share_tokens(a, how)):
                    others = [j for j in index.get((rel, tok), ()) if j != idx and j not in exclude
                              and _family(self.g.entities[j].kind) == _family(ent.kind)
                              and any(k in ASKABLE_ATTRS and k != key for k in self.g.entities[j].attrs)]
                    for j in self.rng.sample(others, min(self.cfg.max_share_partners, len(others))):
                        out.append((rel, "out", j, a.snippet))
        if self.cfg.link_relation and not out:  # "the article on Y links to X" when nothing typed links
            for j in self.g.linked_from.get(idx, ()):
                if j not in exclude and self.g.entities[j].kind and self.g.entities[j].attrs:
                    out.append(("links", "in", j, ent.name))  # the link's anchor is the page's name
        return out

    def walk(self) -> tuple[dict, dict[str, int]] | None:
        """One random subgraph: (query, binding var → entity), or None when nothing fits."""
        g, rng = self.g, self.rng
        binding = {"?x": self.target}
        kinds = {"?x": g.entities[self.target].kind}
        sort = sort_constraint(g, self.target)
        cons: list[dict] = [sort] if sort else []  # the noun says it: minimising drops it when not needed
        used_attrs: dict[str, set[str]] = {"?x": set()}
        stack = ["?x"]
        steps = 0
        while steps < self.cfg.max_walk_steps and len(cons) < self.cfg.max_constraints:
            steps += 1
            var = stack[-1]
            idx = binding[var]
            ent = g.entities[idx]
            attrs = self._attr_options(ent, used_attrs[var])
            if self.cfg.neighbour_cue and var != "?x" and ent.kind in NEIGHBOUR_CUE_KINDS \
                    and "name" not in used_attrs[var]:
                attrs.append(("name", None))  # never a neighbour's first description (below)
            rels = (self._rel_options(idx, set(binding.values()), used_attrs[var])
                    if len(binding) < len(VARS) else [])
            moves = (["attr"] * len(attrs[:3])) + (["rel"] * min(2, len(rels)))
            if var != "?x" and len(stack) > 1:
                moves.append("back")
            if not moves:
                if len(stack) > 1:
                    stack.pop()  # backtrack: nothing left here
                    continue
                break
            move = rng.choice(moves)
            if move == "back":
                stack.pop()
                continue
            if move == "attr":
                key, a = rng.choice(attrs)
                used_attrs[var].add(key)
                c = self._attr_constraint(var, ent, key, a)
                if c:
                    cons.append(c)
                continue
            rel, direction, j, line = rng.choice(rels)
            other = g.entities[j]
            new = VARS[len(binding)]
            # the neighbour holding the row ("in") must not repeat it as an attribute
            share_key = SHARE_RELS[rel][0] if rel in SHARE_RELS else ""
            # ... nor, for a shared value, describe the neighbour by that value ("born in the 1930s")
            oattrs = self._attr_options(other, {rel} if direction == "in" else {share_key} - {""})
            first = None
            rng.shuffle(oattrs)
            for key, a in oattrs:
                first = self._attr_constraint(new, other, key, a)
                if first:
                    break
            if first is None:
                continue  # a neighbour that cannot be described: stay here (backtracking)
            binding[new] = j
            kinds[new] = other.kind
            used_attrs[new] = {first["p"]}
            s, o = (var, new) if direction == "out" else (new, var)
            used_attrs[s].add(rel)  # its row is told as a relation: not again as an attribute
            holder = g.entities[binding[s]]
            cons.append({"t": "rel", "s": s, "p": rel, "o": o, "url": holder.url, "snippet": line,
                         "value": line.split(": ", 1)[-1]})
            if share_key:  # the other page states the shared value too: its line is evidence as well
                cons[-1].update(url2=other.url, snippet2=other.attrs[share_key].snippet,
                                shared=sorted(g.shared(idx, rel, j)))
                used_attrs[var].add(share_key)
                used_attrs[new].add(share_key)
            cons.append(first)
            # close a cycle: the new node related to another node of the subgraph
            for v2, i2 in list(binding.items()):
                if v2 in (var, new):
                    continue
                for rel2, j2, line2 in other.rels:
                    if (j2 == i2 and rel2 in PHRASABLE_RELS and rel2 != "links" and rel2 not in used_attrs[new]
                            and (rel2 not in CHRONOLOGY or g.chronology_ok(j, rel2, j2)) and rng.random() < 0.7):
                        cons.append({"t": "rel", "s": new, "p": rel2, "o": v2, "url": other.url,
                                     "snippet": line2, "value": line2.split(": ", 1)[-1]})
                        used_attrs[new].add(rel2)
                        break
            stack.append(new)
        if not cons:
            return None
        return {"vars": kinds, "constraints": cons}, binding


# the sort of album the noun already says ("a live album"), when the noun has its word: (sort, words of the noun)
SORT_WORDS = {"studio": ("studio",), "live": ("live",), "soundtrack": ("soundtrack",),
              "compilation": ("compilation", "greatest hits", "box set", "anthology", "best of")}


def sort_constraint(graph: EntityGraph, target: int, var: str = "?x") -> dict | None:
    """The target album's sort as a constraint ("Live album by Ray Charles" → live), when its noun states it:
    free for the prose (the noun says it), and it refutes records whose own row, list or box heading gives
    another sort ("Johnny Cash navigation box › Studio albums")."""
    ent = graph.entities[target]
    a = ent.attrs.get("type")
    if ent.kind != "album" or a is None or len(ent.types) != 1:
        return None
    sort = next(iter(ent.types))
    if not any(w in ent.noun.lower() for w in SORT_WORDS.get(sort, ())):
        return None
    return {"t": "attr", "s": var, "p": "type", "vkind": "type", "pred": {"op": "sort", "v": sort}, "url": ent.url,
            "snippet": a.snippet, "value": a.raw}


def is_free(c: dict) -> bool:
    """A constraint the noun already states (the sort of album): no clue of its own."""
    return c["t"] == "attr" and c["p"] == "type"


def pages_of(query: dict) -> set[str]:
    return {c["url"] for c in query["constraints"]}


def shape_ok(query: dict) -> bool:
    """Not a single chain: some node has ≥ 3 edges (attribute edges count) or the relations form a cycle."""
    deg: dict[str, int] = {}
    rel_edges = 0
    for c in query["constraints"]:
        if is_free(c):
            continue  # the noun's sort is no edge of the shape
        deg[c["s"]] = deg.get(c["s"], 0) + 1
        if c["t"] == "rel":
            deg[c["o"]] = deg.get(c["o"], 0) + 1
            rel_edges += 1
    cycle = rel_edges >= len(query["vars"]) and len(query["vars"]) >= 2
    return cycle or max(deg.values(), default=0) >= 3


def connected(query: dict) -> bool:
    vars_ = set(query["vars"])
    seen = {"?x"}
    changed = True
    while changed:
        changed = False
        for c in query["constraints"]:
            if c["t"] == "rel" and (c["s"] in seen) != (c["o"] in seen):
                seen |= {c["s"], c["o"]}
                changed = True
    used = {c["s"] for c in query["constraints"]} | {c["o"] for c in query["constraints"] if c["t"] == "rel"}
    return seen >= used and vars_ <= seen


def every_var_described(query: dict) -> bool:
    """Each variable other than ?x keeps an attribute of its own (a bare "some page" is no description)."""
    described = {c["s"] for c in query["constraints"] if c["t"] == "attr"}
    return all(v in described for v in query["vars"] if v != "?x")


def valid(query: dict, min_constraints: int) -> bool:
    """… and a name cue never stands without an attribute of the target beside it."""
    cons = query["constraints"]
    if any(is_cue(c) and c["s"] == "?x" for c in cons) and not any(
            c["t"] == "attr" and c["s"] == "?x" and not is_cue(c) and not is_free(c) for c in cons):
        return False
    return (sum(not is_free(c) for c in cons) >= min_constraints and len(pages_of(query)) >= 2 and shape_ok(query)
            and connected(query) and every_var_described(query))


def _without(query: dict, i: int) -> dict:
    cons = query["constraints"][:i] + query["constraints"][i + 1:]
    used = {"?x"} | {c["s"] for c in cons} | {c["o"] for c in cons if c["t"] == "rel"}
    return {"vars": {v: k for v, k in query["vars"].items() if v in used}, "constraints": cons}


def minimise(graph: EntityGraph, query: dict, target: int, rng: random.Random, min_constraints: int) -> dict:
    """Drop constraints the uniqueness does not need (seeded order), keeping the shape valid."""
    order = list(range(len(query["constraints"])))
    rng.shuffle(order)
    q = query
    for orig in order:
        c = query["constraints"][orig]
        if c not in q["constraints"]:
            continue
        i = q["constraints"].index(c)
        cand = _without(q, i)
        if valid(cand, min_constraints) and _unique(graph, cand, target):
            q = cand
    return q


def needed(graph: EntityGraph, query: dict, target: int) -> list[bool]:
    """Per constraint: is the answer no longer unique without it?"""
    out = []
    for i in range(len(query["constraints"])):
        cand = _without(query, i)
        try:
            out.append(not _unique(graph, cand, target))
        except ValueError:  # removing it disconnects a variable: the description needs it
            out.append(True)
    return out


def shape_signature(query: dict) -> str:
    """What a template would see: relations and attribute kinds per variable, values left out."""
    parts = []
    for c in query["constraints"]:
        if c["t"] == "attr":
            parts.append(f"{c['s']}.{c['p']}")
        else:
            parts.append(f"{c['s']}-{c['p']}-{c['o']}")
    return "|".join(sorted(parts))


def sample_queries(graph: EntityGraph, target: int, *, seed: object, tries: int, keep: int,
                   cfg: SampleConfig | None = None,
                   accept: Callable[[dict, dict[str, int]], bool] | None = None) -> list[tuple[dict, dict[str, int]]]:
    """Up to ``keep`` distinct unique subgraphs around ``target`` from ``tries`` seeded walks. ``accept``
    (query, binding) → bool lets the caller refuse a subgraph (e.g. prose that could not tell two of its
    entities apart) before it takes one of the ``keep`` places. A target no walk describes uniquely
    gets a second round of walks in which a set that is not unique may take a cue on the target's own
    name (``cfg.name_cue``); targets described without one are sampled exactly as before."""
    cfg = cfg or SampleConfig()
    if graph.entities[target].open_record:
        return []  # a record only a list names: a candidate to refute, never a question's answer
    state: tuple[set[str], list[set[tuple[int, str]]]] = (set(), [])
    out = _sample(graph, target, seed=seed, tries=tries, keep=keep, cfg=cfg, accept=accept, cue=False, state=state)
    if len(out) < keep and cfg.name_cue and name_cue_constraints(graph, target):
        # the places left go to walks that need a cue on the name (only sets not unique without one take it)
        out += _sample(graph, target, seed=f"{seed}|name", tries=tries, keep=keep - len(out), cfg=cfg,
                       accept=accept, cue=True, state=state)
    return out


def with_neighbour_cues(graph: EntityGraph, query: dict, binding: dict[str, int], part: str = "") -> dict | None:
    """The query plus a name cue on every person or group neighbour that a "by" relation reaches and that has
    none yet (None when there is none to add): the loosest cue, or with ``part == "given"`` a person's first name
    when it has one."""
    add = []
    have = {c["s"] for c in query["constraints"] if is_name_cue(c)}
    for c in query["constraints"]:
        if c["t"] == "rel" and c["p"] == "by" and c["o"] != "?x" and c["o"] not in have and c["o"] in binding:
            cues = name_cue_constraints(graph, binding[c["o"]], c["o"])
            if cues and graph.entities[binding[c["o"]]].kind in NEIGHBOUR_CUE_KINDS:
                add.append(next((k for k in cues if k["pred"]["part"] == part), cues[0]))
                have.add(c["o"])
    return {"vars": query["vars"], "constraints": [*query["constraints"], *add]} if add else None


def _narrowed(graph: EntityGraph, query: dict, target: int, rng: random.Random, cfg: SampleConfig,
              cue: bool, binding: dict[str, int]) -> dict | None:
    """The loosest unique variant of a walk that is not unique: its clues on the target's dates and numbers
    narrowed (:func:`tightened`), or (cue round) a cue on the name added to the walk or to a narrowed
    variant; None when none is unique. Every variant is solved again: nothing is assumed."""
    variants = tightened(graph, query, target, rng) if cfg.tighten else []
    for q in variants:
        if _unique(graph, q, target):
            return q
    if cfg.neighbour_cue:  # a cue on the name of a person or group the walk reached (an uncrawled artist's records)
        cued_nb = [q2 for part in ("", "given") for q2 in (with_neighbour_cues(graph, q, binding, part)
                                                            for q in (query, *variants)) if q2 is not None]
        cued_nb = [q for i, q in enumerate(cued_nb) if q not in cued_nb[:i]]  # a group's cue is the same either way
        for q in cued_nb:
            if _unique(graph, q, target):
                return q
        variants = [*variants, *cued_nb]
    if cue:
        for q in (query, *variants):
            cued = with_name_cue(graph, q, target, cfg.min_constraints)
            if cued is not None:
                return cued
    return None


def _sample(graph: EntityGraph, target: int, *, seed: object, tries: int, keep: int, cfg: SampleConfig,
            accept: Callable[[dict, dict[str, int]], bool] | None, cue: bool,
            state: tuple[set[str], list[set[tuple[int, str]]]] | None = None) -> list[tuple[dict, dict[str, int]]]:
    rng = random.Random(f"{seed}|{graph.entities[target].url}")
    out: list[tuple[dict, dict[str, int]]] = []
    seen, facts_kept = state if state is not None else (set(), [])
    for _ in range(tries):
        got = Walker(graph, target, rng, cfg).walk()
        if got is None:
            continue
        query, binding = got
        if not valid(query, cfg.min_constraints):
            continue
        if not _unique(graph, query, target):
            fixed = _narrowed(graph, query, target, rng, cfg, cue, binding)
            if fixed is None:
                continue
            query = fixed
        query = minimise(graph, query, target, rng, cfg.min_constraints)
        binding = {v: i for v, i in binding.items() if v in query["vars"]}
        sig = shape_signature(query)
        if sig in seen:
            continue
        if accept is not None and not accept(query, binding):
            continue
        # questions about one target should not lean on the same facts: at most half shared
        facts = {(binding[c["s"]], c["p"]) for c in query["constraints"] if c["t"] == "attr" and not is_free(c)}
        if any(len(facts & f) * 2 > min(len(facts), len(f)) for f in facts_kept):
            continue
        seen.add(sig)
        facts_kept.append(facts)
        out.append((query, binding))
        if len(out) >= keep:
            break
    return out
