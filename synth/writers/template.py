"""The offline writer: deterministic English templates that phrase a question from the verified
evidence of a candidate (the count and what is counted, the facts along a path, the shared items).

Questions name their subject ("the Wikipedia article “Ray Charles”", "the arXiv paper “…”"), never
"this page" / "the text" / "the passage" / "according to"; they end with "?", do not contain the
answer, and a multi-hop question describes the target page through the links that lead to it.
Candidates it cannot word become ``Written`` rejects: ``unsupported_language``, ``no_template``,
``bad_slots``, ``answer_in_question``, ``names_target``, ``not_standalone``, ``too_long``, ``needs_llm``
(a page-pair proposal candidate: the offline writer proposes nothing). A comparison question names both
subjects and the compared attribute or events, never either value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from schemas.records import Candidate
from synth.miners.comparison import DATE_EVENTS
from synth.miners.count import sentence_text
from synth.text import (
    clean,
    contains,
    join_names,
    norm,
    ordinal,
    quote,
    section_phrase,
    singular,
    strip_quotes,
)
from synth.writers.base import Written

NOT_STANDALONE = re.compile(
    r"\b(this (page|article|text|passage|document|site|website)|the (text|passage|document) (above|below)|"
    r"the (text|passage)\b|according to|mentioned above|given (text|page))\b",
    re.I,
)
MAX_QUESTION_CHARS = 300

# single-fact templates: {e} = how the subject is named
FACT_TEMPLATES: dict[str, str] = {
    "released": "When was {e} released?",
    "release date": "When was {e} released?",
    "born": "When was {e} born?",
    "died": "When did {e} die?",
    "recorded": "When was {e} recorded?",
    "label": "On which record label was {e} released?",
    "producer": "Who produced {e}?",
    "producer(s)": "Who produced {e}?",
    "genre": "What genre is {e}?",
    "writer(s)": "Who wrote {e}?",
    "writer": "Who wrote {e}?",
    "songwriter(s)": "Who wrote {e}?",
    "b-side": "Which song is the B-side of {e}?",
    "birth name": "What is the birth name of {e}?",
    "origin": "Where does {e} originate from?",
    "years active": "In which years was {e} active?",
    "first author": "Who is the first author of {e}?",
    "last author": "Who is the last author of {e}?",
    "submitted": "On what date was the first version of {e} submitted?",
    "last revised": "On what date was {e} last revised?",
    "primary subject": "What is the primary subject category of {e}?",
    "journal reference": "What is the journal reference of {e}?",
    "report number": "What report number does {e} carry?",
    "arxiv id": "What is the arXiv identifier of {e}?",
    "submitted by": "Who submitted {e} to arXiv?",
    "latest version": "What is the latest version of {e} on arXiv?",
    "stars": "How many stars does {e} have?",
    "forks": "How many forks does {e} have?",
    "watchers": "How many watchers does {e} have?",
    "commits": "How many commits does {e} have?",
    "branches": "How many branches does {e} have?",
    "releases": "How many releases does {e} have?",
    "contributors": "How many contributors does {e} have?",
    "open issues": "How many open issues does {e} have?",
    "open pull requests": "How many open pull requests does {e} have?",
    "license": "Under which license is {e} published?",
    "primary language": "What is the main programming language of {e}?",
    "latest release": "What is the latest release of {e}?",
    "directed by": "Who directed {e}?",
    "country": "Which country is {e} from?",
    "language": "In which language is {e}?",
    "founded": "When was {e} founded?",
    "headquarters": "Where is {e} headquartered?",
    "author": "Who wrote {e}?",
    "publisher": "Who published {e}?",
    # a single's or song's infobox row "from the album Y": the album it was taken from (it also
    # appears on compilations, live albums and reissues, so "on which album does it appear" is not one)
    "album": "Which album was {e} taken from?",
    "birthplace": "Where was {e} born?",
    "place of death": "Where did {e} die?",
    "mayor": "Who is the mayor of {e}?",
    "capital": "What is the capital of {e}?",
    "founded by": "Who founded {e}?",
    "designer": "Who designed {e}?",
    "elevation": "What is the elevation of {e}?",
    "area": "What is the area of {e}?",
    "population": "What is the population of {e}?",
    "currency": "What is the currency of {e}?",
    "president": "Who is the president of {e}?",
    "location": "Where is {e} located?",
    "formed": "When was {e} formed?",
    "length (km)": "How long is {e} in kilometres?",
}
# how a page reached through an infobox link is described: {d} = the page it is linked from
EDGE_TEMPLATES: dict[str, str] = {
    # the infobox row "from the album Y" names the record the single was taken from; "the album that
    # includes it" would also be every compilation, live album and reissue that carries it
    "album": "the album that {d} was taken from",
    "ep": "the EP that {d} was taken from",
    "soundtrack": "the soundtrack that {d} was taken from",
    "label": "the record label of {d}",
    "producer": "the producer of {d}",
    "producer(s)": "the producer of {d}",
    "writer(s)": "the writer of {d}",
    "writer": "the writer of {d}",
    "directed by": "the director of {d}",
    "publisher": "the publisher of {d}",
    "author": "the author of {d}",
    "developer": "the developer of {d}",
    "founder": "the founder of {d}",
    "parent": "the parent organisation of {d}",
    "predecessor": "the predecessor of {d}",
    "successor": "the successor of {d}",
    "b-side": "the B-side of {d}",
    "first author": "the first author of {d}",
    "owner": "the owner of {d}",
    "latest release": "the latest release of {d}",
    "birthplace": "the birthplace of {d}",
    "place of death": "the place where {d} died",
    "mayor": "the mayor of {d}",
    "recorded": "the place where {d} was recorded",
    "founded by": "the founder of {d}",
    "capital": "the capital of {d}",
    "country": "the country of {d}",
    "location": "the place where {d} is located",
    "headquarters": "the headquarters city of {d}",
    "designer": "the designer of {d}",
    "president": "the president of {d}",
    "formerly of": "the group that {d} formerly belonged to",
    "genre": "the genre of {d}",
    "capital and largest city": "the capital of {d}",
    "headquarters location": "the headquarters city of {d}",
    "members": "the group of {d}",
    "labels": "the record label of {d}",
    "notable work": "the best-known work of {d}",
    "notable works": "the best-known work of {d}",
    "known for": "the work {d} is known for",
    "source": "the source of {d}",
    "mouth": "the place at the mouth of {d}",
    "cultural origins": "the place where {d} originated",
    "country of origin": "the country of origin of {d}",
    "origin": "the place of origin of {d}",
    "spouse": "the spouse of {d}",
    "parents": "the parent of {d}",
    "studio": "the studio where {d} was recorded",
    "venue": "the venue of {d}",
}
_CHRONO = re.compile(r"^(previous|next)\s+(.+)$", re.I)
# comparison of a measured attribute: the value of the larger one ({a}, {b}: the two subjects)
NUMBER_QUESTIONS: dict[str, str] = {
    "population": "What is the population of the more populous of {a} and {b}?",
    "elevation": "What is the elevation of whichever of {a} and {b} lies higher?",
    "height": "How tall is the taller of {a} and {b}?",
    "length": "What is the length of the longer of {a} and {b}?",
    "area": "What is the area of the larger of {a} and {b}?",
    "basin size": "What is the basin size of whichever of {a} and {b} has the larger drainage basin?",
}
_SITE_PAGE = {"wikipedia": "the Wikipedia article on", "arxiv": "the arXiv page of", "github": "the GitHub page of"}


def entity(e: dict) -> str:
    """How a question names a page's subject: 'the studio album “X” by Y', 'the arXiv paper “T”'."""
    name = strip_quotes(e.get("name", ""))
    site = e.get("site", "generic")
    if site == "arxiv":
        return e.get("page_ref") or f"the arXiv paper {quote(name)}"
    if site == "github":
        return e.get("page_ref") or f"the GitHub repository {name}"
    kind, by = e.get("kind", ""), e.get("by", "")
    if kind:
        # "Live in Concert (Ray Charles album)" → "Live in Concert": the kind says the rest
        name = re.sub(r"\s+\([^()]*\b(album|song|single|film|EP|soundtrack)\)$", "", name, flags=re.I) or name
    if kind and by:
        return f"the {kind} {quote(name)} by {by}"
    if kind:
        return f"the {kind} {quote(name)}"
    return name if site == "wikipedia" else quote(name)


def fact_question(key: str, e: str, by: str = "", value: str = "") -> str:
    """A question asking ``key`` of the subject named ``e``."""
    low = key.lower().strip()
    if low == "length":
        if re.fullmatch(r"(\d+:)?\d{1,2}:\d{2}", value.strip()):
            return f"What is the running time of {e}?"
        return f"What is the length of {e}?"
    if low in FACT_TEMPLATES:
        return FACT_TEMPLATES[low].format(e=e)
    m = _CHRONO.match(low)
    if m:
        when = "just before" if m.group(1) == "previous" else "just after"
        if by:
            return f"Which {m.group(2)} did {by} release {when} {e}?"
        return f"Which {m.group(2)} comes {when} {e} in its chronology?"
    return f"What is listed under {quote(key)} for {e}?"


class TemplateWriter:
    """Implements ``synth.writers.base.Writer`` without any model: free, deterministic, offline."""

    name = "template"
    prompt_version = "template-v1"

    def __init__(self, languages: Iterable[str] = ("en",)) -> None:
        self.languages = {x.lower() for x in languages}

    def write(self, candidates: Iterable[Candidate]) -> list[Written]:
        return [self.write_one(c) for c in candidates]

    def write_one(self, c: Candidate) -> Written:
        if (c.language or "en").split("-")[0].lower() not in self.languages:
            return Written(c, reject_reason="unsupported_language", detail=c.language)
        if c.type == "proposed":  # a page pair without an answer: only a model can propose one
            return Written(c, reject_reason="needs_llm", detail="page-pair proposals need the LLM writer")
        if c.type == "obfuscated":  # composed from sentence plans in its own module (issue 17)
            from synth.writers.obfuscated import write_obfuscated
            return write_obfuscated(c)
        try:
            slots = json.loads(c.slots_json or "{}")
            builder = getattr(self, f"_{c.type}", None)
            if builder is None:
                return Written(c, reject_reason="no_template", detail=c.type)
            q = builder(c, slots)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return Written(c, reject_reason="bad_slots", detail=f"{type(exc).__name__}: {exc}")
        if not q:
            return Written(c, reject_reason="no_template", detail=c.relation)
        q = re.sub(r"\s+", " ", q).strip()
        q = q[0].upper() + q[1:]
        why, detail = self._check(c, slots, q)
        if why:
            return Written(c, question=None, reject_reason=why, detail=detail, raw=q)
        return Written(c, question=q, extra={"template": c.type})

    # ------------------------------------------------------------------------------------------
    def _check(self, c: Candidate, slots: dict, q: str) -> tuple[str, str]:
        if len(q) > MAX_QUESTION_CHARS:
            return "too_long", f"{len(q)} chars"
        if NOT_STANDALONE.search(q):
            return "not_standalone", q
        answers = slots.get("shared") if c.type == "intersection" else [c.answer]
        if c.type == "comparison" and slots.get("kind") != "total":
            answers = [c.answer, *(str(slots.get(x, {}).get("value", "")) for x in ("a", "b"))]
        qwords = set(norm(q).split())
        for a in answers or []:
            words = norm(a).split()
            # "Lena Okafor" is given away by "Okafor, Lena" too: same words, any order
            if contains(q, a) or (len(words) >= 2 and set(words) <= qwords):
                return "answer_in_question", f"{a!r} in {q!r}"
        if c.type == "multi_hop":
            target = slots.get("target", {}).get("name", "")
            if target and contains(q, target):
                return "names_target", f"{target!r} in {q!r}"
        return "", ""

    # ------------------------------------------------------------------------------------------
    def _single_hop(self, c: Candidate, s: dict) -> str:
        e = s["entity"]
        # "Which album did X release just after …": X is whose chronology the row walks, not every
        # artist credited on the record
        return fact_question(s["key"], entity(e), e.get("chronology", e.get("by", "")), s.get("answer", ""))

    def _count(self, c: Candidate, s: dict) -> str:
        ref, kind, label, noun = s["page_ref"], s.get("kind", "list"), s.get("label", ""), s.get("noun", "")
        sect = section_phrase(s.get("section", ""), label)
        if kind == "infobox":
            if noun:
                return f"How many {noun} does {ref} list in its infobox?"
            return f"How many values does {ref} list under {quote(label)} in its infobox?"
        if kind == "authors":
            return f"How many authors does {ref} have?"
        if kind == "subjects":
            return f"Under how many subject categories is {ref} listed?"
        if kind == "versions":
            return f"How many versions of {ref} does its submission history list?"
        if kind == "topics":
            return f"How many topics is {ref} tagged with?"
        if kind == "languages":
            return f"How many programming languages does the language breakdown of {ref} show?"
        if kind in ("releases", "contributors"):
            return f"How many {kind} does {ref} list?"
        if kind == "papers":
            if label and label != "papers":
                return f"How many papers does {ref} list under {quote(label)}?"
            return f"How many papers does {ref} list?"
        if kind == "navbox":
            box = quote(s.get("navbox", ""))
            if noun:
                return f"How many {noun} does the {box} navigation box on {ref} list under {quote(label)}?"
            return f"How many entries does the {quote(label)} group of the {box} navigation box on {ref} list?"
        if s.get("leadin") and kind in ("list", "table"):
            # a list under a sentence, not a heading: "the list introduced by “The following songs were used in
            # the film:” in the “Soundtrack” section" (synth.miners.count.sentence_label)
            what = "list" if kind == "list" else "table"
            return (f"How many {noun or 'entries'} does the {what} introduced by {quote(s['leadin'] + ':')} "
                    f"in {sect} of {ref} name?")
        if kind == "table":
            what = noun or "entries"
            return f"How many {what} does the table in {sect} of {ref} list?"
        if noun:
            return f"How many {noun} are listed in {sect} of {ref}?"
        return f"How many entries does the list in {sect} of {ref} have?"

    def _intersection(self, c: Candidate, s: dict) -> str:
        q = self._intersection_core(s)
        excluded = s.get("excluded") or []
        if excluded:
            q = f"Besides {join_names(excluded)}, {q[0].lower()}{q[1:]}"
        return q

    def _intersection_core(self, s: dict) -> str:
        a, b = s["a"], s["b"]
        n = len(s.get("shared", []))
        noun = s.get("noun", "")
        if a.get("site") == b.get("site") == "wikipedia":
            both = f"both the Wikipedia articles {quote(a['subject'])} and {quote(b['subject'])}"
        else:
            both = f"both {a['page_ref']} and {b['page_ref']}"
        kind = a.get("kind", "list")
        if kind == "authors":
            if n == 1:
                return f"Which author is among the authors of {both.removeprefix('both ')} alike?"
            return f"Which authors do {both.removeprefix('both ')} have in common?"
        if kind == "topics":
            return f"Which topic{'s are' if n > 1 else ' is'} {both.removeprefix('both ')} both tagged with?"
        if kind == "subjects":
            return f"Which subject categor{'ies do' if n > 1 else 'y do'} {both.removeprefix('both ')} share?"
        if kind == "papers":
            return f"Which paper{'s are' if n > 1 else ' is'} listed on {both}?"
        if s.get("group") == "chart":  # every chart table of each page (original, covers), merged
            return f"Which chart{'s are' if n > 1 else ' is'} named in the chart tables of {both}?"
        what = (noun if n > 1 else singular(noun)) if noun else ("entries" if n > 1 else "entry")
        verb = "are" if n > 1 else "is"
        if kind == "infobox":
            return (f"Which {what} do {both.removeprefix('both ')} both list under {quote(a['label'])} "
                    f"in their infoboxes?")
        if a.get("label") != b.get("label"):  # "Chart positions" on one page, "Charts" on the other
            return (f"Which {what} {verb} listed both in the {quote(a['label'])} section of {a['page_ref']} and "
                    f"in the {quote(b['label'])} section of {b['page_ref']}?")
        return f"Which {what} {verb} listed in the {quote(a['label'])} section of {both}?"

    def _comparison(self, c: Candidate, s: dict) -> str:
        a, b, kind, pick = s["a"], s["b"], s["kind"], s["pick"]
        if kind == "date":
            ev = [DATE_EVENTS[x["key"].strip().lower()].format(e=entity(x["entity"])) for x in (a, b)]
            return f"When did the {pick} of these two events take place: {ev[0]}, or {ev[1]}?"
        if kind == "number":
            ea, eb = entity(a["entity"]), entity(b["entity"])
            fam = s.get("family", "")
            if fam == "length" and re.fullmatch(r"(\d+:)?\d{1,2}:\d{2}", str(a.get("value", ""))):
                return f"What is the running time of the longer of {ea} and {eb}?"
            if fam in NUMBER_QUESTIONS:
                return NUMBER_QUESTIONS[fam].format(a=ea, b=eb)
            return f"What is the higher {singular(fam)} count of {ea} and {eb}?"
        noun = a.get("noun") or b.get("noun") or "entries"
        ra, rb = a["entity"]["page_ref"], b["entity"]["page_ref"]
        if a.get("kind") == "authors":
            return f"How many authors do {ra} and {rb} have in total?"
        if a.get("kind") == "infobox":
            return f"In total, how many {noun} do {ra} and {rb} list in their infoboxes?"
        if a.get("kind") in ("topics", "releases", "contributors"):
            return f"In total, how many {noun} do {ra} and {rb} list?"
        sa = section_phrase(a.get("section", ""), a.get("label", ""))
        sb = section_phrase(b.get("section", ""), b.get("label", ""))
        return f"In total, how many {noun} are listed in {sa} of {ra} and in {sb} of {rb}?"

    def _multi_hop(self, c: Candidate, s: dict) -> str:
        start = s["start"]
        desc = entity(start)
        page = start.get("page_ref") or desc
        site = start.get("site", "generic")
        for i, h in enumerate(s["hops"]):
            src = h.get("from_entity", {})
            if i > 0:
                page = f"{_SITE_PAGE.get(src.get('site', site), 'the online article about')} {desc}"
            desc = self._hop(h, desc, page, src)
        fact = s["fact"]
        return fact_question(fact["key"], desc, "", fact.get("answer", ""))

    @staticmethod
    def _hop(h: dict, desc: str, page: str, src: dict) -> str:
        if h["via"] == "fact":
            key = h["key"]
            m = _CHRONO.match(key.lower())
            if m:
                when = "just before" if m.group(1) == "previous" else "just after"
                what = m.group(2)
                who = src.get("chronology", src.get("by", ""))  # whose chronology the row walks
                if who:
                    return f"the {what} that {who} released {when} {desc}"
                return f"the {what} that comes {when} {desc} in its chronology"
            low = key.lower()
            if low == "type":
                return f"the artist credited on {desc}"
            if low in EDGE_TEMPLATES:
                return EDGE_TEMPLATES[low].format(d=desc)
            return f"the entry that {page} links under {quote(key)} in its infobox"
        pos = ordinal(int(h["position"]))
        kind, label, noun = h.get("kind", "list"), h.get("label", ""), h.get("noun", "")
        one = singular(noun) if noun else "entry"
        if kind == "infobox":
            return f"the {pos} {one} that {page} lists under {quote(label)} in its infobox"
        if kind == "navbox":
            box = h.get("section", "").removesuffix(" navigation box")
            return f"the {pos} entry of the {quote(label)} group in the {quote(box)} navigation box on {page}"
        if kind == "authors":
            return f"the {pos} author of {desc}"
        if kind == "papers":
            under = f" under {quote(label)}" if label and label != "papers" else ""
            return f"the {pos} paper listed{under} on {page}"
        parts = [p.strip() for p in h.get("section", "").split("›") if p.strip()]
        if kind in ("list", "table") and len(parts) >= 2 and parts[-1] == clean(label) and sentence_text(label):
            # a list under a sentence, not a heading (strict audit round 11: "the “The following songs were used in
            # the film” subsection"): "the list introduced by “…:” in the “Soundtrack” section", as counts say it
            what = "list" if kind == "list" else "table"
            sect = section_phrase(" › ".join(parts[:-1]), "")
            return f"the {pos} {one} of the {what} introduced by {quote(label.rstrip(':') + ':')} in {sect} of {page}"
        sect = section_phrase(h.get("section", ""), label)
        if kind == "table":
            return f"the {pos} {one} in the table of {sect} of {page}"
        return f"the {pos} {one} listed in {sect} of {page}"

