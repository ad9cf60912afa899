"""Clues: evidence on the pages of the index from which a description of an entity is written.

A clue is structured evidence about one entity page P, with the exact snippet it comes from:

* ``first_sentence`` — P's first sentence ("Ulm is a city in Baden-Württemberg ...");
* ``lead_sentence`` — another sentence of P's lead about P that names another indexed entity
  ("Crawford was musical director for Ray Charles ...");
* ``fact`` — an infobox row of P with a literal value ("Birth name: Bennie Ross Crawford, Jr");
* ``forward_relation`` — an infobox row of P linking another indexed page R ("Writer(s): Hoagy
  Carmichael" → "the song written by Hoagy Carmichael");
* ``inverse_relation`` — an infobox row of another page Q linking P ("Born: Ulm" on Einstein's
  page → "the city where Albert Einstein was born"); the evidence page is Q;
* ``inverse_mention`` — Q's first sentence names P as its maker or subject ("Ray is a 2004 film
  about Ray Charles" → "the subject of Ray"); the evidence page is Q;
* ``inverse_listing`` — a list section of Q names P as its n-th item ("## Filmography" on Ray
  Charles's page, 4th item *The Blues Brothers* (1980) → "the film listed fourth under “Filmography”
  for Ray Charles"); the evidence page is Q, whose words need not lead one search to P.

``resolves`` says how many entities the relation can denote (a row listing two writers makes "the
writer of Q" ambiguous); ``mentions`` lists indexed entities the clue names, so the next round has
something to replace (chaining).
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

from synth.e2h.entities import (
    _TYPE_SET,
    _inside_longer_name,
    find_entities,
    occurs,
    quoted_regions,
    type_noun,
)
from synth.e2h.records import (
    credit,
    earlier_of_kind,
    label_conflict,
    recorded_by_another,
    recording_date_conflict,
    release_conflict,
    release_prose_conflict,
    same_year_records,
    several_records,
    unrefuted_in,
)
from synth.graph.values import parse_years
from synth.miners.base import Graph, Node
from synth.search import STOPWORDS, LocalSearchIndex, PageDoc, base_name, fold, iter_docs, norm_key
from synth.text import first_date, side_reversed

RELATION_KINDS = frozenset({"forward_relation", "inverse_relation", "inverse_mention", "inverse_listing"})
TEXT_KINDS = frozenset({"first_sentence", "lead_sentence", "fact", "obfuscated_fact", "web_snippet"})

SKIP_FACT_KEYS = frozenset({"website", "url", "image", "caption", "signature", "coordinates", "logo",
                            "homepage", "email", "map", "seal", "flag", "chronology", "audio sample"})

# relation families of fact keys (normalised); the first link of a location row names the place
RELATION_FAMILIES: dict[str, tuple[str, ...]] = {
    "born": ("born", "birth place", "place of birth", "birthplace"),
    "died": ("died", "death place", "place of death"),
    "buried": ("resting place", "burial place", "place of burial"),
    "label": ("label", "labels", "record label"),
    "artist": ("artist", "performer", "performed by", "recorded by", "by"),
    "writer": ("writer", "written by", "songwriter", "lyricist", "lyrics", "author", "lyrics by"),
    "composer": ("composer", "music", "music by", "composed by"),
    "producer": ("producer", "produced by"),
    "director": ("director", "directed by"),
    "founder": ("founder", "founded by", "founders"),
    "capital": ("capital",),
    "country": ("country", "location", "located in", "state"),
    "spouse": ("spouse", "spouses", "partner"),
    "origin": ("origin", "hometown"),
    "headquarters": ("headquarters",),
    "album": ("album", "from the album"),
    "recorded": ("recorded", "recorded at", "studio"),
    "known_for": ("known for",),
    "formerly_of": ("formerly of", "former member of"),
    "member_of": ("member of", "part of"),
    "preceded": ("preceded by", "predecessor"),
    "succeeded": ("succeeded by", "successor"),
}
_PEOPLE_FAMILIES = frozenset({"writer", "composer", "producer", "director", "founder", "spouse"})
LOCATION_FAMILIES = frozenset({"born", "died", "buried", "country", "origin", "headquarters"})
_FAMILY_OF = {k: fam for fam, keys in RELATION_FAMILIES.items() for k in keys}

# inverse mentions: "<work> written by P", "<film> about P" ...
_MENTION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("writer", re.compile(r"\b(?:written|penned|co-written)\s+by\s+(?:[\w.'’-]+\s+){0,3}$", re.I)),
    ("composer", re.compile(r"\bcomposed\s+by\s+(?:[\w.'’-]+\s+){0,3}$", re.I)),
    ("director", re.compile(r"\bdirected\s+by\s+(?:[\w.'’-]+\s+){0,3}$", re.I)),
    ("producer", re.compile(r"\bproduced\s+by\s+(?:[\w.'’-]+\s+){0,3}$", re.I)),
    ("founder", re.compile(r"\bfounded\s+by\s+(?:[\w.'’-]+\s+){0,3}$", re.I)),
    ("subject", re.compile(r"\b(?:about|on the life of|biopic of)\s+(?:[\w.'’-]+\s+){0,3}$", re.I)),
    ("artist", re.compile(r"\b(?:recorded|performed|released|sung|by)\s+(?:by\s+)?(?:[\w.'’-]+\s+){0,3}$", re.I)),
)
_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
_ABBREV_END = re.compile(r"\b(?:Jr|Sr|Dr|Mr|Mrs|Ms|St|Mt|vs|etc|No|Co|Inc|Ltd|[A-Z])\.$")
_COPULA = re.compile(r"\s(?:is|was|are|were)\s+(?:also\s+|now\s+|currently\s+)?")
_PRONOUN_SUBJECTS = re.compile(r"^(?:he|she|it|they|the\s+\w+)$", re.I)


@dataclass(frozen=True)
class Clue:
    """Evidence about one entity page, from which a description is written."""

    kind: str
    entity_url: str
    evidence_url: str
    snippet: str
    predicate: str = ""
    key: str = ""
    value: str = ""
    anchor: str = ""
    anchor_url: str = ""
    type: str = ""
    relation: str = ""
    resolves: int = 1
    mentions: tuple[str, ...] = ()
    anchor_type: str = ""
    loose: str = ""  # obfuscated_fact: JSON {"keys": [...], "pred": {...}, "parse": "years"|"initials"}
    ambiguity: str = ""  # why a relation denotes more than one entity beyond a count (resolves is then >= 2)

    @property
    def is_relation(self) -> bool:
        return self.kind in RELATION_KINDS


def sentences(text: str) -> list[str]:
    """Split prose into sentences (keeps 'Jr.', 'U.S.' and initials inside a sentence)."""
    parts = _SENT_SPLIT.split(" ".join((text or "").split()))
    out: list[str] = []
    for p in parts:
        if out and _ABBREV_END.search(out[-1]):
            out[-1] = f"{out[-1]} {p}"
        else:
            out.append(p)
    return [s for s in out if s]


def strip_parentheticals(text: str) -> str:
    prev = None
    while prev != text:
        prev = text
        text = re.sub(r"\s*\([^()]*\)", "", text)
    return " ".join(text.split())


def predicate(sentence: str, *, max_subject_words: int = 12) -> tuple[str, str] | None:
    """Split 'X (1900–1950) was an American singer.' into ('X', 'an American singer')."""
    s = strip_parentheticals(sentence).strip()
    m = _COPULA.search(s)
    if not m:
        return None
    subj = s[:m.start()].strip(" ,")
    pred = s[m.end():].strip().rstrip(" .;:")
    if not subj or len(subj.split()) > max_subject_words or len(pred.split()) < 2:
        return None
    if re.match(r"^(one of|among|part of|not)\b", pred, re.I):
        return None
    return subj, pred


_SOFT_CUTS = (", known ", ", best known", ", released", " whose ", ", founded", ", formed", ", built", ", where ",
              ", which ", ", who ", "; ")


def soft_cut(pred: str, min_words: int = 4) -> str:
    """The core of a predicate, before its first trailing clause ('a coastal city in X, known for
    ...' -> 'a coastal city in X'); the predicate itself when no cut leaves ``min_words`` words."""
    best = pred
    for cut in _SOFT_CUTS:
        i = pred.find(cut)
        if i > 0 and len(pred[:i].split()) >= min_words and i < len(best):
            best = pred[:i]
    return best.rstrip(" ,;")


def _variants(pred: str) -> list[str]:
    """The short core of a predicate first, then the whole predicate."""
    short = soft_cut(pred)
    return [short, pred] if short != pred else [pred]


# an alias appositive after a subject ('"Drown in My Own Tears", originally credited as "I'll Drown in My Tears",
# is a blues song …'): another name of the same entity, not part of what the sentence says of it
_ALIAS_APPOSITIVE = re.compile(r"(?P<subj>[^,.;\n]{1,120}?),\s+(?:(?:originally|also|sometimes|often|first|later)\s+)?"
                               r"(?:credited|known|titled|released|called|spelled|styled)\s+as\s+"
                               r"(?:[\"“][^\"”\n]{1,120}[\"”]|[A-Z][^,.;\n]{0,80}?)\s*,\s+(?=(?:is|was|are|were)\s)")


def alias_appositive_dropped(text: str) -> str:
    """``text`` without the alias appositives right after its sentences' subjects (a subject's other name
    is no other entity: the sentence says nothing of the alias that it does not say of the subject)."""
    return _ALIAS_APPOSITIVE.sub(r"\g<subj> ", text)


def _names_entity(subject_part: str, entity: str) -> bool:
    """Whether the subject of a sentence names the entity (shares a content word with its title)."""
    a = {w for w in fold(subject_part).split() if w not in STOPWORDS}
    b = {w for w in fold(base_name(entity)).split() if w not in STOPWORDS}
    return bool(a & b)


def relation_family(key: str, value: str = "") -> str:
    """The relation family of an infobox key ('Producer(s)' -> 'producer'; 'Type: Studio album by X'
    -> 'artist'), '' when it has none (templates then use the key itself)."""
    nk = norm_key(key)
    if nk == "type" and " by " in f" {value.lower()} ":
        return "artist"
    return _FAMILY_OF.get(nk, "")


def value_count(value: str) -> int:
    """How many values an infobox cell lists ('John Burk, Phil Ramone' -> 2)."""
    parts = [p for p in re.split(r"\s*(?:;|,|\s/\s|\n)\s*", value) if p.strip()]
    return max(len(parts), 1)


_CHRONOLOGY_KEYS = frozenset({"next single", "previous single", "next album", "previous album", "next release",
                              "previous release", "preceded by", "followed by"})


def _other_artists_record(index: LocalSearchIndex, key: str, a: str, b: str) -> bool:
    """A chronology row ('Previous single: Night Time Is the Right Time' on What'd I Say) that links a
    page describing another artist's record of the title (Nappy Brown's): the page's facts are not
    those of the record the row means, so it describes nothing."""
    if norm_key(key) not in _CHRONOLOGY_KEYS:
        return False
    ca, cb = credit(index, a), credit(index, b)
    return bool(ca and cb and not ca & cb)


_CHRONO_GRAPHS: weakref.WeakKeyDictionary[LocalSearchIndex, Graph] = weakref.WeakKeyDictionary()


def _chronology_graph(index: LocalSearchIndex) -> Graph:
    """The index's pages as a miners' :class:`Graph` (their facts: chronology rows, release dates, types),
    built once per index, so E2HQA asks the same question the CRAWLQA miners ask
    (``Graph.chronology_conflict``: rows that agree, and release dates that allow the step; the index
    holds no lists, so the ordered-list check of ``synth.chronology`` has nothing to read here)."""
    g = _CHRONO_GRAPHS.get(index)
    if g is None:
        g = Graph(Node(url=d.url, root_url=d.root_url, depth=0, parent_url=None, anchor_text=None, site="",
                       subject=d.subject, title=d.subject, description="", language="",
                       facts=list(d.facts),
                       enumerations=[], out_links=[])
                  for d in iter_docs(index))
        _CHRONO_GRAPHS[index] = g
    return g


def chronology_conflict(index: LocalSearchIndex, src: str, key: str, dst: str) -> str:
    """'' when every indexed page agrees that ``dst`` is ``src``'s ``key`` ('Next single'), else what
    another page says instead: 'the previous single of X' then has two readings."""
    nk = norm_key(key)
    if nk not in _CHRONOLOGY_KEYS:
        return ""
    rows = sum(1 for r in index.facts(src) if r.nkey == nk and r.pos == 0)
    if rows > 1:  # 'Ray Charles and Betty Carter': one chronology per artist, two next albums
        return f"{src} has {rows} '{key}' rows (one chronology per artist)"
    g = _chronology_graph(index)
    a, b = g.get(src), g.get(dst)
    if a is None or b is None:
        return ""
    return g.chronology_conflict(a, key, b)


def _one_to_many(index: LocalSearchIndex, src: str, key: str, value: str, dst: str) -> str:
    """Why a row of ``src`` linking ``dst`` does not single ``src`` out, whatever the index holds: an
    album lists many songs ('Album: The Genius Hits the Road' on a song's page: 'the song from the album
    The Genius Hits the Road' fits each of its tracks, crawled or not); a chronology row another page
    contradicts."""
    if relation_family(key, value) == "album":
        return f"an album lists many tracks: '{key}: {value[:80]}' does not single out one of them"
    strips = chronologies(index, dst)
    if norm_key(key) in _CHRONOLOGY_KEYS and len(strips) > 1:
        # 'the album whose previous album is Ray Charles and Betty Carter': The Genius Sings the Blues in Ray
        # Charles's chronology, 'Round Midnight in Betty Carter's (crawled or not)
        return f"{dst} has {len(strips)} chronologies ({', '.join(strips)}): '{key}: {value[:80]}' may be read " \
               f"in each"
    return chronology_conflict(index, src, key, dst)


def _fact_shared(index: LocalSearchIndex, doc: PageDoc, key: str, value: str, dst: str) -> str:
    """Why a literal row read as 'the song whose <key> is <value>' does not single its page out, beyond the
    other crawled pages with the same row (the engine counts those): an album lists many tracks ('whose
    album is Modern Sounds …'); a chronology row naming a page with two chronologies; a writer credited
    with other songs in the crawl's track listings ('whose writer is Don Gibson': "Who Cares (For Me)")."""
    fam = relation_family(key, value)
    if norm_key(key) in ("b side", "b sides"):
        said = side_reversed(index.body(doc.url), value)
        if said:  # 'the single whose B-side is "A Fool for You"': its own page says it is that song's B-side
            return f"its page says it {said[:120]!r}: the row and the prose disagree on the sides"
    if fam == "album" or (dst and dst != doc.url and norm_key(key) in _CHRONOLOGY_KEYS):
        return _one_to_many(index, doc.url, key, value, dst) if dst or fam == "album" else ""
    if fam in _PEOPLE_FAMILIES:
        from synth.e2h.obfuscate import credited_elsewhere, credited_in_boxes  # imports this module
        from synth.graph.values import person_names

        for name in person_names(value):
            other = credited_elsewhere(index, doc.subject, "", name=name) if fam in ("writer", "composer") else []
            if other:
                return f"{len(other)} other song(s) of the crawl are credited to {name} (e.g. {other[0]})"
            other = credited_in_boxes(index, doc.subject, fam, name=name)
            if other:  # 'the film whose director is Taylor Hackford': his navigation box lists fourteen more
                return f"{len(other)} other work(s) a navigation box credits to {name} as {fam} (e.g. {other[0]})"
    return ""


_PROSE_CREDIT = re.compile(r"\b(?:written|penned|co-written|composed)(?:\s+and\s+composed)?\s+by\s+"
                           r"(?:[a-z][\w,-]*\s+){0,6}((?:[A-Z][\w'’-]*\.?\s*){2,4})")


def prose_credit_shared(index: LocalSearchIndex, doc: PageDoc, pred: str) -> str:
    """Why a sentence's 'the popular song written and composed by … Don Gibson' does not single its page out:
    the crawl credits another song to that writer ("Who Cares (For Me)" (Don Gibson) in a track listing).
    A predicate with a year ('a song from 1964 written by Buck Owens') is narrower than the credits, which
    carry no year, and is left to the search check; so is '… written by Doc Pomus that became a rhythm and
    blues hit for Ray Charles in 1956'. A year in a later clause ('… Don Gibson, who first recorded it on
    December 30, 1957') is cut from the description by the writer: it does not count."""
    from synth.e2h.writers import the_phrase  # imports this module

    pred = the_phrase(pred, type_noun(pred), 160) or pred  # as the offline writer words it ('… and first
    # recorded in 1960 as …' is cut: 'the song written by rhythm and bluesman Percy Mayfield')
    m = _PROSE_CREDIT.search(pred)
    # the words that narrow the credit: before it, and after it up to the next clause ('… that became a rhythm
    # and blues hit for Ray Charles in 1956' narrows; ', who first recorded it on December 30, 1957' is cut)
    narrowing = pred[:m.start()] + pred[m.end():].split(",")[0] if m else ""
    if not m or re.search(r"\b1[0-9]{3}s?\b|\b20[0-9]{2}s?\b", narrowing):
        return ""
    from synth.e2h.obfuscate import credited_elsewhere  # imports this module

    name = re.split(r"\.\s", m.group(1).strip())[0].strip(" .")
    other = credited_elsewhere(index, doc.subject, "", name=name)
    return f"{len(other)} other song(s) of the crawl are credited to {name} (e.g. {other[0]})" if other else ""


_YEAR_IN_TEXT = re.compile(r"\b(1[5-9]\d{2}|20\d{2})\b(?!s)")


def prose_year_shared(index: LocalSearchIndex, doc: PageDoc, pred: str) -> str:
    """Why a sentence's 'the rhythm and blues single written and released as a single by Ray Charles in 1955 on
    the Atlantic label' (This Little Girl of Mine) does not single its record out: the year (and the writer it
    names) fit another record of the same artist the crawl dates that year (A Fool for You: Released 1955,
    Writer(s): Ray Charles; or a record a discography only lists under 1955, when no writer is named). Read as
    the offline writer words it; a sentence with no year or several is left to the other checks."""
    from synth.e2h.writers import the_phrase  # imports this module

    text = the_phrase(pred, type_noun(pred), 160) or pred
    years = set(_YEAR_IN_TEXT.findall(text))
    if len(years) != 1 or not credit(index, doc.url):
        return ""
    y = int(next(iter(years)))
    m = _PROSE_CREDIT.search(text)
    name = re.split(r"\.\s", m.group(1).strip())[0].strip(" .") if m else ""
    others = same_year_records(index, doc.url, y, (name,) if name else ())
    if not others:
        return ""
    by = f" credited to {name}" if name else ""
    return f"{len(others)} other record(s) of the same artist{by} are dated {y} in the crawl (e.g. {others[0]})"


def chronologies(index: LocalSearchIndex, url: str) -> list[str]:
    """The chronology strips of a page's infobox, by artist ('Ray Charles', 'Betty Carter' on Ray Charles and
    Betty Carter); a strip without a 'Chronology' header counts once."""
    rows = index.facts(url)
    named = [r.value for r in rows if r.nkey == "chronology" and r.pos == 0]
    if named:
        return named
    return ["(unnamed)"] if any(r.nkey in _CHRONOLOGY_KEYS for r in rows) else []


def _date_span_shared(index: LocalSearchIndex, own: str, nk: str, value: str, url: str = "") -> str:
    """Why a date row read as a span does not single its page out: 'Recorded: 1960–1972' is worded 'the
    disc recorded between 1960 and 1972', and 'Released: 1961' 'released in 1961', which every page of
    the key family with a date in that span also fits (the obfuscated clues' own uniqueness test)."""
    # synth.e2h.obfuscate imports this module
    from synth.e2h.obfuscate import _DATE_FAMILY_OF, DATE_FAMILIES, others_matching

    fam = _DATE_FAMILY_OF.get(nk)
    years = parse_years(value) if fam else None
    if not fam or not years:
        return ""
    if len(years) == 1 and strip_parentheticals(value).strip(" .") != str(years[0]):
        # 'January 1961', 'October 1, 1991': narrower than a year, compared exactly with the other pages'
        # rows elsewhere; a record only named in the crawl with that year may still be that date
        y = years[0]
        named = unrefuted_in(index, url, y, y, recorded=fam == "recorded") \
            if fam in ("released", "recorded") and url else []
        return f"{len(named)} record(s) of the same artist only named in the crawl may date from {value} " \
               f"(e.g. {named[0]})" if named else ""
    lo, hi = min(years), max(years)
    others = others_matching(index, own, DATE_FAMILIES[fam], {"op": "year", "lo": lo, "hi": hi}, parse_years)
    span = f"between {lo} and {hi}" if lo != hi else f"in {lo}"
    if not others:
        named = unrefuted_in(index, url, lo, hi, recorded=fam == "recorded") if fam in ("released", "recorded") \
            else []
        if named:  # 'Just Between Us' (1988), named only by Ray Charles Anthology's chronology
            return f"{len(named)} record(s) of the same artist only named in the crawl may have a {fam} date " \
                   f"{span} (e.g. {named[0]})"
        return ""
    return f"{len(others)} other entities have a {fam} date {span} (e.g. {sorted(others)[0]})"


def _date_value_disputed(index: LocalSearchIndex, url: str, nk: str, value: str) -> str:
    """Why a date row is no date to describe the page's entity by: its value dates another work or part
    ('Published: 1895 (poem)' on the song America the Beautiful), or another crawled page dates the same
    record otherwise ('Released: 1954' on I Got a Woman, listed under 1955 in Ray Charles discography)."""
    from synth.e2h.obfuscate import _DATE_FAMILY_OF, date_qualifier  # imports this module

    fam = _DATE_FAMILY_OF.get(nk)
    if nk in ("label", "labels"):  # 'the album whose label is Rhino' (Genius & Friends; its discography: Atlantic)
        return label_conflict(index, url, value)
    if not fam:
        return ""
    q = date_qualifier(value)
    if q:
        return f"the value is qualified {q}: it dates another work or part than the entity"
    if fam == "recorded":  # 'Recorded: May 17, 1953' (Mess Around; another page: "the same May 10, 1953 session")
        return recording_date_conflict(index, url, first_date(value))
    if fam == "released" and parse_years(value):
        return release_conflict(index, url, parse_years(value)) or release_prose_conflict(index, url, first_date(value))
    return ""


def fact_holders(index: LocalSearchIndex, key: str, value: str) -> set[str]:
    """Entity keys of the pages a literal row 'the X whose <key> is <value>' fits: every page whose row of the
    same key family lists each of the value's items, joint credits included ('Producer(s): Ahmet Ertegün,
    Jerry Wexler' on Lonely Avenue fits 'whose producer is Ahmet Ertegun'), names compared folded
    (diacritics, case, punctuation)."""
    from synth.e2h.obfuscate import family_values  # imports this module

    fam = relation_family(key, value)
    keys = tuple(k for k, f in _FAMILY_OF.items() if f == fam) if fam and fam != "artist" else ()
    keys = tuple({norm_key(key), *keys})
    want = value_items(value, people=fam in _PEOPLE_FAMILIES)
    out = set(index.entities_with_fact(key, value))
    if not want:
        return out
    for k, v in family_values(index, keys):
        if want <= value_items(v, people=fam in _PEOPLE_FAMILIES):
            out.add(k)
    return out


def value_items(value: str, *, people: bool = False) -> frozenset[str]:
    """The folded items a cell lists ('Ahmet Ertegün, Jerry Wexler' -> {'ahmet ertegun', 'jerry wexler'})."""
    if people:
        from synth.graph.values import person_names

        names = person_names(value)
        if names:
            return frozenset(f for n in names if (f := fold(n)))
    parts = re.split(r"\s*(?:;|,|\s/\s|\n)\s*", value)  # 'Rhythm and blues' is one genre
    return frozenset(f for p in parts if (f := fold(p)))


def infobox_type(index: LocalSearchIndex, url: str) -> str:
    """The kind noun of a page's infobox 'Type' row ('Single by Ray Charles' -> 'single'), or ''."""
    t = next((r.value for r in index.facts(url) if r.nkey == "type"), "")
    if not t:
        return ""
    noun = type_noun(re.split(r"\bby\b", t, maxsplit=1)[0])
    return noun if noun in _TYPE_SET else ""


_FIRST_CLAIM = re.compile(r"\b(?:debut|first)\s+(?:(?:studio|solo|commercial|major|official|hit|major-label|"
                          r"full-length|proper)\s+)?(single|album|record|release|lp|ep|song|recording|hit)s?\b", re.I)


def first_claim_contradicted(index: LocalSearchIndex, url: str, text: str) -> str:
    """Why a 'debut single' / 'first album' claim of ``text`` about ``url`` does not hold in the crawl
    ('the debut single from Ray Charles' on Hallelujah I Love Her So, whose own chronology gives a
    previous single, while Mess Around (1953) is an earlier single by him), or '' when nothing the crawl
    states contradicts it (or ``text`` claims no such thing)."""
    m = _FIRST_CLAIM.search(text)
    if not m:
        return ""
    noun = m.group(1).lower()
    kind = "single" if noun in ("single", "song", "hit") else "album" if noun in ("album", "lp", "ep") else ""
    why = earlier_of_kind(index, url, kind)
    return f"'{m.group(0)}' is contradicted by {why}" if why else ""


def _anchor_name(index: LocalSearchIndex, url: str) -> str:
    """How a clue names another entity: its subject, without disambiguation when that is unique."""
    doc = index.doc(url)
    if doc is None:
        return ""
    b = base_name(doc.subject)
    if b != doc.subject:
        owners = {index.entity_key(u) for u in index.aliases().get(fold(b), [])}
        if owners == {doc.key}:
            return b
    return doc.subject


def named_by_kind(index: LocalSearchIndex, url: str, desc: str) -> bool:
    """Whether ``desc`` names the page ``url`` as 'the <kind> <title>' from its disambiguated subject ('Ray
    Charles (album)': 'the album Ray Charles'), and no other crawled page of that name is of that kind (the
    musician shares the name, not the kind). A search of the words finds the musician first; the phrase
    still denotes one page."""
    doc = index.doc(url)
    m = re.match(r"^(.+?)\s+\(([^()]+)\)$", doc.subject) if doc is not None else None
    if doc is None or m is None or not occurs(f"the {m.group(2)} {m.group(1)}", desc):
        return False
    kind = m.group(2).lower()
    for u in index.aliases().get(fold(m.group(1)), []):
        other = index.doc(u)
        if other is None or other.key == doc.key:
            continue
        om = re.match(r"^(.+?)\s+\(([^()]+)\)$", other.subject)
        if (om and om.group(2).lower() == kind) or _type_of(index, u) == kind or not (om or _type_of(index, u)):
            return False  # another page of that name is of that kind, or of no known kind
    return True


def _type_of(index: LocalSearchIndex, url: str) -> str:
    doc = index.doc(url)
    if doc is None:
        return ""
    sp = predicate(doc.description)
    return type_noun(sp[1]) if sp else ""


def _mentions(text: str, own_key: str, index: LocalSearchIndex, answer: str, exclude: set[str]) -> tuple[str, ...]:
    out: list[str] = []
    for sp in find_entities(text, answer, index.aliases(), max_tokens=index.max_alias_tokens()):
        keys = {index.entity_key(u) for u in sp.urls}
        if own_key in keys or keys & exclude:
            continue
        out.append(sp.urls[0])
    return tuple(out)


def clues_for(doc: PageDoc, index: LocalSearchIndex, *, answer: str, exclude: set[str],
              max_inbound: int = 50) -> list[Clue]:
    """Every clue about ``doc`` that does not lean on an excluded entity (or on the answer)."""
    if not doc.local:
        return _web_clues(doc, answer)
    out: list[Clue] = []
    own = doc.key
    fa = fold(answer)
    # first sentence and lead sentences
    first = doc.description.strip()
    doc_type = ""
    if first:
        sp = predicate(first) or predicate(alias_appositive_dropped(first))
        if sp and not _names_entity(sp[0], doc.subject):
            sp = None  # "It is argueable whether ...": not a sentence about the entity
        if sp:
            doc_type = type_noun(sp[1])
            for pred in _variants(sp[1]):
                out.append(Clue("first_sentence", doc.url, doc.url, first, predicate=pred, type=doc_type,
                                mentions=_mentions(pred, own, index, answer, exclude),
                                ambiguity=first_claim_contradicted(index, doc.url, pred)
                                or prose_credit_shared(index, doc, pred) or prose_year_shared(index, doc, pred)))
    if not doc_type:  # 'Mess Around', whose first sentence is no 'X is a …': its infobox says 'Single by …'
        doc_type = infobox_type(index, doc.url)
    if not doc_type and first:  # '"Drown in My Own Tears", originally credited as "I'll Drown in My Tears", is a
        # blues song …': a subject too long for a description still says what the entity is
        long = predicate(first, max_subject_words=30)
        if long and _names_entity(long[0], doc.subject):
            doc_type = type_noun(long[1])
    names = set(fold(doc.subject).split()) | set(fold(base_name(doc.subject)).split())
    for sent in sentences(doc.lead)[1:8]:
        if sent == first:
            continue
        sp = predicate(sent, max_subject_words=4)
        if not sp:
            continue
        subj, pred = sp
        if not (_PRONOUN_SUBJECTS.match(subj) or set(fold(subj).split()) <= names):
            continue
        for v in _variants(pred):
            ments = _mentions(v, own, index, answer, exclude)
            if ments:
                out.append(Clue("lead_sentence", doc.url, doc.url, sent, predicate=v, type=doc_type,
                                mentions=ments, ambiguity=first_claim_contradicted(index, doc.url, v)
                                or prose_credit_shared(index, doc, v) or prose_year_shared(index, doc, v)))
    # own infobox rows: literal facts and forward relations
    for row in index.facts(doc.url):
        nk = row.nkey
        if nk in SKIP_FACT_KEYS or not row.value.strip() or len(row.value) > 120:
            continue
        snippet = f"{row.key}: {row.value}"
        crossing = bool(row.dst) and row.dst != doc.url and _other_artists_record(index, row.key, doc.url, row.dst)
        if row.pos == 0 and nk not in ("type", "chronology") and not crossing:
            out.append(Clue("fact", doc.url, doc.url, snippet, key=row.key, value=row.value, type=doc_type,
                            relation=relation_family(row.key, row.value),
                            ambiguity=_date_value_disputed(index, doc.url, nk, row.value)
                            or _date_span_shared(index, doc.key, nk, row.value, doc.url)
                            or _fact_shared(index, doc, row.key, row.value, row.dst)))
        if row.dst and row.dst != doc.url:
            akey = index.entity_key(row.dst)
            if akey in exclude or akey in (own, fa) or crossing:
                continue
            fam = relation_family(row.key, row.value)
            n = len(index.entities_linking(row.key, row.dst))
            why = _one_to_many(index, doc.url, row.key, row.value, row.dst) \
                or (_date_value_disputed(index, doc.url, nk, row.value) if nk in ("label", "labels") else "")
            out.append(Clue("forward_relation", doc.url, doc.url, snippet, key=row.key, value=row.value,
                            anchor=_anchor_name(index, row.dst), anchor_url=row.dst, type=doc_type,
                            relation=fam, resolves=max(n, 2 if why else 1), mentions=(row.dst,),
                            anchor_type=_type_of(index, row.dst), ambiguity=why))
    # other pages' rows linking here
    for row in index.inbound(doc.url)[:max_inbound]:
        akey = index.entity_key(row.src)
        if akey in exclude or akey in (own, fa) or norm_key(row.key) in SKIP_FACT_KEYS \
                or _other_artists_record(index, row.key, row.src, doc.url):
            continue
        fam = relation_family(row.key, row.value)
        if fam in LOCATION_FAMILIES:
            resolves = 1 if row.pos == 0 else 2
        elif fam == "artist" and norm_key(row.key) == "type":
            # 'Studio album by Ray Charles, Milt Jackson': two artists, so 'the artist of X' is not one person
            makers = re.split(r"\bby\s+", row.value, maxsplit=1)
            resolves = max(row.nlinks, value_count(re.sub(r"\s+(?:and|&|with|ft\.?|feat\.?|featuring)\s+", ", ",
                                                          makers[1], flags=re.I))
                           if len(makers) > 1 else 1)
        elif fam in _PEOPLE_FAMILIES:  # 'Writer(s): Ray Charles and Renald Richard': two writers
            resolves = max(row.nlinks, value_count(re.sub(r"\s+(?:and|&)\s+", ", ", row.value)))
        else:
            resolves = max(row.nlinks, value_count(row.value))
        why = chronology_conflict(index, row.src, row.key, doc.url) or (
            recorded_by_another(index, row.src) if fam == "artist" else "") or (  # 'the artist of Crying Time': Owens too
            several_records(index, row.src, row.key))  # 'the B-side of the single This Little Girl of Mine': whose?
        anchor_type = _type_of(index, row.src)
        if fam == "album" and infobox_type(index, row.src) == "single":
            anchor_type = "single"  # 'Single by Ray Charles from the album …': 'the album from which the single …'
        out.append(Clue("inverse_relation", doc.url, row.src, f"{row.key}: {row.value}", key=row.key,
                        value=row.value, anchor=_anchor_name(index, row.src), anchor_url=row.src,
                        type=doc_type, relation=fam, resolves=max(resolves, 2) if why else resolves,
                        mentions=(row.src,), anchor_type=anchor_type, ambiguity=why))
    out.extend(_inverse_mentions(doc, index, answer, exclude, doc_type))
    out.extend(_inverse_listings(doc, index, answer, exclude, doc_type))
    from synth.e2h.obfuscate import obfuscated_clues  # imports this module

    out.extend(obfuscated_clues(doc, index, doc_type=doc_type, answer=answer))
    return out


def _inverse_mentions(doc: PageDoc, index: LocalSearchIndex, answer: str, exclude: set[str],
                      doc_type: str) -> list[Clue]:
    out: list[Clue] = []
    own = doc.key
    fa = fold(answer)
    names = [_anchor_name(index, doc.url) or doc.subject]
    seen: set[str] = set()
    for name in names:
        for q_url in index.mentions(name):
            if q_url in seen or q_url == doc.url:
                continue
            seen.add(q_url)
            q = index.doc(q_url)
            if q is None or q.key in exclude or q.key == own or q.key == fa:
                continue
            sp = predicate(q.description)
            if not sp:
                continue
            pred = sp[1]
            m = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", pred)
            if not m or _inside_longer_name(pred, m.start(), m.end(), quoted_regions(pred)):
                continue  # 'Ray' inside 'Ray Charles' is not the film Ray
            before, after = pred[:m.start()], pred[m.end():]
            rel = next((r for r, pat in _MENTION_PATTERNS if pat.search(before)), "")
            if not rel:
                continue
            if rel == "artist" and type_noun(pred) not in ("album", "single", "song", "ep", "compilation",
                                                            "soundtrack", "recording", "track", "anthology"):
                continue
            co = bool(re.match(r"^\s*(?:,\s*[A-Z]|and\s+[A-Z]|&)", after)) or bool(
                re.search(r"\b[A-Z][\w.'’-]+\s+(?:and|&)\s+(?:[\w.'’-]+\s+){0,3}$", before))
            out.append(Clue("inverse_mention", doc.url, q.url, q.description, predicate=pred,
                            anchor=_anchor_name(index, q.url), anchor_url=q.url, type=doc_type, relation=rel,
                            resolves=2 if co else 1, mentions=(q.url,), anchor_type=type_noun(pred)))
    return out


# list sections whose items are the page subject's own works (not sources, links or notes)
LISTING_SECTIONS = frozenset({"filmography", "discography", "selected discography", "television", "singles",
                              "albums", "studio albums", "live albums", "compilation albums", "films", "works",
                              "selected works", "bibliography of works", "publications", "books", "novels",
                              "track listing", "track list", "tracklist"})
# list sections of people: an item is a plain name ('Hank Crawford – alto saxophone')
PEOPLE_SECTIONS = frozenset({"personnel", "musicians", "performers", "band members", "members"})
_ITEM = re.compile(r"^\s*(?:[-*+]|(\d{1,3})\.)\s+(.*)$")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")


def list_sections(body: str) -> list[tuple[str, list[str]]]:
    """(heading, items) of every markdown list directly under a heading of a page's main text. A numbered
    list whose numbers are not 1, 2, 3 … in order (a track listing restarting at side two) is left out:
    an item's place in it is not its number."""
    out: list[tuple[str, list[str]]] = []
    heading, items, broken = "", [], False
    for line in [*body.splitlines(), "# end"]:
        h = _HEADING.match(line)
        if h:
            if heading and items and not broken:
                out.append((heading, items))
            heading, items, broken = h.group(1).strip(), [], False
            continue
        m = _ITEM.match(line)
        if m and heading:
            if m.group(1) is not None and int(m.group(1)) != len(items) + 1:
                broken = True
            items.append(m.group(2).strip())
    return out


_TRACK_SECTIONS = frozenset({"track listing", "track list", "tracklist"})
_OTHER_TAKE = re.compile(r"\((?:[^()]*\b)?(?:live|version|remix|mix|edit|re-?recorded|re-?recording|demo|alternate|"
                         r"take|instrumental|reprise|mono|stereo|remaster(?:ed)?|single|extended|acoustic|duet|with)\b",
                         re.I)


def _same_recordings(index: LocalSearchIndex, entity_url: str, album_url: str) -> bool:
    """Whether an album's track listing may stand for the entity's own record: the album is by the
    entity's credited artist and not a live album. A cover on another artist's album ('Eleanor Rigby' on a
    Ray Charles disc) or a live take is another recording: its producer, date or length are not the
    entity's, so 'the song listed … under “Track listing” for …' would not denote the entity."""
    a, b = credit(index, entity_url), credit(index, album_url)
    album_type = next((r.value for r in index.facts(album_url) if r.nkey == "type"), "").lower()
    if not (a and b and a & b) or "live" in album_type.split(" by ")[0]:
        return False
    # the album's sessions must include the entity's recording ('Georgia on My Mind', recorded 1960, on Ray
    # Sings, Basie Swings, recorded 2006, is a new recording); unknown either way: not the same recording
    rec_e, rec_a = _recorded_years(index, entity_url), _recorded_years(index, album_url)
    return bool(rec_e and rec_a) and min(rec_a) <= min(rec_e) and max(rec_e) <= max(rec_a)


def _recorded_years(index: LocalSearchIndex, url: str) -> tuple[int, ...]:
    return next((ys for r in index.facts(url) if r.nkey == "recorded" and (ys := parse_years(r.value))), ())


def _item_names(item: str, name: str, *, person: bool = False) -> bool:
    """Whether a list item is the work ``name`` itself ('*The Blues Brothers* (1980)'), or with ``person``
    the person ``name`` ('Hank Crawford – alto saxophone'), not a mention."""
    t = re.escape(name)
    if person:
        return bool(re.match(rf"^\[?{t}\]?(?=\s*(?:[–—,:(]|-\s|$))", item))
    return bool(re.match(rf"^(?:\*{{1,3}}{t}\*{{1,3}}|[\"“]{t}[\"”])(?:\s*\(|\s*[,–-]|\s*$)", item))


def _inverse_listings(doc: PageDoc, index: LocalSearchIndex, answer: str, exclude: set[str],
                      doc_type: str) -> list[Clue]:
    """``inverse_listing`` clues: another page's list section names ``doc`` as exactly one of its items."""
    if not doc_type:
        return []
    from synth.text import ordinal

    own, fa = doc.key, fold(answer)
    name = _anchor_name(index, doc.url) or doc.subject
    out: list[Clue] = []
    # the pages linking this one (the index has no public query by link target; its links table is read here)
    linking = [r[0] for r in index._db.execute("SELECT DISTINCT src FROM links WHERE dst = ? ORDER BY src",
                                               (index.resolve(doc.url) or doc.url,))]
    for q_url in linking:
        q = index.doc(q_url)
        if q is None or q_url == doc.url or q.key in exclude or q.key in (own, fa):
            continue
        tracks_ok = _same_recordings(index, doc.url, q_url)
        is_record = bool(credit(index, doc.url))
        for heading, items in list_sections(index.body(q_url)):
            people = heading.lower() in PEOPLE_SECTIONS
            if (heading.lower() not in LISTING_SECTIONS and not people) or len(items) < 2 or (people and is_record):
                continue
            if heading.lower() in _TRACK_SECTIONS and not tracks_ok:
                continue
            if is_record and not people and heading.lower() not in _TRACK_SECTIONS and q.key not in credit(index, doc.url):
                continue  # 'Discography' of another artist: its "Georgia on My Mind" is that artist's record
            pos = [i for i, it in enumerate(items, 1) if _item_names(it, name, person=people)]
            if pos and heading.lower() in _TRACK_SECTIONS and _OTHER_TAKE.search(items[pos[0] - 1]):
                continue  # '"What'd I Say" (1965 live version)': another recording than the entity's
            if len(pos) != 1 or any(occurs(answer, it) for it in items[pos[0] - 1:pos[0]]):
                continue
            anchor = _anchor_name(index, q_url)
            m = re.match(r"^(.+?)\s+\(([^()]+)\)$", q.subject)  # 'Fathead (album)': 'the album Fathead'
            if m and anchor not in (m.group(1), q.subject):
                m = None
            at = _type_of(index, q_url)
            # the list's page as a noun phrase: 'Ray Charles', 'the album The Genius Hits the Road', 'the Ray
            # Charles album Ray Charles' (a disambiguated title)
            who = f"the {m.group(2)} {m.group(1)}" if m else f"the {at} {anchor}" if at in (
                "album", "compilation", "soundtrack", "ep", "film", "single", "song") else anchor
            if re.search(r"[!?]", who):
                continue  # a title ending in '!' or '?' would end the description mid-question
            pred = f"the {doc_type} listed {ordinal(pos[0])} under “{heading}” for {who}"
            out.append(Clue("inverse_listing", doc.url, q_url, f"{heading}: {items[pos[0] - 1]}", predicate=pred,
                            key=heading, value=items[pos[0] - 1], anchor=anchor, anchor_url=q_url, type=doc_type,
                            relation="listed", resolves=1, mentions=(q_url,), anchor_type=_type_of(index, q_url)))
    return out


def _web_clues(doc: PageDoc, answer: str) -> list[Clue]:
    """A page known only from a web hit: its snippet's first sentence is the one clue."""
    first = sentences(doc.description)[:1]
    if not first:
        return []
    sp = predicate(first[0])
    if not sp or occurs(answer, sp[1]):
        return []
    return [Clue("web_snippet", doc.url, doc.url, doc.description, predicate=sp[1], type=type_noun(sp[1]))]
