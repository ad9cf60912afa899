"""Constraint solving over the entity graph: which crawled entities satisfy an obfuscated description.

A *query* is a small conjunctive description with variables (WebShaper-style):

- ``vars``: ``{"?x": kind, "?y": kind, ...}`` (``?x`` is the answer's variable),
- ``constraints``: attribute constraints ``{"t": "attr", "s": "?x", "p": "released", "pred": {...}}``
  and relation constraints ``{"t": "rel", "s": "?y", "p": "album", "o": "?x"}`` (the fact on ``?y``'s
  page links to ``?x``'s page; ``p == "links"``: a plain hyperlink).

:func:`matches` returns every entity of the target's kind for which some assignment of the other
variables (distinct entities, of their kinds) satisfies every constraint. Relations are closed-world
(only crawled pages and their links count), except that a row naming a page the crawl does not hold
("Next album: X", X not crawled; "Producer: Ray Charles, Sid Feller", Sid Feller not crawled) leaves an
unknown entity that may satisfy anything said about it, and so does an entity's own list naming an
item the crawl does not account for (an album's track list or singles chart naming a song no crawled
page puts on it, a singer's discography, a film's cast, a town's notable people: ``Entity.listed``);
what a list states about crawled items counts as a relation (``EntityGraph.possible``);
shared values (``same_*`` relations, "born in the same decade as Y") are open-world too: Y may be an
entity the crawl does not hold, so they never refute a candidate (uniqueness rests on the others);
records with no page of their own are candidates too (``Entity.open_record``): a row of a discography
list ("2000: The Very Best of Ray Charles") or a page's second infobox (a cover version) is an entity of
its kind that only its own row's year and the closed-world name cue can refute; its relations are all
open; a genre clue is not refuted by an infobox genre list when the page's lead prose names the genre
(``Entity.prose_genres``); attributes are open-world: an entity whose page does not state the attribute is *not* ruled out by it
(it might satisfy it), so a question is kept as unique only when every other entity is refuted by
something its page states. The one closed-world attribute is a partial cue on the entity's own name
(``p == "name"``, "a two-word title beginning with the letter S"): every entity has a name, so the
solver evaluates it on every entity of the kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from synth.graph.entities import INVERSE_RELS, SHARE_RELS, EntityGraph
from synth.graph.values import credit_may_fit, holds, name_cue_possible
from synth.text import norm

UNKNOWN = -1  # an entity a page row names but the crawl does not hold


def owner_code(record: int) -> int:
    """The uncrawled artist whose navigation box lists open record ``record`` (``Entity.owner_name``): an
    unknown entity of which only the name is known (codes below ``UNKNOWN``)."""
    return -2 - record


def _owner_fits(graph: EntityGraph, code: int, cons: list[dict], var: str) -> bool:
    """Only a cue on the name can refute a named uncrawled artist; whatever its kind or the cue's part, it
    stays possible when any word of its name opens with the cue's letter (conservative)."""
    e = graph.entities[-2 - code]
    name = e.owner_name or e.by  # a box's artist, or the credit of a crawled record's Type row
    initials = {w.strip("\"'.,()")[:1].upper() for w in name.split()}
    return all(c["pred"]["letter"] in initials for c in cons
               if c["t"] == "attr" and c["s"] == var and c["pred"].get("op") == "namecue")


def attr_ok(graph: EntityGraph, idx: int, c: dict) -> bool:
    """The attribute constraint holds, or the page does not state the attribute (cannot refute). A cue
    on the entity's own name (``pred.op == "namecue"``) is closed-world: every entity has a name, so
    it refutes every entity whose name does not fit."""
    if c["p"] == "credited":  # a cue on the credited artist's name, not on the record's own
        return _credit_ok(graph, idx, c["pred"])
    if c["p"] == "type":  # the sort of album: a page's type row, a list's or a box's heading ("Studio albums")
        return not graph.entities[idx].types or c["pred"]["v"] in graph.entities[idx].types
    if c["pred"].get("op") == "namecue":
        if graph.entities[idx].name_open:  # a row whose title may run on ("House of David (1967) Atlantic 1489")
            return name_cue_possible(c["pred"], graph.entities[idx].name)  # or opens with a bracket: every reading
        ent = graph.entities[idx]  # a rival fits when its name or the title its own page gives it fits
        return holds(c["pred"], ent.name) or bool(ent.own_title and holds(c["pred"], ent.own_title))
    ent = graph.entities[idx]
    a = ent.attrs.get(c["p"])
    if a is None:
        return True
    if c["p"] == "genre" and ent.prose_genres and holds(c["pred"], tuple(ent.prose_genres)):
        return True  # "It is an instrumental jazz album": the infobox's genre list is not all it is
    return holds(c["pred"], a.value, possible=True)  # "1950s" is not refuted by "the late 1950s"


def _credit_ok(graph: EntityGraph, idx: int, pred: dict) -> bool:
    """A cue on the artist a record is credited to ("an artist whose name begins with the letter H"): a crawled
    record is read by its Type row, a listed record by the artist whose box or list names it (and any crawled
    artist a row or list of the same title credits: a duet, another recording); any word of a name may be the
    one meant. A record whose credit nothing states (no Type row, a row crediting others too) is not refuted."""
    e = graph.entities[idx]
    if not e.open_record:
        a = e.attrs.get("credited")
        return a is None or credit_may_fit(pred, [str(a.value)])
    if e.owner_name:
        names = [e.owner_name]
    elif e.by and "by" not in e.unresolved:
        names = [e.by]
    else:
        return True
    names += [graph.entities[j].name for j in graph.artists_of_title(e.kind, e.name)]
    return credit_may_fit(pred, names)


def _rel_ok(graph: EntityGraph, s: int, p: str, o: int) -> bool:
    if graph.entities[s].open_record and p == "by" and "by" not in graph.entities[s].unresolved:
        return o in graph.possible(s, p, "out")  # the owner's own list credits nobody else on the row
    if graph.entities[s].open_record or graph.entities[o].open_record:
        return True  # a listed record's relations are unknown beyond its row: nothing refutes them
    if p in SHARE_RELS:
        return bool(graph.shared(s, p, o))
    return o in graph.possible(s, p, "out")


def _order(query: dict) -> list[str]:
    """Variables in BFS order from ``?x`` over relation constraints."""
    order = ["?x"]
    rels = [c for c in query["constraints"] if c["t"] == "rel"]
    while True:
        grew = False
        for c in rels:
            for a, b in ((c["s"], c["o"]), (c["o"], c["s"])):
                if a in order and b not in order:
                    order.append(b)
                    grew = True
        if not grew:
            break
    missing = set(query["vars"]) - set(order)
    if missing:
        raise ValueError(f"query variables not connected to ?x: {sorted(missing)}")
    return order


def satisfiable(graph: EntityGraph, query: dict, candidate: int, *, limit: int = 2000,
                order: list[str] | None = None) -> bool:
    """Whether some assignment with ``?x = candidate`` satisfies every constraint (``order``: the query's
    :func:`_order`, when the caller already has it)."""
    order = order or _order(query)
    cons = query["constraints"]
    kinds = query["vars"]
    budget = [limit]

    def consistent(var: str, ent: int, binding: dict[str, int]) -> bool:
        if ent == UNKNOWN:
            return True  # an uncrawled page: it may satisfy anything said about it
        if ent < UNKNOWN:  # an uncrawled artist known by name: anything but a cue on that name may hold
            return _owner_fits(graph, ent, cons, var)
        if kinds.get(var) and graph.entities[ent].kind != kinds[var]:
            return False
        for c in cons:
            if c["t"] == "attr" and c["s"] == var and not attr_ok(graph, ent, c):
                return False
            if c["t"] == "rel":
                s = ent if c["s"] == var else binding.get(c["s"])
                o = ent if c["o"] == var else binding.get(c["o"])
                if (s is not None and s < 0) or (o is not None and o < 0):
                    continue
                if var in (c["s"], c["o"]) and s is not None and o is not None and not _rel_ok(graph, s, c["p"], o):
                    return False
        return True

    def domain(var: str, binding: dict[str, int]) -> Iterable[int]:
        for c in cons:
            if c["t"] != "rel":
                continue
            if c["p"] in SHARE_RELS and ((c["s"] == var and c["o"] in binding) or (c["o"] == var and c["s"] in binding)):
                # "born in the same decade as a painter ...": any entity of the world, crawled or not, may be
                # that painter, so a shared value never refutes a candidate (open world, like attributes)
                return [UNKNOWN]
            if c["s"] == var and c["o"] in binding:
                known = binding[c["o"]]
                if known < 0 or graph.entities[known].open_record:
                    return [UNKNOWN]  # … or a listed record: any entity, crawled or not, may be it
                found = graph.possible(known, c["p"], "in")
                inverse = INVERSE_RELS.get(c["p"])  # "Next album: <uncrawled>" may be the holder we look for
                if (inverse and inverse in graph.entities[known].unresolved) or c["p"] in graph.entities[known].listed:
                    found = [*found, UNKNOWN]  # … or its own list names one ("Track listing": a song not crawled)
                return found
            if c["o"] == var and c["s"] in binding:
                known = binding[c["s"]]
                if known >= 0 and graph.entities[known].open_record and c["p"] == "by" \
                        and "by" not in graph.entities[known].unresolved:
                    return graph.possible(known, "by", "out")  # a sole credit on its owner's list
                if known >= 0 and graph.entities[known].open_record and c["p"] == "by" \
                        and graph.entities[known].owner_name:
                    # "Johnny Cash navigation box › Singles": Johnny Cash's record, or a duet a crawled artist's
                    # own rows or lists name under that title
                    rec = graph.entities[known]
                    return [owner_code(known), *graph.artists_of_title(rec.kind, rec.name)]
                if known < 0 or graph.entities[known].open_record:
                    return [UNKNOWN]
                found = graph.possible(known, c["p"], "out")
                if c["p"] in graph.entities[known].unresolved:  # its row names a page we did not crawl
                    # "Single by Harlan Howard": the Type row names the artist the crawl does not hold
                    named = c["p"] == "by" and bool(graph.entities[known].by)
                    found = [*found, owner_code(known) if named else UNKNOWN]
                return found
        return ()

    def search(i: int, binding: dict[str, int]) -> bool:
        budget[0] -= 1
        if budget[0] < 0:
            return True  # too many branches to refute: count it as a possible match (conservative)
        if i == len(order):
            return True
        var = order[i]
        used = {v for v in binding.values() if v >= 0}
        for ent in ([candidate] if var == "?x" else domain(var, binding)):
            if ent in used or not consistent(var, ent, binding):
                continue
            binding[var] = ent
            if search(i + 1, binding):
                del binding[var]
                return True
            del binding[var]
        return False

    return search(0, {})


def _matching(graph: EntityGraph, query: dict) -> Iterator[int]:
    """Entities of the target's kind satisfying the query, in index order."""
    kind = query["vars"]["?x"]
    order = _order(query)
    # what ?x's own attributes say refutes most candidates: checked here first, as the search's first step would
    # (the closed-world name cue first: it refutes nearly every rival, the open-world attributes few)
    own = sorted((c for c in query["constraints"] if c["t"] == "attr" and c["s"] == "?x"),
                 key=lambda c: c["pred"].get("op") != "namecue")
    for idx in graph.of_kind(kind) if kind else range(len(graph)):
        if (kind and graph.entities[idx].kind != kind) or not all(attr_ok(graph, idx, c) for c in own):
            continue
        if satisfiable(graph, query, idx, order=order):
            yield idx


def matches(graph: EntityGraph, query: dict, *, stop_after: int = 2) -> list[int]:
    """Entities of the target's kind satisfying the query (stops after ``stop_after`` matches)."""
    out = []
    for idx in _matching(graph, query):
        out.append(idx)
        if len(out) >= stop_after:
            break
    return out


def unique(graph: EntityGraph, query: dict, target: int, *, same_name: bool = False) -> bool:
    """The target is the only entity satisfying the query. With ``same_name``, the *name* is what must be unique:
    every other match is an entity of the same kind and name (a discography row or a navigation box naming the
    target itself, another artist's record of the title): a question asking for the name has one answer either
    way, a question asking anything else of the entity may not."""
    name = norm(graph.entities[target].name)
    hit = False
    for idx in _matching(graph, query):
        if idx == target:
            hit = True
        elif not same_name or not name or norm(graph.entities[idx].name) != name:
            return False
    return hit


def namesake_count(graph: EntityGraph, query: dict, target: int, *, limit: int = 50) -> int:
    """How many other entities satisfy the query (for a query unique by name: the target's namesakes)."""
    return sum(1 for i in matches(graph, query, stop_after=limit) if i != target)
