"""Obfuscated fact clues (issue 17 item 7): an infobox value stated loosely, only when still unique.

A description written from the entity's own infobox row ("the song released in October 1951",
"the song whose producer is Mitch Miller") is unique *because* searching it finds the entity's page,
and that page states the seed's answer: the one-search gate drops such a question. Said loosely —
"the song released in the early 1950s", "the song produced by someone with the initials M. M." —
the search no longer goes straight to the page, while the description still denotes one entity:

* dates (release, recording, founding, birth and death rows) → a part of a decade, the decade, a
  range containing the year (:func:`synth.graph.values.obfuscate_year`);
* a single person's credit (producer, writer, composer, director, founder rows) → the person's
  initials (:func:`synth.graph.values.initials`).

The wording and the predicates are the obfuscated family's own functions (``synth.graph.values``),
reused, not copied. Uniqueness is structural and exact over the index: every page with a row of the
same key family is read, its value parsed the same way, and the clue is made only when the entity
is the one page whose value satisfies the predicate (``holds``). The clue keeps the real row as its
snippet, so the record's evidence still states the exact value.
"""

from __future__ import annotations

import json
import random
import re
import weakref
from collections.abc import Iterator

from synth.e2h.clues import Clue, alias_appositive_dropped, relation_family, value_count
from synth.e2h.records import stated_years, unrefuted_in
from synth.graph.values import (
    holds,
    initials,
    obfuscate_year,
    parse_years,
    person_names,
    year_phrase,
)
from synth.search import STOPWORDS, LocalSearchIndex, PageDoc, base_name, fold, norm_key

KIND = "obfuscated_fact"

# date rows, by key family (a loose date of one family is compared with every row of that family)
DATE_FAMILIES: dict[str, tuple[str, ...]] = {
    "released": ("released", "release date", "release dates", "published", "first published", "first aired"),
    "recorded": ("recorded",),
    "founded": ("founded", "established", "formed"),
    "born": ("born", "date of birth", "birth date"),
    "died": ("died", "date of death", "death date"),
}
_DATE_VERB = {"released": "released", "recorded": "recorded", "founded": "founded", "born": "born", "died": "who died"}
# a row's own label says what its date is: 'Published: 1895' is no release ('the song released in …' would
# say something the page does not); the family still decides uniqueness (every row of it is compared)
_KEY_VERB = {"published": "published", "first published": "first published", "first aired": "first aired",
             "established": "established", "formed": "formed"}
_DATE_FAMILY_OF = {k: fam for fam, keys in DATE_FAMILIES.items() for k in keys}
# a parenthesised qualifier that says the date is of another work, form or part than the entity itself:
# 'Published: 1895 (poem)' on America the Beautiful (the song, Ward's music set to the poem, came later),
# '(lyrics)', '(music)', '(original)', '(film)', '(except Charles' vocals)'
_OTHER_WORK = re.compile(
    r"\((?:[^()]*?\b)?(poem|poems|lyric|lyrics|words|text|music|melody|tune|score|original|originally|film|movie|"
    r"novel|book|play|musical|story|song|single|album|hymn|composition|version|recording|recordings|reissue|"
    r"re-?release|re-?issued?|remaster(?:ed)?|demo|live|cover|remix|edition|stage|broadway|tv|television|series|"
    r"episode|radio|ep|lp|cd|vinyl|digital|tracks?|side|part|except|excluding|vocals|instrumental|overdubs?|"
    r"premiere|translation|sheet|manuscript|first)\b[^()]*\)", re.I)


def date_qualifier(value: str) -> str:
    """The parenthesised qualifier of a date row that dates another work, form or part than the page's entity
    ('(poem)' in 'Published: 1895 (poem)'), or ''. Such a value is no date of the entity: a description must
    not say the entity was released (or published) then."""
    m = _OTHER_WORK.search(value or "")
    return m.group(0) if m else ""


def date_verb(key: str, family: str) -> str:
    """How a description words a date row: its own label ('published', 'first aired'), else its family's verb."""
    return _KEY_VERB.get(norm_key(key), _DATE_VERB[family])
# people rows: the relation family (synth.e2h.clues.relation_family) and how the description says it
PERSON_VERB = {"producer": "produced by", "writer": "written by", "composer": "with music by",
               "director": "directed by", "founder": "founded by"}
# tightest first: a loose date is still a clue, the tightest that stays unique hides the least
_YEAR_STYLES = ("early", "mid", "late", "decade", "range", "half")


PARSERS = {"years": parse_years}  # "initials": _initials_of, below


def _loose(keys: tuple[str, ...], pred: dict, parse: str) -> str:
    """The clue's loose value as data a program re-checks (``matching``): the keys read, the predicate."""
    return json.dumps({"keys": list(keys), "pred": pred, "parse": parse}, sort_keys=True)


def matching(index: LocalSearchIndex, loose: str) -> set[str]:
    """Entity keys whose row of the clue's key family satisfies its loose value (one: it is unique)."""
    d = json.loads(loose)
    parse = PARSERS.get(d["parse"]) or _initials_of
    return {k for k, v in family_values(index, tuple(d["keys"])) if holds(d["pred"], parse(v))}


def family_values(index: LocalSearchIndex, keys: tuple[str, ...]) -> list[tuple[str, str]]:
    """(entity key, value) of every infobox row whose normalised key is one of ``keys``."""
    marks = ",".join("?" for _ in keys)
    # the index has no public query by key alone; its facts table is read-only here
    rows = index._db.execute(
        f"SELECT DISTINCT d.skey, f.value FROM facts f JOIN docs d ON d.url = f.src WHERE f.nkey IN ({marks})",
        tuple(norm_key(k) for k in keys)).fetchall()
    return [(r[0], r[1] or "") for r in rows]


def others_matching(index: LocalSearchIndex, own: str, keys: tuple[str, ...], pred: dict, parse) -> set[str]:
    """Entity keys other than ``own`` with a row of ``keys`` whose parsed value satisfies ``pred``."""
    return {k for k, v in family_values(index, keys) if k != own and holds(pred, parse(v))}


# a track listing's item with its writing credit: '5. "Who Cares (For Me)" (Don Gibson) – 2:19'
_CREDITED_ITEM = re.compile(r'^\s*(?:\d{1,3}\.|[-*+])\s+["“]([^"”]+)["”]\s*\(([^()]+)\)', re.M)
# prose: '"Crying Time" is a song from 1964 written by country music artist Buck Owens'
_WRITTEN_BY = re.compile(r'["“]([^"”]{2,80})["”][^.\n"“]{0,80}?\b(?:written|penned|co-written|composed)\s+by\s+'
                         r'(?:[a-z][\w-]*\s+){0,4}((?:[A-Z][\w.\'’-]*\s*){2,4})')
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii"})
_CREDITS: weakref.WeakKeyDictionary[LocalSearchIndex, list[tuple[str, str, tuple[str, ...]]]] = \
    weakref.WeakKeyDictionary()


def song_credits(index: LocalSearchIndex) -> list[tuple[str, str, tuple[str, ...]]]:
    """(folded title, page url, credited names) of every song the crawl's pages credit to writers outside
    an infobox row: a track listing's '"Who Cares (For Me)" (Don Gibson)', a sentence's '"X" … written by
    Y'. Built once per index. A name may be a surname alone ('"A Fool for You" (Charles)')."""
    out = _CREDITS.get(index)
    if out is None:
        out = []
        # the index has no public query over every body; its docs table is read-only here
        for url, body in index._db.execute("SELECT url, body FROM docs ORDER BY rowid"):
            for m in _CREDITED_ITEM.finditer(body or ""):
                names = tuple(n.strip().strip('"') for n in re.split(r",|;| and | & |/| aka | a\.k\.a\.? ", m.group(2))
                              if n.strip() and n.strip().lower().rstrip(".") not in _SUFFIXES)
                if names:
                    out.append((fold(m.group(1)), url, names))
            for m in _WRITTEN_BY.finditer(alias_appositive_dropped(body or "")):  # the alias is the same song
                out.append((fold(m.group(1)), url, (re.split(r"\.\s", m.group(2).strip())[0],)))
        _CREDITS[index] = out
    return out


def credited_elsewhere(index: LocalSearchIndex, title: str, ini: str, name: str = "", *, writer: str = "") -> list[str]:
    """Songs other than ``title`` that a track listing or a sentence of the crawl credits to someone whose
    initials are ``ini`` ('D. G.': Don Gibson's "Who Cares (For Me)" on Have a Smile with Me), or to a
    surname alone that may be that person ('(Gibson)'): 'the song written by someone with the initials
    D. G.' then fits them too. A surname alone that no credit of the crawl gives in full counts when it is
    the surname of ``writer`` (the entity's own writer, 'Gibson' for Don Gibson). With ``name``, only credits of that name (or of its surname alone): 'the song
    written by Don Gibson' fits "Who Cares (For Me)" too. Returns 'title (page)' strings."""
    own = fold(base_name(title))
    out: list[str] = []
    full: dict[tuple[str, str], set[str]] = {}  # (page or '', surname) -> full names the credits give
    for _, url, names in song_credits(index):
        for n in names:
            if len(n.split()) >= 2 and fold(n):
                full.setdefault((url, fold(n).split()[-1]), set()).add(n)
                full.setdefault(("", fold(n).split()[-1]), set()).add(n)
    for t, url, names in song_credits(index):
        if t == own:
            continue  # the same song, listed on another record
        for n in names:
            words = [w for w in re.findall(r"[A-Za-z][\w'.-]*", n) if w.lower().rstrip(".") not in _SUFFIXES]
            if not words or re.search(r"[\d#]", n):
                continue  # '#58 Pop': a chart position, not a name
            fuller = (full.get((url, fold(n))) or full.get(("", fold(n)))) if len(words) == 1 else None
            if fuller and len({fold(f) for f in fuller}) == 1:
                # '(Powell)' after '(Teddy Powell, …)' on the same track listing, or the one Pauling the crawl
                # credits in full ('Lowman Pauling'): that person's initials
                n = next(iter(fuller))
                words = [w for w in re.findall(r"[A-Za-z][\w'.-]*", n) if w.lower().rstrip(".") not in _SUFFIXES]
            if name:
                last = fold(name).split()[-1:]
                hit = fold(n) == fold(name) or (len(words) == 1 and fold(n).split() == last)
            else:
                hit = (len(words) >= 2 and initials(n) == ini) or (
                    len(words) == 1 and bool(writer) and fold(n).split() == fold(writer).split()[-1:])
            if hit:
                out.append(f"{t} ({url.rsplit('/', 1)[-1]})")
                break
    return out


def credited_in_boxes(index: LocalSearchIndex, subject: str, fam: str, *, ini: str = "", name: str = "") -> list[str]:
    """Works other than ``subject`` that a navigation box of the crawl credits to a person in the relation family
    ``fam`` (:meth:`LocalSearchIndex.credits`): with ``ini``, to someone with those initials; with ``name``, to that
    person. "Films directed by Taylor Hackford" on Ray (film) lists fourteen other films: 'the film directed by
    someone with the initials T. H.' and 'the film directed by Taylor Hackford' fit them too (strict audit round
    12). Returns 'title (page)' strings."""
    own = fold(base_name(subject))
    out: list[str] = []
    for src, title, person, _ in index.credits(fam):
        if fold(base_name(title)) == own:
            continue  # the entity itself, listed in its own box
        if (ini and initials(person) == ini) or (name and fold(person) == fold(name)):
            out.append(f"{title} ({src.rsplit('/', 1)[-1]})")
    return out


def _initials_of(value: str) -> list[str] | None:
    names = person_names(value)
    return [initials(n) for n in names] or None


def obfuscated_clues(doc: PageDoc, index: LocalSearchIndex, *, doc_type: str, answer: str = "",
                     seed: int = 0) -> Iterator[Clue]:
    """Loose versions of ``doc``'s date and single-person rows that still single it out (see module doc).

    A row whose value shares a word with the answer is left out: its initials or its date would
    hint at the answer ("the film directed by someone with the initials R. F." → Rick Friedberg)."""
    rng = random.Random(seed)
    answer_words = {w for w in fold(answer).split() if w not in STOPWORDS}
    said: set[str] = set()  # a row read twice (its text and its link) gives one clue
    for row in index.facts(doc.url):
        nk = row.nkey
        value = " ".join(row.value.split())
        if not value or len(value) > 120 or answer_words & set(fold(value).split()):
            continue
        snippet = f"{row.key}: {row.value}"
        if not doc_type:  # 'the one written by …' never says what the entity is (audit: Mess Around)
            return
        t = doc_type
        fam = _DATE_FAMILY_OF.get(nk)
        if fam:
            years = parse_years(value)
            if not years or len(years) > 1 or date_qualifier(value):  # one date: "released in the 1950s" then
                continue  # means that date; '1895 (poem)' dates another work (the fact clue says why, counted)
            preds = {p["style"]: p for p in obfuscate_year(years[0], rng)}
            told = [y for y, _ in stated_years(index, doc.url)] if fam == "released" else []
            for style in _YEAR_STYLES:
                p = preds.get(style)
                if p is None or others_matching(index, doc.key, DATE_FAMILIES[fam], p, parse_years):
                    continue
                if not all(holds(p, y) for y in told):
                    continue  # another page dates the record outside the span ('I Got a Woman': 1955 in the
                    # discography, 1954 on its page): only a span every page agrees with is said
                if fam in ("released", "recorded") and unrefuted_in(index, doc.url, p["lo"], p["hi"],
                                                                    recorded=fam == "recorded"):
                    continue  # a record only named elsewhere (a chronology strip, a discography) may fit
                phrase = f"the {t} {date_verb(row.key, fam)} in {year_phrase(p)}"
                if phrase not in said:
                    said.add(phrase)
                    yield Clue(KIND, doc.url, doc.url, snippet, predicate=phrase, key=row.key, value=row.value,
                               type=doc_type, relation=fam, loose=_loose(DATE_FAMILIES[fam], p, "years"))
                break
            continue
        pfam = relation_family(row.key, row.value)
        if pfam in PERSON_VERB and value_count(value) == 1:
            names = person_names(value)
            if len(names) != 1:
                continue
            ini = initials(names[0])
            if len(ini) < 2:
                continue
            p = {"op": "initials", "v": ini}
            keys = tuple(k for k, f in _person_keys().items() if f == pfam)
            if others_matching(index, doc.key, keys, p, _initials_of):
                continue
            if pfam in ("writer", "composer") and credited_elsewhere(index, doc.subject, ini, writer=names[0]):
                continue  # a song a track listing credits to that person (or to one with those initials)
            if credited_in_boxes(index, doc.subject, pfam, ini=ini):
                continue  # a film a navigation box credits to that person ("Films directed by Taylor Hackford")
            letters = " ".join(f"{c}." for c in ini)
            phrase = f"the {t} {PERSON_VERB[pfam]} someone with the initials {letters}"
            if phrase not in said:
                said.add(phrase)
                yield Clue(KIND, doc.url, doc.url, snippet, predicate=phrase, key=row.key, value=row.value,
                           type=doc_type, relation=pfam, loose=_loose(keys, p, "initials"))


def _person_keys() -> dict[str, str]:
    from synth.e2h.clues import RELATION_FAMILIES

    return {k: fam for fam, ks in RELATION_FAMILIES.items() if fam in PERSON_VERB for k in ks}
