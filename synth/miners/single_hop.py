"""SINGLE_HOP: one fact of one page (infobox row, arXiv metadata, repository counter).

Also the seeds of E2HQA. ``askable`` decides which facts make a short, checkable answer; the
multi-hop miner uses it for the fact at the end of a path. Drops: ``ambiguous_key`` (the key occurs
twice on the page), ``multi_valued``, ``value_not_atomic`` (also a date list, several running times),
``answer_too_long``, ``answer_in_subject``, ``role_qualified`` (a credit with another bracketed role:
'Producer: Tom Dowd (engineer)'), ``chronology_conflict`` (another page places another
record there), ``volatile`` (``synth.volatile``: stars, latest version,
"–present"...), ``chronology_owner_unknown`` (a previous/next release of a record by several
artists, with no "<artist> chronology" header), ``fact_cap`` (more askable facts than
``max_facts_per_page``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from schemas.records import Candidate, Evidence, Fact
from synth.config import SynthConfig
from synth.miners.base import Graph, MineContext, Node, lang, make_candidate
from synth.text import (
    clean,
    contains,
    date_value,
    duration_value,
    join_names,
    norm,
    role_qualified,
    side_reversed,
    strip_quotes,
)
from synth.volatile import volatile_fact

SKIP_KEYS = {
    "type", "title", "repository", "description", "website", "cite as", "related doi", "doi", "topics",
    "authors", "subjects", "comments", "msc classes", "acm classes", "owner", "url", "homepage",
    "official website", "image", "caption", "signature", "coordinates", "isbn", "oclc", "issn",
    "chronology",  # whose chronology Previous/Next walk (read by entity_slots), not a question
}
DATE_KEYS = {"recorded", "born", "died", "released", "submitted", "last revised", "published", "founded",
             "first aired", "premiered", "date", "release date", "publication date", "formed", "established"}
CHRONO_KEY = re.compile(r"^(previous|next)\s+\S", re.I)
DURATION_KEYS = {"length", "running time", "runtime", "duration"}
_DURATION_LIKE = re.compile(r"\d:\d{2}")
CREDIT_KEYS = {"producer", "producer(s)", "producers", "writer", "writer(s)", "writers", "songwriter(s)", "composer",
               "composer(s)", "director", "directed by", "produced by", "written by", "music by", "lyricist",
               "lyrics by"}
# facts asked first (then the rest in seeded order)
PRIORITY = ["released", "born", "label", "producer", "genre", "writer(s)", "birth name", "died", "origin",
            "first author", "primary subject", "submitted", "journal reference", "license", "stars",
            "primary language", "latest release", "length", "years active", "b-side", "recorded"]
_CATALOGUE = re.compile(r"(\s*\([^()]*\d[^()]*\)|\s+[A-Z]{0,4}[-\s]?\d[\w./-]*)+$")
_TRIVIAL = re.compile(r"^[\s—–\-?/.]*$|^(n/?a|none|unknown|tba|tbd)$", re.I)


def entity_slots(node: Node) -> dict:
    """How to name the page's subject: kind and creator from an infobox 'Type' ("Studio album by X")."""
    out = {"name": node.name, "site": node.site, "page_ref": node.ref, "url": node.url, "kind": "", "by": "",
           "artists": 0}
    t = node.fact("Type")
    if t is not None:
        m = re.match(r"^(.{2,40}?)\s+by\s+(.{2,80})$", clean(t.value))
        if m:
            out["kind"] = m.group(1).strip().lower()
            artists = [strip_quotes(x) for x in re.split(r",\s*|\s+&\s+|\s+and\s+", m.group(2)) if x.strip()]
            out["by"] = join_names(artists)
            out["artists"] = len(artists)
    out["chronology"] = chronology_owner(node, out)
    return out


def chronology_owner(node: Node, slots: dict | None = None) -> str:
    """Whose releases the page's "Previous/Next <kind>" rows walk: the infobox's one "<artist>
    chronology" header, else the one artist of its "Type" row; '' when unknown (a record by two
    artists with no header: "the album Ray Charles and Milt Jackson released next" has no answer)."""
    owners = [f for f in node.facts if f.key == "Chronology"]
    if len(owners) == 1:
        return strip_quotes(owners[0].value)
    if owners:
        return ""
    slots = slots if slots is not None else entity_slots(node)
    return slots["by"] if slots.get("artists") == 1 else ""


def askable(node: Node, fact: Fact, cfg: SynthConfig) -> tuple[str, str]:
    """``(answer, "")`` when ``fact`` makes a short checkable answer, else ``("", reject_reason)``."""
    key = fact.key.strip()
    low = key.lower()
    if low in SKIP_KEYS or not key:
        return "", "skipped_key"
    if sum(1 for f in node.facts if f.key == key) > 1:
        return "", "ambiguous_key"
    if any(e.kind == "infobox" and e.label == key for e in node.enumerations):
        return "", "multi_valued"
    if volatile_fact(fact):
        return "", "volatile"
    if CHRONO_KEY.match(key) and node.fact("Type") is not None and not chronology_owner(node):
        return "", "chronology_owner_unknown"
    value = clean(fact.value)
    if _TRIVIAL.match(value):
        return "", "value_not_atomic"
    if low in CREDIT_KEYS and role_qualified(value):
        return "", "role_qualified"  # 'Producer: Tom Dowd (engineer)': the page says he engineered it
    if low in DATE_KEYS:
        first = re.sub(r"\s*\([^()]*\)", "", value.split("; ")[0]).strip(" ,")
        answer = date_value(first)  # "1952–1960" whole, never "1952"
        if not answer:
            return "", "value_not_atomic"
    elif low in DURATION_KEYS and _DURATION_LIKE.search(value):
        answer = duration_value(value)  # one running time, not "2:45 (single), 3:25 (album)"
        if not answer:
            return "", "value_not_atomic"
    else:
        if "; " in value:
            return "", "value_not_atomic"
        answer = strip_quotes(value)
        if low in ("label", "labels", "record label"):
            # "Atlantic 45-1050", "Savoy (1525)" → the label without its catalogue number
            answer = _CATALOGUE.sub("", answer).strip(" ,") or answer
    if len(answer) > cfg.max_answer_chars or len(answer.split()) > cfg.max_answer_words:
        return "", "answer_too_long"
    if contains(node.name, answer) or norm(answer) == norm(node.name):
        return "", "answer_in_subject"
    if low == "origin" and origin_not_birthplace(node, value):
        return "", "origin_not_birthplace"
    if low == "b-side" and side_reversed((node.extras or {}).get("lead", ""), answer):
        return "", "side_disputed"  # the page's prose calls its own song the B-side of this one
    return answer, ""


def origin_not_birthplace(node: Node, origin: str) -> bool:
    """Whether a person's page gives a birthplace that is not its "Origin" row: 'Where does Ray Charles originate
    from?' → Greenville, Florida (Origin), while the same infobox says born in Albany, Georgia and the text calls
    Albany his hometown (strict audit round 12, ambiguous). A band's origin, or a person with no birthplace in the
    Born row, is asked as before."""
    born = node.fact("Born")
    if born is None or ";" not in born.value:
        return False
    place = norm(born.value.split(";", 1)[1])
    o = norm(origin)
    return bool(place) and not (o in place or place in o)


def fact_priority(key: str) -> int:
    low = key.lower()
    return PRIORITY.index(low) if low in PRIORITY else len(PRIORITY)


def fact_evidence(node: Node, fact: Fact) -> Evidence:
    return Evidence(url=node.url, text=f"{node.name} — {fact.key}: {clean(fact.value)}")


class SingleHopMiner:
    name: ClassVar[str] = "single_hop"

    def mine(self, graph: Graph, ctx: MineContext) -> Iterator[Candidate]:
        cfg = ctx.cfg
        for node in graph:
            if not node.name:
                continue
            ok: list[tuple[Fact, str]] = []
            for fact in node.facts:
                answer, why = askable(node, fact, cfg)
                if why == "skipped_key":
                    continue
                detail = ""
                if not why and CHRONO_KEY.match(fact.key) and fact.links:
                    dst = graph.get(fact.links[0])
                    detail = graph.chronology_conflict(node, fact.key, dst) if dst is not None else ""
                    if detail:
                        why = "chronology_conflict"  # another page, a date or an ordered list says otherwise
                if why:
                    ctx.reject(why, (node.url, fact.key), url=node.url, detail=detail,
                               payload={"page": node.url, "key": fact.key, "value": fact.value})
                    continue
                ok.append((fact, answer))
            ok.sort(key=lambda fa: (fact_priority(fa[0].key), ctx.rank(node.url, fa[0].key)))
            for fact, _ in ok[cfg.max_facts_per_page:]:
                ctx.reject("fact_cap", (node.url, fact.key), url=node.url,
                           payload={"page": node.url, "key": fact.key, "value": fact.value})
            for fact, answer in ok[: cfg.max_facts_per_page]:
                slots = {"page": node.url, "entity": entity_slots(node), "key": fact.key,
                         "value": clean(fact.value), "answer": answer, "source": fact.source}
                yield make_candidate(
                    type="single_hop", miner=self.name, root_url=node.root_url, source_urls=[node.url],
                    golden_path=graph.path_to(node.url) or [node.url], evidence=[fact_evidence(node, fact)],
                    answer=answer, hops=1, language=lang(node), subject=node.name, relation=fact.key,
                    slots=slots,
                )
