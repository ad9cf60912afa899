"""Wording of obfuscated questions (type ``obfuscated``): offline prose, the LLM prompt's data, checks.

The miner (``synth.miners.obfuscated``) hands over the constraint set as slots: variables with their
kind and noun, constraints (attribute constraints carry an obfuscated predicate, relation constraints
link two variables), what is asked (the target's name or one of its attributes) and the strings the
question must never contain (the crawled titles its words could spell, every subgraph entity's name,
the answer and its aliases).

The offline writer composes prose from many sentence plans rather than one template per relation:
a plan decides where the description starts (the target, a neighbour, a time, a question), each
constraint has several clause forms (a participle after a noun, a sentence predicate, a relative
clause), neighbours are described inside noun phrases or in sentences of their own, and the closing
question varies with the kind asked for. Every choice is seeded by the candidate id, so the wording is
deterministic. A plan whose result names a forbidden string, the answer, misses a constraint or runs
past the length limit is re-drawn; after ``TRIES`` plans the candidate is a counted reject.

Reasons: ``bad_slots``, ``ambiguous_reference`` (two neighbours of one noun), ``forbidden_string`` (a crawled title, a subgraph name or the answer),
``missing_constraint``, ``too_long``, ``too_short``.
"""

from __future__ import annotations

import json
import random
import re

from schemas.records import Candidate
from synth.graph.values import value_phrase
from synth.text import contains, norm
from synth.writers.base import Written

MAX_QUESTION_CHARS = 400
MIN_WORDS = 25
TRIES = 12
NOT_STANDALONE = re.compile(r"\b(this (page|article|text|passage)|according to|the (text|passage)\b|mentioned above)",
                            re.I)

# --- clause tables -------------------------------------------------------------------------------
# attribute clauses: key -> list of (participle after a noun, predicate after a subject); {o} = value
ATTR: dict[str, list[tuple[str, str]]] = {
    "released": [("released in {o}", "was released in {o}"), ("issued in {o}", "first appeared in {o}"),
                 ("that came out in {o}", "came out in {o}"), ("first published in {o}", "was first put out in {o}")],
    "recorded": [("recorded in {o}", "was recorded in {o}"), ("put on tape in {o}", "was put on tape in {o}"),
                 ("whose recording sessions took place in {o}", "had its recording sessions in {o}")],
    "born": [("born in {o}", "was born in {o}"), ("who came into the world in {o}", "arrived in the world in {o}")],
    "died": [("who died in {o}", "died in {o}"), ("who passed away in {o}", "passed away in {o}")],
    "founded": [("founded in {o}", "was founded in {o}"), ("established in {o}", "was set up in {o}")],
    # the start of the infobox's 'Years active' (not 'started performing': Ray Charles's 'Years active 1947–2004'
    # while his text has him singing on the radio in the 1940s; strict audit round 14)
    "active_from": [("whose career began in {o}", "began a professional career in {o}"),
                    ("whose professional career started in {o}", "started a professional career in {o}")],
    "discovered": [("discovered in {o}", "was discovered in {o}")],
    "length": [("running {o}", "runs {o}"), ("with a running time of {o}", "lasts {o}"),
               ("lasting {o}", "clocks in at {o}")],
    "running_time": [("running {o}", "runs {o}"), ("with a running time of {o}", "lasts {o}")],
    "budget": [("made on a budget of {o}", "was made for {o}")],
    "box_office": [("that grossed {o}", "took in {o} at the box office")],
    "population": [("with a population of {o}", "has a population of {o}")],
    "birthplace": [("born in {o}", "was born in {o}"), ("who is a native of {o}", "is a native of {o}")],
    "deathplace": [("who died in {o}", "died in {o}")],
    "origin": [("from {o}", "comes from {o}"), ("hailing from {o}", "hails from {o}")],
    "location": [("located in {o}", "is located in {o}"), ("based in {o}", "is based in {o}")],
    "country": [("from {o}", "comes from {o}"), ("associated with {o}", "is associated with {o}")],
    "producer": [("produced by someone with the initials {o}", "was produced by someone with the initials {o}"),
                 ("whose producer has the initials {o}", "had a producer with the initials {o}")],
    "composer": [("with music by someone with the initials {o}", "has music by someone with the initials {o}")],
    "writer": [("written by someone with the initials {o}", "was written by someone with the initials {o}"),
               ("credited to a writer with the initials {o}", "is credited to a writer whose initials are {o}")],
    "director": [("directed by someone with the initials {o}", "was directed by someone with the initials {o}")],
    "discoverer": [("discovered by someone with the initials {o}", "was discovered by someone with the initials {o}")],
    "starring": [("starring someone with the initials {o}", "features an actor with the initials {o}")],
    "genre": [("in the {o} genre", "belongs to the {o} genre"), ("classed as {o}", "is classed as {o}"),
              ("filed under {o}", "is usually filed under {o}")],
    "occupation": [("who worked as a {o}", "worked as a {o}"), ("known among other things as a {o}", "was also a {o}")],
    "instrument": [("who played {o}", "played {o}"), ("credited on {o}", "is credited on {o}")],
    "label": [("issued on a label whose name begins with the letter {o}",
               "was issued on a label whose name begins with the letter {o}"),
              ("on a label starting with the letter {o}", "came out on a label starting with the letter {o}")],
    "nationality": [("of {o} nationality", "was {o}"), ("with {o} roots", "is {o}")],
    "language": [("in the {o} language", "is in {o}")],
    # a partial cue on the target's own name: {o} = "a two-word title beginning with the letter S"
    "name": [("with {o}", "has {o}"), ("bearing {o}", "bears {o}")],
    # the sort of album (only for the LLM's data: the offline prose says it in the noun): {o} = "a live album"
    "type": [("that is {o}", "is {o}")],
    # a cue on the artist a record is credited to: {o} = "an artist whose name begins with the letter H"
    "credited": [("credited to {o}", "is credited to {o}"), ("released under the name of {o}",
                                                             "came out under the name of {o}")],
}
# people and groups: the same attributes read differently
ATTR_PERSON: dict[str, list[tuple[str, str]]] = {
    "genre": [("working in {o}", "worked in {o}"), ("associated with {o}", "is associated with {o}")],
    "label": [("signed at some point to a label whose name begins with the letter {o}",
               "was signed at some point to a label whose name begins with the letter {o}")],
    "released": [("whose debut came in {o}", "debuted in {o}")],
}
# relation clauses seen from the fact holder (s) or from the linked page (o): {y} = the other side
REL: dict[str, dict[str, list[tuple[str, str]]]] = {
    "by": {"s": [("recorded by {y}", "was recorded by {y}"), ("credited to {y}", "is credited to {y}"),
                 ("released under the name of {y}", "came out under the name of {y}")],
           "o": [("who recorded {y}", "recorded {y}"), ("whose catalogue includes {y}", "counts {y} in their catalogue")]},
    "album": {"s": [("included on {y}", "is included on {y}"), ("taken from {y}", "was taken from {y}")],
              "o": [("that contains {y}", "contains {y}"), ("featuring {y} among its tracks", "features {y}")]},
    "writer": {"s": [("written by {y}", "was written by {y}"), ("penned by {y}", "was penned by {y}")],
               "o": [("who wrote {y}", "wrote {y}"), ("credited as the writer of {y}", "is credited with writing {y}")]},
    "composer": {"s": [("with music by {y}", "has music by {y}")],
                 "o": [("who composed the music of {y}", "composed the music of {y}")]},
    "producer": {"s": [("produced by {y}", "was produced by {y}")],
                 "o": [("who produced {y}", "produced {y}")]},
    "director": {"s": [("directed by {y}", "was directed by {y}")], "o": [("who directed {y}", "directed {y}")]},
    "starring": {"s": [("starring {y}", "stars {y}")], "o": [("who appeared in {y}", "appeared in {y}")]},
    "next": {"s": [("followed by {y}", "was followed by {y}"), ("whose follow-up was {y}", "was succeeded by {y}")],
             "o": [("that came right after {y}", "came right after {y}"),
                   ("issued as the follow-up to {y}", "was the follow-up to {y}")]},
    "previous": {"s": [("that came right after {y}", "came right after {y}"),
                       ("issued as the follow-up to {y}", "was the follow-up to {y}")],
                 "o": [("followed by {y}", "was followed by {y}"), ("whose follow-up was {y}", "was succeeded by {y}")]},
    "associated": {"s": [("associated with {y}", "is associated with {y}"), ("who worked with {y}", "worked with {y}")],
                   "o": [("associated with {y}", "is associated with {y}"), ("who worked with {y}", "worked with {y}")]},
    "member": {"s": [("with {y} among its members", "had {y} among its members")],
               "o": [("who was a member of {y}", "was a member of {y}")]},
    "birthplace": {"s": [("born in {y}", "was born in {y}")], "o": [("the birthplace of {y}", "is where {y} was born")]},
    "based_on": {"s": [("based on {y}", "is based on {y}")], "o": [("that inspired {y}", "inspired {y}")]},
    "label": {"s": [("released on {y}", "was released on {y}")], "o": [("which issued {y}", "issued {y}")]},
    **{rel: {side: opts for side in "so"} for rel, opts in {
        "same_decade_born": [("born in the same decade as {y}", "was born in the same decade as {y}")],
        "same_decade_died": [("who died in the same decade as {y}", "died in the same decade as {y}")],
        "same_decade_released": [("released in the same decade as {y}", "came out in the same decade as {y}")],
        "same_decade_founded": [("founded in the same decade as {y}", "was founded in the same decade as {y}")],
        "same_decade_discovered": [("discovered in the same decade as {y}", "was discovered in the same decade as {y}")],
        "same_nationality": [("of the same nationality as {y}", "shares a nationality with {y}")],
        "same_country": [("from the same country as {y}", "is from the same country as {y}")],
        "same_birthplace": [("born in the same city as {y}", "was born in the same city as {y}")],
        "same_genre": [("that shares a genre with {y}", "shares at least one genre with {y}")],
        "same_occupation": [("who shares an occupation with {y}", "shares an occupation with {y}")],
        "same_language": [("in the same language as {y}", "is in the same language as {y}")],
        "same_instrument": [("who shares an instrument with {y}", "plays an instrument that {y} also plays")],
        "same_discoverer": [("that shares a discoverer with {y}", "shares a discoverer with {y}")],
        "same_producer": [("that shares a producer with {y}", "shares a producer with {y}")],
        "same_director": [("that shares a director with {y}", "shares a director with {y}")],
        "same_label": [("issued on the same label as {y}", "came out on the same label as {y}")],
    }.items()},
    "links": {"s": [("whose encyclopedia article links to {y}", "has an encyclopedia article that links to {y}")],
              "o": [("linked from the encyclopedia article on {y}", "is linked from the encyclopedia article on {y}")]},
}
# relations whose object (``o``) is the person or group acting on the subject work ("X was recorded by Y")
AGENT_RELS = {"by", "writer", "composer", "producer", "director", "starring"}
TIME_VERBS = {"released": ["came out", "was released", "appeared"], "recorded": ["was recorded", "was put on tape"],
              "founded": ["was founded", "was established"], "born": ["was born", "came into the world"]}
ARTICLE = re.compile(r"^[aeiou]", re.I)
PERSON_KINDS = {"person"}
# how each plan opens: {np} = the target's full noun phrase
OPENERS = [
    "I'm looking for {np}.", "Think of {np}.", "Consider {np}.", "There is {np}.", "Picture {np}.",
    "Somewhere out there is {np}.", "Start from {np}.", "My puzzle concerns {np}.",
    "Here is a riddle about {np}.", "Try to track down {np}.", "Identify {np}.",
    "This puzzle is about {np}.", "Somebody asked me about {np}.",
    "Let me describe {np}.", "Imagine {np}.", "Suppose you are after {np}.", "I have in mind {np}.",
    "Your target is {np}.", "Hunt down {np}.", "A friend once mentioned {np}.", "Take {np}.",
]
FOLLOW_SUBJECT = ["This {noun}", "The {noun} in question", "The same {noun}"]  # never "It": the last NP may be a neighbour
NEIGHBOUR_SUBJECT = ["That {noun}", "This {noun}", "The {noun}"]
ASK_NAME = {
    "person": ["Who is this {noun}?", "What is this {noun}'s name?", "Who am I describing?",
               "Can you name this {noun}?"],
    # {what}: a work's "title"; a group, a place, an organisation has a "name" ("What is the title of this group?")
    "_": ["What is the {what} of this {noun}?", "What is this {noun} called?", "Which {noun} is it?",
          "Can you name the {noun}?", "What {noun} am I describing?", "Which {noun} fits every clue?"],
}
TITLED_KINDS = {"song", "album", "film", "tv series", "paper", "book"}  # works: asked by their title
ASK_ATTR = {
    "producer": ["Who produced {t}?", "Who was the producer of {t}?"],
    "writer": ["Who wrote {t}?", "Who is credited as the writer of {t}?"],
    "director": ["Who directed {t}?", "Who was the director of {t}?"],
    "label": ["On which label was {t} released?", "Which label issued {t}?"],
    "album": ["On which album does {t} appear?", "Which album is {t} taken from?"],
}


def _a(np: str) -> str:
    first = np.split(" ", 1)[0]
    acronym = first.isupper() and len(first) <= 4 and first[0] in "AEFHILMNORSX"
    return ("an " if ARTICLE.match(np) or acronym else "a ") + np


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


class Realiser:
    """One candidate's wording under one seeded plan."""

    def __init__(self, slots: dict, rng: random.Random) -> None:
        self.s = slots
        self.rng = rng
        self.vars: dict[str, dict] = slots["vars"]
        self.cons: list[dict] = slots["constraints"]
        self.neighbour_first = False

    # --- pieces -----------------------------------------------------------------------------------
    def obj(self, c: dict) -> str:
        p = c["pred"]
        if p["op"] == "has":
            t = p.get("text") or p["v"]
            if c.get("p") == "language":  # "English" stays a proper noun
                return t[:1].upper() + t[1:]
            return " ".join(w if sum(ch.isupper() for ch in w) >= 2 else w.lower() for w in t.split())
        if p["op"] == "initials":
            return ". ".join(p["v"]) + "."
        if p["op"] == "initial":
            return p["v"]
        return value_phrase(p)  # a name cue: "a surname beginning with the letter K"

    def attr_clause(self, c: dict, form: int) -> str:
        """form 0: participle after a noun; 1: predicate after a subject."""
        person = self.vars.get(c["s"], {}).get("kind") in PERSON_KINDS | {"band"}
        opts = (ATTR_PERSON.get(c["p"]) if person else None) or ATTR.get(c["p"]) or [(f"whose {c['p'].replace('_', ' ')} is {{o}}", f"has {c['p'].replace('_', ' ')} {{o}}")]
        return self.rng.choice(opts)[form].format(o=self.obj(c))

    def rel_clause(self, c: dict, side: str, other_np: str, form: int) -> str:
        opts = REL.get(c["p"], {}).get(side) or [("related to {y}", "is related to {y}")]
        return self.rng.choice(opts)[form].format(y=other_np)

    def noun(self, var: str) -> str:
        return self.vars[var].get("noun") or "entity"

    def premod(self, var: str, attrs: list[dict]) -> tuple[str, list[dict]]:
        """A nationality or genre may stand before the noun ("an American singer", "a soul single")."""
        for c in attrs:
            if c["p"] == "nationality" and self.rng.random() < 0.8:
                return c["pred"]["v"] + " ", [x for x in attrs if x is not c]
        for c in attrs:
            if c["p"] == "genre" and self.rng.random() < 0.4 and self.vars[var].get("kind") not in PERSON_KINDS:
                return self.obj(c) + " ", [x for x in attrs if x is not c]
        return "", attrs

    def np(self, var: str, attrs: list[dict], max_mods: int) -> tuple[str, list[dict]]:
        """An indefinite noun phrase with up to ``max_mods`` attribute clauses; returns the leftovers."""
        pre, rest = self.premod(var, attrs)
        used, left = rest[:max_mods], rest[max_mods:]
        mods = [self.attr_clause(c, 0) for c in used]
        other = var != "?x" and self.noun(var) == self.noun("?x")
        head = ("another " + pre + self.noun(var)) if other else _a(pre + self.noun(var))
        if not mods:
            return head, left
        if len(mods) == 1:
            return f"{head} {mods[0]}", left
        return f"{head} {mods[0]} and {mods[1]}", left

    @staticmethod
    def agent_object(c: dict, var: str) -> bool:
        """``var`` is the work a person or group acts on in ``c`` ("the singer recorded {var}")."""
        return c["p"] in AGENT_RELS and c["s"] == var

    @staticmethod
    def split_dates(attrs: list[dict]) -> tuple[list[dict], list[dict]]:
        """A work's date attributes apart: they are stated of the work, never inside a person's act."""
        return ([c for c in attrs if c.get("vkind") != "date"], [c for c in attrs if c.get("vkind") == "date"])

    # --- the plan ---------------------------------------------------------------------------------
    def tree(self) -> tuple[list[tuple[dict, str, str]], list[dict]]:
        """Relation constraints as (constraint, parent var, child var) from ?x outwards; extra edges."""
        seen = {"?x"}
        edges, extra = [], []
        rels = [c for c in self.cons if c["t"] == "rel"]
        pending = list(rels)
        while pending:
            progressed = False
            for c in list(pending):
                a, b = c["s"], c["o"]
                if a in seen and b not in seen:
                    edges.append((c, a, b))
                    seen.add(b)
                elif b in seen and a not in seen:
                    edges.append((c, b, a))
                    seen.add(a)
                elif a in seen and b in seen:
                    extra.append(c)
                else:
                    continue
                pending.remove(c)
                progressed = True
            if not progressed:
                raise ValueError("relation constraints not connected to ?x")
        return edges, extra

    def describe(self) -> str:
        rng = self.rng
        # the sort of album is in the noun ("a live album"): no clause of its own
        attrs = {v: [c for c in self.cons if c["t"] == "attr" and c["s"] == v and c["p"] != "type"] for v in self.vars}
        for v in attrs:
            rng.shuffle(attrs[v])
        edges, extra = self.tree()  # breadth-first: a node is introduced before its own edges are told
        xnoun = self.noun("?x")
        same = [v for v in self.vars if v != "?x" and self.noun(v) == xnoun]
        follow = (["The {noun} I have in mind"] if same else
                  ["This {noun}", "The {noun} in question"] if self.vars["?x"].get("kind") in PERSON_KINDS
                  else FOLLOW_SUBJECT)
        sentences: list[str] = []
        # neighbour phrases ("an American singer born in the 1930s"), nested one level deep
        nps: dict[str, str] = {}
        later: list[str] = []
        for _c, _parent, child in sorted(edges, key=lambda e: e[1] != "?x"):
            mine, dates = attrs[child], []
            if self.agent_object(_c, child):  # "the singer recorded an album recorded in ..." reads as her act
                mine, dates = self.split_dates(mine)
            np, left = self.np(child, mine, 1)
            nps[child] = np
            for c2 in left + dates:
                subj = (f"That other {self.noun(child)}" if self.noun(child) == xnoun else
                        rng.choice(NEIGHBOUR_SUBJECT).format(noun=self.noun(child)))
                later.append(f"{subj} {self.attr_clause(c2, 1)}.")
        x_rel_edges = [e for e in edges if e[1] == "?x"]
        rng.shuffle(x_rel_edges)
        deep_edges = [e for e in edges if e[1] != "?x"]
        x_attrs = list(attrs["?x"])
        plan = rng.randrange(5)

        def rel_pred(c: dict, parent: str, child: str, form: int) -> str:
            side = "s" if c["s"] == parent else "o"
            return self.rel_clause(c, side, nps[child], form)

        if plan == 1 and x_rel_edges and self.noun(x_rel_edges[0][2]) != xnoun:
            # neighbour first: "An American singer born in the 1930s recorded a soul single ..."
            c, parent, child = x_rel_edges[0]
            side = "o" if c["s"] == parent else "s"  # seen from the neighbour
            mine, dates = self.split_dates(x_attrs) if self.agent_object(c, "?x") else (x_attrs, [])
            xnp, x_left = self.np("?x", mine, 1)
            x_left = x_left + dates  # told of the work in its own sentence
            pred = self.rel_clause(c, side, xnp, 1)
            sentences.append(f"{_cap(nps[child])} {pred}.")
            self.neighbour_first = True  # "Who am I describing?" would point at that neighbour
            x_attrs = x_left
            x_rel_edges = x_rel_edges[1:]
        elif plan == 2 and x_attrs and x_attrs[0]["vkind"] == "date" and x_attrs[0]["p"] in TIME_VERBS:
            # time first: "In the early 1960s, a soul single ... came out."
            c = x_attrs.pop(0)
            when = self.obj(c)
            xnp, x_attrs = self.np("?x", x_attrs, 1)
            lead = _cap(when) if when.startswith("sometime") else f"In {when}"
            sentences.append(f"{lead}, {xnp} {rng.choice(TIME_VERBS[c['p']])}.")
        elif plan == 3 and x_rel_edges:
            # the target as the subject of its first relation: "A soul single was followed by ..."
            c, parent, child = x_rel_edges.pop(0)
            xnp, x_attrs = self.np("?x", x_attrs, 1)
            sentences.append(f"{_cap(xnp)} {rel_pred(c, parent, child, 1)}.")
        else:
            xnp, x_attrs = self.np("?x", x_attrs, 2 if plan == 0 else 1)
            sentences.append(rng.choice(OPENERS).format(np=xnp))
        for c, parent, child in x_rel_edges:
            subj = rng.choice(follow).format(noun=xnoun)
            sentences.append(f"{subj} {rel_pred(c, parent, child, 1)}.")
        for c in x_attrs:
            subj = rng.choice(follow).format(noun=xnoun)
            sentences.append(f"{subj} {self.attr_clause(c, 1)}.")
        for c, parent, child in deep_edges:
            subj = (f"That other {self.noun(parent)}" if self.noun(parent) == xnoun else
                    rng.choice(NEIGHBOUR_SUBJECT).format(noun=self.noun(parent)))
            sentences.append(f"{subj} {rel_pred(c, parent, child, 1)}.")
        sentences.extend(later)
        for c in extra:  # a cycle-closing edge between two described neighbours
            a_noun, b_noun = self.noun(c["s"]), self.noun(c["o"])
            if c["o"] == "?x":
                b_np = f"the same {b_noun}" if a_noun != b_noun else f"the {b_noun} I have in mind"
            else:
                b_np = f"the same {b_noun}" if b_noun != a_noun else f"the {b_noun} mentioned above"
            who = ((f"That other {a_noun}" if a_noun == xnoun else f"The {a_noun}") if c["s"] != "?x"
                   else rng.choice(follow).format(noun=xnoun))
            sentences.append(f"{who} {self.rel_clause(c, 's', b_np, 1)}.")
        sentences.append(self.ask())
        return " ".join(sentences)

    def ask(self) -> str:
        ask = self.s.get("ask") or {}
        if ask.get("what") == "attr":
            same = any(v != "?x" and self.noun(v) == self.noun("?x") for v in self.vars)
            which = f"the {self.noun('?x')} I have in mind" if same else f"this {self.noun('?x')}"
            return self.rng.choice(ASK_ATTR.get(ask.get("p", ""), ["What is the {p} of {t}?"])).format(
                p=ask.get("p", ""), t=which)
        kind = self.vars["?x"].get("kind", "")
        opts = ASK_NAME["person"] if kind in PERSON_KINDS else ASK_NAME["_"]
        if self.neighbour_first:
            opts = [o for o in opts if "{noun}" in o]
        if any(v != "?x" and self.noun(v) == self.noun("?x") for v in self.vars):
            opts = ["What is the {what} of the {noun} I have in mind?", "Which {noun} do I mean?",
                    "Which {noun} is the one I mean?"]
        what = "title" if kind in TITLED_KINDS else "name"
        return self.rng.choice(opts).format(noun=self.noun("?x"), what=what)


def tidy(q: str) -> str:
    """Whitespace, doubled full stops after initials, "in sometime between" → "sometime between"."""
    q = " ".join(q.split())
    q = re.sub(r"\.\.", ".", q)
    q = re.sub(r"\b(?:in|from|of) (sometime between)", r"\1", q)
    q = re.sub(r"\bplace in (sometime between)", r"place \1", q)
    return q


def ambiguous(slots: dict) -> bool:
    """The prose could not tell two variables apart: two neighbours share a noun, or a neighbour shares
    the target's noun without being directly related to it ("another single" must be next to it)."""
    vars_ = slots["vars"]
    nouns = [v.get("noun") for k, v in vars_.items() if k != "?x"]
    if len(nouns) != len(set(nouns)):
        return True
    xnoun = vars_.get("?x", {}).get("noun")
    adjacent = {c["o"] if c["s"] == "?x" else c["s"] for c in slots.get("constraints", [])
                if c.get("t") == "rel" and "?x" in (c["s"], c["o"])}
    return any(v.get("noun") == xnoun and k not in adjacent for k, v in vars_.items() if k != "?x")


# --- checks ------------------------------------------------------------------------------------
def cues(c: dict) -> list[str]:
    """Strings of which at least one must appear in a question that states constraint ``c``."""
    if c["t"] == "rel":
        if c["p"].startswith("same_"):
            return ["same", "share", "also"]
        return {
            "by": ["record", "credit", "by ", "catalogue", "release", "perform", "sang", "sung", "artist"],
            "album": ["album", "record", "LP", "contain", "track", "featur", "taken from", "included"],
            "writer": ["writ", "wrote", "penn", "compos", "author"], "producer": ["produc"],
            "composer": ["music", "compos"],
            "director": ["direct"], "starring": ["star", "appear", "cast", "act"],
            "next": ["follow", "after", "next", "succe", "before", "preced"],
            "previous": ["follow", "after", "next", "succe", "before", "preced"],
            "associated": ["associat", "work", "collaborat", "perform"], "member": ["member"],
            "birthplace": ["born", "birth"], "based_on": ["based", "inspir", "adapt"],
            "label": ["label", "issued", "released"], "links": ["link"],
        }.get(c["p"], [""])
    p = c["pred"]
    op = p["op"]
    if op == "year":
        style = p.get("style")
        if style in ("decade", "early", "mid", "late"):
            dec = p["lo"] - {"decade": 0, "early": 0, "mid": 3, "late": 7}[style]
            return [f"{dec}s", f"{str(dec)[2:]}s"]
        if style == "half":
            return [f"{p['century']}th century", f"{p['century']}st century", f"{p['century']}nd century",
                    f"{p['century']}rd century", f"{p['century'] - 1}00s"]
        return [str(p["lo"]), str(p["hi"])]
    if op == "num":
        return [w for w in re.findall(r"\$?[\d,.]+|\b(?:one|two|three|four|five|six|seven|eight|nine|ten)\b",
                                      value_phrase(p))] or [value_phrase(p)]
    if op == "initials":
        return [". ".join(p["v"]) + ".", ".".join(p["v"]) + ".", " ".join(p["v"]), p["v"]]
    if op == "initial":
        return [f"letter {p['v']}", f"“{p['v']}”", f"\"{p['v']}\""]
    if op == "namecue":  # the whole phrase: its letter, its part and its word count are all stated
        return [value_phrase(p)]
    if op == "sort":  # stated by the noun ("a live album", "a greatest hits album")
        return {"compilation": ["compilation", "greatest hits", "box set", "anthology", "best of"]}.get(p["v"], [p["v"]])
    if op == "has":
        return [p.get("text") or p["v"], p["v"]]
    return [str(p.get("v", ""))]


def states(q: str, c: dict) -> bool:
    """Whether the question states constraint ``c`` (one of its cues appears, case-insensitively)."""
    low = q.lower()
    for cue in cues(c):
        if not cue:
            return True
        if cue.lower() in low or (len(norm(cue)) > 1 and contains(q, cue)):
            return True
    return False


def check_question(q: str, slots: dict, answer: str) -> tuple[str, str]:
    """``(reason, detail)`` of the first failed check, or ``("", "")``: length, forbidden strings
    (crawled titles, subgraph names, the answer and its aliases), every constraint stated."""
    if len(q) > MAX_QUESTION_CHARS:
        return "too_long", f"{len(q)} chars"
    if len(q.split()) < MIN_WORDS:
        return "too_short", f"{len(q.split())} words"
    if not q.endswith("?"):
        return "no_question_mark", q[-40:]
    if NOT_STANDALONE.search(q):
        return "not_standalone", q
    for f in [answer, *slots.get("forbidden", [])]:
        if f and contains(q, f):
            return "forbidden_string", f"{f!r} in question"
    for c in slots.get("constraints", []):
        if not states(q, c):
            return "missing_constraint", f"{c['s']} {c['p']} {c.get('o') or value_phrase(c['pred'])}"
    return "", ""


def write_obfuscated(c: Candidate) -> Written:
    """The offline writer's question for an obfuscated candidate (several seeded plans are tried)."""
    try:
        slots = json.loads(c.slots_json or "{}")
        if not slots.get("constraints") or "?x" not in slots.get("vars", {}):
            return Written(c, reject_reason="bad_slots", detail="no constraints or no ?x")
        if ambiguous(slots):
            return Written(c, reject_reason="ambiguous_reference", detail=str(slots["vars"]))
    except ValueError as exc:
        return Written(c, reject_reason="bad_slots", detail=str(exc))
    last = ("", "")
    q = ""
    for attempt in range(TRIES):
        rng = random.Random(f"{c.id}|{attempt}")
        try:
            q = tidy(Realiser(slots, rng).describe())
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            return Written(c, reject_reason="bad_slots", detail=f"{type(exc).__name__}: {exc}")
        last = check_question(q, slots, c.answer)
        if not last[0]:
            return Written(c, question=q, extra={"template": "obfuscated", "plan_attempt": attempt})
    return Written(c, reject_reason=last[0], detail=last[1], raw=q)


def llm_data(c: Candidate, slots: dict) -> dict:
    """The DATA document of the LLM prompt: every constraint in words, what is asked, forbidden strings."""
    r = Realiser(slots, random.Random(c.id))
    lines = []
    for k in slots["constraints"]:
        if k["t"] == "attr":
            lines.append({"about": k["s"], "kind": slots["vars"][k["s"]].get("noun", ""),
                          "states": r.attr_clause(k, 1), "must_mention_one_of": cues(k)[:3]})
        else:
            lines.append({"about": k["s"], "kind": slots["vars"][k["s"]].get("noun", ""),
                          "states": r.rel_clause(k, "s", f"{k['o']} (a {slots['vars'][k['o']].get('noun', '')})", 1),
                          "must_mention_one_of": cues(k)[:4]})
    ask = slots.get("ask") or {}
    return {"type": "obfuscated", "language": c.language or "en",
            "target": {"variable": "?x", "kind": slots["vars"]["?x"].get("noun", "")},
            "ask": ("the name or title of ?x" if ask.get("what") != "attr" else f"the {ask.get('p')} of ?x"),
            "constraints": lines, "forbidden": sorted({c.answer, *slots.get("forbidden", [])})}
